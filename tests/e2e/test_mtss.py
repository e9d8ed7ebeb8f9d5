"""Progress monitoring, goals, MTSS tiers and interventions, through the real pipeline.

Expected figures are derived here, independently of the dbt models, from the landing files (the
mCLASS DIBELS 8 and FastBridge progress-monitoring exports, the school's goals and interventions
files), the district's config (district.yml mtss, roi_norms.csv) and fct_assessment_results, with
pandas and the rules written out in analytics.progress. The probe generators draw each student's
probes along a straight line plus noise, so every long series has a trend to recover.
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from analytics import progress
from ingestion.formats.headers import DIBELS8_MEASURE_LABELS
from tests.conftest import CONFIG_DIR, PipelineRun

pytestmark = pytest.mark.e2e

DISTRICT = yaml.safe_load((CONFIG_DIR / "district.yml").read_text())
MTSS = DISTRICT["mtss"]
PM = MTSS["progress_monitoring"]
PRIMARY = DISTRICT["metrics"]["primary"]
MINIMUM_N = DISTRICT["privacy"]["minimum_n"]
WINDOW_ORDER = {"Fall": 1, "Winter": 2, "Spring": 3}
NO_DAY = pd.Timestamp("2262-01-01")
ONE_GROUP = ["economically_disadvantaged", "english_learner", "students_with_disabilities"]
IDENTIFIERS = {"student_key", "local_student_id", "state_student_id", "goal_id", "intervention_id", "staff_id"}


def query(run: PipelineRun, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(run.warehouse_dir / "build.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def school_year(days: pd.Series) -> pd.Series:
    """The spring year of a date (the school year starts on July 1)."""
    return days.dt.year + (days.dt.month >= 7).astype(int)


def grade_number(text: pd.Series) -> pd.Series:
    return text.astype(str).str.strip().replace({"K": "0", "KG": "0", "PK": "-1"}).astype(int)


def default_goal_date(year: int) -> pd.Timestamp:
    month, day = (int(p) for p in PM["default_goal_date"].split("-"))
    return pd.Timestamp(year if month < 7 else year - 1, month, day)


def norm_rates() -> dict[tuple[str, int], dict[str, float]]:
    """(measure, grade) -> expected and ambitious weekly rates of config/roi_norms.csv."""
    frame = pd.read_csv(CONFIG_DIR / PM["roi_norms_file"], dtype={"grade_level": str})
    frame["grade_level"] = grade_number(frame["grade_level"])
    columns = ["measure_id", "grade_level", "expected_weekly_roi", "ambitious_weekly_roi"]
    return {(m, g): {"expected": e, "ambitious": a} for m, g, e, a in frame[columns].itertuples(index=False)}


def read_landing(run: PipelineRun, pattern: str, **options) -> pd.DataFrame:
    paths = sorted(run.landing_dir.glob(pattern))
    return pd.concat([pd.read_csv(p, **options) for p in paths], ignore_index=True)


def assert_close(actual: pd.Series, expected: pd.Series, what: str) -> None:
    a, e = actual.astype(float).to_numpy(), expected.astype(float).to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(e)), f"{what}: NULLs differ"
    assert np.allclose(a[~np.isnan(a)], e[~np.isnan(e)], rtol=1e-9, atol=1e-9), what


def same_days(actual: pd.Series, expected: pd.Series) -> bool:
    return bool((pd.to_datetime(actual).fillna(NO_DAY) == pd.to_datetime(expected).fillna(NO_DAY)).all())


@pytest.fixture(scope="module")
def student_keys(pipeline_run: PipelineRun) -> dict[str, str]:
    students = query(pipeline_run, "select local_student_id, student_key from marts.dim_students")
    return dict(zip(students["local_student_id"], students["student_key"]))


@pytest.fixture(scope="module")
def landing_probes(pipeline_run: PipelineRun, student_keys) -> pd.DataFrame:
    """Every probe of the landing exports: student, measure, day, score, form grade and stated goal."""
    measure_of = {label: measure for measure, label in DIBELS8_MEASURE_LABELS.items()}
    text = {"dtype": str, "keep_default_na": False}
    mclass = read_landing(pipeline_run, "mclass/dibels8_PM_*.csv", encoding="utf-8-sig", **text)
    fastbridge = read_landing(pipeline_run, "fastbridge/*Progress_Monitoring_Report*.csv", **text)
    probes = pd.concat([
        pd.DataFrame({
            "local_student_id": mclass["Student Primary ID"],
            "measure_id": mclass["Measure"].map(measure_of),
            "assessment_date": pd.to_datetime(mclass["Device Date"]),
            "score": mclass["Score"].astype(float),
            "grade_level": grade_number(mclass["Assessment Grade"]),
            "goal_score": pd.to_numeric(mclass["Goal"], errors="coerce"),
            "goal_date": pd.NaT,
        }),
        pd.DataFrame({
            "local_student_id": fastbridge["Student Id"],
            "measure_id": "fastbridge_cbmreading",
            "assessment_date": pd.to_datetime(fastbridge["AssessmentDate"], format="%m/%d/%Y"),
            "score": fastbridge["Score"].astype(float),
            "grade_level": grade_number(fastbridge["Grade"]),
            "goal_score": pd.to_numeric(fastbridge["End Goal"], errors="coerce"),
            "goal_date": pd.to_datetime(fastbridge["Goal End Date"], format="%m/%d/%Y"),
        }),
    ], ignore_index=True)
    probes["student_key"] = probes["local_student_id"].map(student_keys)
    probes = probes.dropna(subset=["student_key"])
    probes = probes.drop_duplicates(["student_key", "measure_id", "assessment_date"], keep="last")
    probes["school_year"] = school_year(probes["assessment_date"])
    return probes.sort_values(["student_key", "measure_id", "assessment_date"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def school_goals(pipeline_run: PipelineRun, student_keys) -> pd.DataFrame:
    """The goals files, with the last day whose probes count toward each goal."""
    goals = read_landing(pipeline_run, "school_defined/goals_*.csv", dtype={"student_id": str},
                         parse_dates=["baseline_date", "goal_date"])
    goals["student_key"] = goals["student_id"].map(student_keys)
    goals = goals.dropna(subset=["student_key"]).sort_values(["student_key", "measure_id", "baseline_date", "goal_id"])
    next_start = goals.groupby(["student_key", "measure_id"])["baseline_date"].shift(-1) - pd.Timedelta(days=1)
    year_end = pd.to_datetime(school_year(goals["goal_date"]).astype(str) + "-06-30")
    goals["period_end"] = np.minimum(next_start.fillna(NO_DAY), year_end)
    goals["school_year"] = school_year(goals["baseline_date"])
    return goals.set_index("goal_id", drop=False)


def series_goals(probes: pd.DataFrame, goals: pd.DataFrame) -> list[tuple[dict, pd.DataFrame]]:
    """Each probe series with its goal: the school goal covering the probe's day, else the goal the
    export states with the probe (one per student, measure, school year, goal score and date), else
    none (one series per student, measure and school year)."""
    covered = probes.reset_index().merge(goals.reset_index(drop=True), on=["student_key", "measure_id"])
    covered = covered[covered["assessment_date"].between(covered["baseline_date"], covered["period_end"])]
    assert not covered["index"].duplicated().any()
    probes = probes.assign(school_goal=None, stated_day=probes["goal_date"].dt.strftime("%Y-%m-%d").fillna(""))
    probes.loc[covered["index"], "school_goal"] = covered["goal_id"].to_numpy()
    series = []
    for goal_id, points in probes.dropna(subset=["school_goal"]).groupby("school_goal"):
        goal = goals.loc[goal_id]
        series.append(({
            "student_key": goal["student_key"], "measure_id": goal["measure_id"], "school_year": goal["school_year"],
            "goal_id": goal_id, "goal_score": goal["goal_score"], "goal_date": goal["goal_date"],
            "baseline_score": goal["baseline_score"], "baseline_date": goal["baseline_date"],
        }, points))
    uncovered = probes[probes["school_goal"].isna()]
    stated = uncovered.dropna(subset=["goal_score"])
    for (student, measure, year, goal, day), points in stated.groupby(
        ["student_key", "measure_id", "school_year", "goal_score", "stated_day"]
    ):
        digest = hashlib.sha256(f"{student}:{measure}:{year}:{round(goal * 1000)}:{day}".encode()).hexdigest()[:16]
        series.append(({
            "student_key": student, "measure_id": measure, "school_year": year,
            "goal_id": f"pm-{digest}", "goal_score": goal,
            "goal_date": pd.Timestamp(day) if day else default_goal_date(year),
            "baseline_score": points["score"].iloc[0], "baseline_date": points["assessment_date"].iloc[0],
        }, points))
    for (student, measure, year), points in uncovered[uncovered["goal_score"].isna()].groupby(
        ["student_key", "measure_id", "school_year"]
    ):
        series.append(({
            "student_key": student, "measure_id": measure, "school_year": year,
            "goal_id": None, "goal_score": np.nan, "goal_date": None,
            "baseline_score": points["score"].iloc[0], "baseline_date": points["assessment_date"].iloc[0],
        }, points))
    return series


def evaluate(row: dict, points: pd.DataFrame, norms: dict) -> dict:
    """Aim line, trend, decision, goal status and next milestone of one series (analytics.progress)."""
    days, scores = points["assessment_date"].to_numpy("datetime64[D]"), points["score"].to_numpy()
    baseline_day = np.datetime64(row["baseline_date"], "D")
    goal_day = None if row["goal_date"] is None else np.datetime64(row["goal_date"], "D")
    grade = int(points["grade_level"].iloc[-1])
    norm = norms.get((row["measure_id"], grade), {})
    if row["goal_id"] is not None:
        aim_slope = progress.aimline_slope(row["baseline_score"], baseline_day, row["goal_score"], goal_day)
    else:
        aim_slope = norm.get(PM["aimline_without_goal"], np.nan)
    aim = progress.aimline_values(row["baseline_score"], baseline_day, aim_slope, days)
    method, minimum = PM["rate_of_improvement_method"], PM["minimum_points"]
    trend = progress.trend_line(days, scores, method) if len(scores) >= minimum else (np.nan, np.nan)
    milestone = progress.next_milestone_day(baseline_day, days[-1], PM["milestone_weeks"], goal_day)
    return {
        **row,
        "n_points": len(scores),
        "latest_score": scores[-1],
        "aimline_slope": aim_slope,
        "expected_rate_of_improvement": norm.get("expected", np.nan),
        "rate_of_improvement": progress.rate_of_improvement(days, scores, method, minimum),
        "decision": progress.decision(scores, aim, minimum, PM["decision_points"]),
        "goal_status": progress.goal_status(scores[-1], days[-1], row["goal_score"], goal_day, *trend),
        "next_milestone_date": None if milestone is None else pd.Timestamp(np.datetime64(milestone, "D")),
    }


@pytest.fixture(scope="module")
def series_compared(pipeline_run, landing_probes, school_goals) -> pd.DataFrame:
    norms = norm_rates()
    expected = pd.DataFrame([evaluate(row, points, norms) for row, points in series_goals(landing_probes, school_goals)])
    mart = query(pipeline_run, "select * from marts.fct_progress_monitoring")
    expected["goal_key"], mart["goal_key"] = expected["goal_id"].fillna("none"), mart["goal_id"].fillna("none")
    merged = expected.merge(mart, on=["student_key", "measure_id", "school_year", "goal_key"], how="outer",
                            suffixes=("", "_mart"), indicator=True)
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, unmatched[["student_key", "measure_id", "goal_key", "_merge"]]
    return merged


def test_every_probe_series_is_one_row_with_its_goal(series_compared):
    frame = series_compared
    # the demo has school goals on ORF, mCLASS goals without a date and FastBridge goals with one
    assert set(frame["goal_source"].dropna()) == {"school", "probe_file"}
    assert (frame["n_points"] == frame["n_points_mart"]).all()
    assert (frame["goal_id"].fillna("") == frame["goal_id_mart"].fillna("")).all()
    assert_close(frame["goal_score_mart"], frame["goal_score"], "goal_score")
    assert_close(frame["baseline_score_mart"], frame["baseline_score"], "baseline_score")
    assert_close(frame["latest_score_mart"], frame["latest_score"], "latest_score")
    assert same_days(frame["goal_date_mart"], frame["goal_date"])


def test_rate_of_improvement_is_the_weekly_least_squares_slope_of_the_probes(series_compared):
    frame = series_compared
    assert (frame["rate_of_improvement_method"] == PM["rate_of_improvement_method"]).all()
    assert_close(frame["rate_of_improvement_mart"], frame["rate_of_improvement"], "rate_of_improvement")
    assert_close(frame["expected_rate_of_improvement_mart"], frame["expected_rate_of_improvement"], "expected ROI")
    # straight-line trajectories with noise: a series of 8 or more weekly probes trends upward
    long = frame[frame["n_points"] >= 8]
    assert len(long) > 10 and (long["rate_of_improvement_mart"] > 0).mean() > 0.9


def test_aim_line_decision_goal_status_and_milestone_follow_the_rules(series_compared):
    frame = series_compared
    assert_close(frame["aimline_slope_mart"], frame["aimline_slope"], "aimline_slope")
    assert (frame["decision_mart"] == frame["decision"]).all()
    assert (frame["goal_status_mart"].fillna("") == frame["goal_status"].fillna("")).all()
    assert same_days(frame["next_milestone_date_mart"], frame["next_milestone_date"])
    assert {"change_intervention", "continue"} <= set(frame["decision_mart"])


def test_tukey_slope_of_each_series_matches_the_three_group_medians(pipeline_run, landing_probes):
    fitted = query(pipeline_run, """
        select student_key, measure_id, first_probe_date, latest_probe_date, n_points, tukey_slope_per_day
        from intermediate.int_mtss__progress_evaluated
        where n_points >= 3
    """)
    probes = landing_probes.set_index(["student_key", "measure_id"]).sort_index()
    checked = 0
    for row in fitted.itertuples():
        points = probes.loc[(row.student_key, row.measure_id)]
        points = points[points["assessment_date"].between(row.first_probe_date, row.latest_probe_date)]
        if len(points) != row.n_points:
            continue  # another goal's probes fall in between: the least-squares test covers that series
        slope, _ = progress.tukey_line(points["assessment_date"].to_numpy("datetime64[D]"), points["score"].to_numpy())
        assert row.tukey_slope_per_day == pytest.approx(slope, rel=1e-9, abs=1e-12)
        checked += 1
    assert checked > 10


def test_student_goals_hold_every_goal_with_its_progress(pipeline_run, school_goals, series_compared):
    goals = query(pipeline_run, "select * from marts.fct_student_goals")
    school = goals[goals["goal_source"] == "school"].set_index("goal_id").sort_index()
    assert list(school.index) == sorted(school_goals["goal_id"])
    assert school["baseline_score"].tolist() == school_goals.sort_index()["baseline_score"].astype(float).tolist()
    from_files = series_compared.loc[series_compared["goal_source"] == "probe_file", "goal_id"]
    assert set(goals.loc[goals["goal_source"] == "probe_file", "goal_id"]) == set(from_files)
    progress_of = series_compared[["goal_id_mart", "n_points", "goal_status"]].rename(columns={"goal_id_mart": "goal_id"})
    joined = goals.merge(progress_of, on="goal_id", how="left", suffixes=("", "_series"))
    assert (joined["n_points"] == joined["n_points_series"].fillna(0)).all()
    assert (joined["goal_status"].fillna("") == joined["goal_status_series"].fillna("")).all()


def tiers_recomputed(results: pd.DataFrame) -> pd.DataFrame:
    """The tiers of district.yml mtss.tier_rules applied to each student's last result of a window."""
    subject_of = pd.read_csv(CONFIG_DIR / "measures.csv").set_index("measure_id")["subject"]
    parts = []
    for position, rule in enumerate(MTSS["tier_rules"], start=1):
        names = rule["measures"] if isinstance(rule["measures"], list) else [rule["measures"]]
        measure_ids = [m for name in names for m in (PRIMARY.values() if name == "primary" else [name])]
        rows = results[results["measure_id"].isin(measure_ids)]
        if "below_percentile" in rule:
            rows = rows.dropna(subset=["percentile"])
            tiers = [progress.tier_from_percentile(p, rule["below_percentile"]) for p in rows["percentile"]]
        else:
            rows = rows.dropna(subset=["performance_level"])
            tiers = [progress.tier_from_level(level, rule["levels"]) for level in rows["performance_level"]]
        parts.append(rows.assign(rule_tier=tiers, rule_position=position, rule_name=rule["name"],
                                 subject=rows["measure_id"].map(subject_of)))
    candidates = pd.concat(parts, ignore_index=True)
    keys = ["student_key", "subject", "school_year", "window_name"]
    combine = "max" if MTSS["combine_tiers"] == "most_intensive" else "min"
    candidates["tier"] = candidates.groupby(keys)["rule_tier"].transform(combine)
    deciding = candidates[candidates["rule_tier"] == candidates["tier"]]
    tiers = deciding.sort_values([*keys, "rule_position", "measure_id"]).groupby(keys, as_index=False).first()
    tiers = tiers.assign(window_order=tiers["window_name"].map(WINDOW_ORDER))
    tiers = tiers.sort_values(["student_key", "subject", "school_year", "window_order"])
    tiers["previous_tier"] = tiers.groupby(["student_key", "subject"])["tier"].shift(1)
    tiers["tier_change"] = np.select(
        [tiers["previous_tier"].isna(), tiers["tier"] > tiers["previous_tier"], tiers["tier"] < tiers["previous_tier"]],
        ["new", "up", "down"], "same",
    )
    return tiers


@pytest.fixture(scope="module")
def mart_tiers(pipeline_run) -> pd.DataFrame:
    return query(pipeline_run, "select * from marts.fct_mtss_tiers")


def test_tiers_follow_the_configured_screening_rules(pipeline_run, mart_tiers):
    results = query(pipeline_run, """
        select student_key, school_year, window_name, measure_id, percentile, performance_level
        from marts.fct_assessment_results
        where is_latest_in_window
    """)
    expected = tiers_recomputed(results)
    keys = ["student_key", "subject", "school_year", "window_name"]
    merged = expected.merge(mart_tiers, on=keys, how="outer", suffixes=("", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["tier"] == merged["tier_mart"]).all()
    assert (merged["rule_name"] == merged["tier_rule"]).all()
    assert (merged["measure_id"] == merged["tier_measure_id"]).all()
    assert (merged["previous_tier"].fillna(0) == merged["previous_tier_mart"].fillna(0)).all()
    assert (merged["tier_change"] == merged["tier_change_mart"]).all()
    # Star's default bands on MAP: below the 10th percentile is tier 3 whatever the other measures say
    assert (merged.loc[(merged["measure_id"] == "map_reading") & (merged["percentile"] < 10), "tier_mart"] == 3).all()
    assert set(mart_tiers["tier"]) == {1, 2, 3} and set(mart_tiers["tier_change"]) == {"up", "down", "same", "new"}


def test_tier_aggregate_counts_students_and_hides_small_cells(pipeline_run, mart_tiers):
    agg = query(pipeline_run, "select * from marts.agg_mtss_tiers")
    assert not set(agg.columns) & IDENTIFIERS
    keys = ["school_id", "school_year", "window_name", "subject", "grade_level"]
    counts = mart_tiers.assign(t1=mart_tiers["tier"] == 1, t3=mart_tiers["tier"] == 3).groupby(keys).agg(
        n=("tier", "size"), n1=("t1", "sum"), n3=("t3", "sum")
    ).reset_index()
    everyone = agg[agg["student_group"] == "all"].merge(counts, on=keys, how="outer", indicator=True)
    assert (everyone["_merge"] == "both").all()
    assert (everyone["is_suppressed"] == (everyone["n"] < MINIMUM_N)).all()
    shown = everyone[~everyone["is_suppressed"]]
    assert len(shown) > 10
    assert (shown["n_students"] == shown["n"]).all()
    assert (shown["n_tier1"] == shown["n1"]).all() and (shown["n_tier3"] == shown["n3"]).all()
    assert np.allclose(shown["pct_tier3"], 100 * shown["n3"] / shown["n"], atol=0.05 + 1e-9)  # one decimal
    hidden = agg[agg["is_suppressed"]]
    assert hidden[["n_students", "n_tier1", "n_tier2", "n_tier3", "pct_tier1"]].isna().all().all()
    # a shown one-group cell never leaves fewer than the minimum outside it
    one_group = agg[agg["student_group"].isin(ONE_GROUP) & ~agg["is_suppressed"]].merge(everyone[[*keys, "n"]], on=keys)
    outside = one_group["n"] - one_group["n_students"]
    assert ((outside == 0) | (outside >= MINIMUM_N)).all()


@pytest.fixture(scope="module")
def interventions_compared(pipeline_run, student_keys, landing_probes) -> pd.DataFrame:
    """Each intervention's phases, response and dual discrepancy recomputed from its monitored
    measure's screening results and probes (a screening result wins a day both fall on)."""
    records = read_landing(pipeline_run, "school_defined/interventions_*.csv", dtype={"student_id": str},
                           parse_dates=["start_date", "end_date"])
    records["student_key"] = records["student_id"].map(student_keys)
    results = query(pipeline_run, """
        select
            student_key, measure_id, assessment_date, scale_score as score, percentile,
            instructional_grade as grade_level
        from marts.fct_assessment_results
        where scale_score is not null
    """)
    results["assessment_date"] = pd.to_datetime(results["assessment_date"])
    probes = landing_probes[["student_key", "measure_id", "assessment_date", "score", "grade_level"]]
    observations = pd.concat([results.assign(order=0), probes.assign(percentile=np.nan, order=1)]).sort_values("order")
    observations = observations.drop_duplicates(["student_key", "measure_id", "assessment_date"])
    observations = observations.sort_values("assessment_date")
    by_measure = dict(list(observations.groupby(["student_key", "measure_id"])))
    percentiles = dict(list(results.dropna(subset=["percentile"]).groupby(["student_key", "measure_id"])))
    norms, dd, none = norm_rates(), MTSS["dual_discrepancy"], observations.iloc[:0]
    expected = []
    for record in records.dropna(subset=["student_key"]).itertuples():
        measure = record.measure_id if isinstance(record.measure_id, str) else PRIMARY.get(record.subject)
        points = by_measure.get((record.student_key, measure), none)
        end = record.end_date if pd.notna(record.end_date) else NO_DAY
        baseline_start = record.start_date - pd.Timedelta(weeks=MTSS["interventions"]["baseline_weeks"])
        before = points[(points["assessment_date"] >= baseline_start) & (points["assessment_date"] < record.start_date)]
        during = points[points["assessment_date"].between(record.start_date, end)]
        judged = progress.response(
            before["assessment_date"], before["score"], during["assessment_date"], during["score"], PM["minimum_points"]
        )
        grade = int(during["grade_level"].iloc[-1]) if len(during) else None
        level = pd.concat([percentiles.get((record.student_key, m), none).assign(preference=i)
                           for i, m in enumerate([measure, PRIMARY.get(record.subject)])])
        level = level[level["assessment_date"] <= end]
        level = level.sort_values(["preference", "assessment_date"], ascending=[True, False])
        level_percentile = level["percentile"].iloc[0] if len(level) else None
        growth = judged["slope_during"] if len(during) >= PM["minimum_points"] else None
        expected_roi = norms.get((measure, grade), {}).get("expected")
        expected.append({
            "intervention_id": record.intervention_id, **judged, "n_points_during": len(during),
            "level_percentile": np.nan if level_percentile is None else level_percentile,
            "is_dual_discrepancy": progress.is_dual_discrepancy(
                level_percentile, growth, expected_roi, dd["below_percentile"], dd["growth_ratio_below"]
            ),
        })
    mart = query(pipeline_run, "select * from marts.fct_interventions")
    merged = pd.DataFrame(expected).merge(mart, on="intervention_id", how="outer", suffixes=("", "_mart"),
                                          indicator=True)
    assert (merged["_merge"] == "both").all()
    return merged


def test_response_compares_level_and_slope_before_and_during(interventions_compared):
    frame = interventions_compared
    assert (frame["n_points_during"] == frame["n_points_during_mart"]).all()
    for column in ("level_before", "slope_before", "level_during", "slope_during"):
        assert_close(frame[f"{column}_mart"], frame[column], column)
    assert (frame["response_mart"] == frame["response"]).all()
    assert set(frame["response_mart"]) == {"responding", "not_responding", "insufficient_data"}


def test_dual_discrepancy_needs_low_level_and_low_growth_with_its_evidence(interventions_compared):
    frame = interventions_compared
    assert_close(frame["level_percentile_mart"], frame["level_percentile"], "level_percentile")
    as_text = {True: "true", False: "false"}
    flags = frame["is_dual_discrepancy_mart"].map(as_text).fillna("")
    assert (flags == frame["is_dual_discrepancy"].map(as_text).fillna("")).all()
    flagged = frame[frame["is_dual_discrepancy_mart"].fillna(False).astype(bool)]
    assert len(flagged) > 0
    assert (flagged["level_percentile_mart"] < MTSS["dual_discrepancy"]["below_percentile"]).all()
    assert flagged["dual_discrepancy_evidence"].str.contains(" below ").all()
    assert not flagged["dual_discrepancy_evidence"].str.contains("not below").any()


def test_intervention_effectiveness_counts_responses_by_type_and_hides_small_rows(pipeline_run):
    interventions = query(pipeline_run, "select * from marts.fct_interventions")
    agg = query(pipeline_run, "select * from marts.agg_intervention_effectiveness")
    assert not set(agg.columns) & (IDENTIFIERS | {"school_id"})
    keys = ["school_year", "intervention_name", "tier"]
    response = interventions["response"]
    counts = interventions.assign(judged=response != "insufficient_data", responding=response == "responding")
    counts = counts.groupby(keys).agg(
        students=("student_key", "nunique"), judged=("judged", "sum"), responding=("responding", "sum")
    )
    merged = counts.reset_index().merge(agg, on=keys, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["is_suppressed"] == ((merged["students"] < MINIMUM_N) | (merged["judged"] < MINIMUM_N))).all()
    shown = merged[~merged["is_suppressed"]]
    assert (shown["n_students"] == shown["students"]).all()
    assert np.allclose(shown["pct_responding"], 100 * shown["responding"] / shown["judged"], atol=0.05 + 1e-9)
    assert agg.loc[agg["is_suppressed"], ["n_students", "n_responding", "pct_responding"]].isna().all().all()
