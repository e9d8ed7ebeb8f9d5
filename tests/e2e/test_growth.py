"""Growth, growth percentiles, progress matrices and their suppression, through the real pipeline.

Expected figures are derived here from the generator's ground truth (truth/results.csv,
truth/students.csv) and config/district.yml with plain pandas, independently of the dbt models:
each student's last result of a measure in a window is the latest by date (a same-day retest:
the later row of the file); a gain is the end score minus the start score; a student counts at the
school and grade of the end result; MAP's performance level is the achievement quintile the file
states and DIBELS's the benchmark level of the form the student was given.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from tests.conftest import CONFIG_DIR, PipelineRun

pytestmark = pytest.mark.e2e

CONFIG = yaml.safe_load((CONFIG_DIR / "district.yml").read_text())
MINIMUM_N = CONFIG["privacy"]["minimum_n"]
GROWTH = CONFIG["growth"]
SGP = GROWTH["sgp"]
PRIMARY = CONFIG["metrics"]["primary"]
GAIN_MEASURES = ("map_reading", "map_math", "dibels8_composite")
ONE_GROUPS = ("economically_disadvantaged", "english_learner", "students_with_disabilities")
SPAN = ["from_window", "to_window"]
MATRIX = ["school_id", "school_year", "subject", "grade_level", "student_group", *SPAN]


def spans(listed: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [(s["from_window"], s["to_window"], bool(s.get("prior_year", False))) for s in listed],
        columns=["from_window", "to_window", "prior_year"],
    )


@dataclass(frozen=True)
class Truth:
    latest: pd.DataFrame  # each student's last result per measure, year and window
    groups: pd.DataFrame  # local_student_id, student_group


@dataclass(frozen=True)
class Marts:
    growth: pd.DataFrame  # fct_student_growth with local_student_id
    school_growth: pd.DataFrame
    matrix: pd.DataFrame


def read_truth(run: PipelineRun) -> Truth:
    results = pd.read_csv(
        run.truth_dir / "results.csv",
        dtype={"local_student_id": str, "school_id": str},
        parse_dates=["assessment_date"],
    )
    results = results.sort_values(["local_student_id", "measure_id", "assessment_date", "source_row"])
    latest = results.groupby(["local_student_id", "measure_id", "school_year", "window_name"]).tail(1)
    students = pd.read_csv(run.truth_dir / "students.csv", dtype={"local_student_id": str})
    members = [students.assign(student_group="all")]
    for flag in ("is_economically_disadvantaged", "is_english_learner", "has_disability"):
        name = {"is_economically_disadvantaged": "economically_disadvantaged", "is_english_learner": "english_learner",
                "has_disability": "students_with_disabilities"}[flag]
        members.append(students[students[flag].astype(str).str.lower() == "true"].assign(student_group=name))
    for column in ("race_ethnicity", "gender"):
        has_value = students[students[column].notna()]
        members.append(has_value.assign(student_group=column + ":" + has_value[column]))
    groups = pd.concat(members)[["local_student_id", "student_group"]]
    return Truth(latest=latest.reset_index(drop=True), groups=groups.reset_index(drop=True))


def read_marts(run: PipelineRun) -> Marts:
    with duckdb.connect(str(run.warehouse_dir / "build.duckdb"), read_only=True) as con:
        growth = con.execute(
            """
            select students.local_student_id, growth.*
            from marts.fct_student_growth as growth
            inner join marts.dim_students as students using (student_key)
            """
        ).df()
        school_growth = con.execute("select * from marts.agg_school_growth").df()
        matrix = con.execute("select * from marts.agg_progress_matrix").df()
    return Marts(growth=growth, school_growth=school_growth, matrix=matrix)


def truth_pairs(latest: pd.DataFrame, span_list: pd.DataFrame, measures) -> pd.DataFrame:
    """Start and end results of every span: the end year, the start in the same or the previous year."""
    chosen = latest[latest["measure_id"].isin(list(measures))]
    pairs = []
    for span in span_list.itertuples():
        ends = chosen[chosen["window_name"] == span.to_window]
        starts = chosen[chosen["window_name"] == span.from_window].assign(
            school_year=lambda f: f["school_year"] + (1 if span.prior_year else 0)
        )
        paired = ends.merge(starts, on=["local_student_id", "measure_id", "school_year"], suffixes=("_end", "_start"))
        pairs.append(paired.assign(from_window=span.from_window, to_window=span.to_window))
    paired = pd.concat(pairs, ignore_index=True)
    return paired.assign(
        school_id=paired["school_id_end"],
        grade_level=paired["enrolled_grade_end"],
        gain=paired["scale_score_end"] - paired["scale_score_start"],
    )


@pytest.fixture(scope="module")
def truth(pipeline_run: PipelineRun) -> Truth:
    return read_truth(pipeline_run)


@pytest.fixture(scope="module")
def marts(pipeline_run: PipelineRun) -> Marts:
    return read_marts(pipeline_run)


# --- fct_student_growth ---------------------------------------------------------------------------


def test_every_gain_matches_the_truth_for_every_span(truth: Truth, marts: Marts):
    expected = truth_pairs(truth.latest, spans(GROWTH["spans"]), GAIN_MEASURES)
    expected = expected[expected["scale_score_start"].notna() & expected["scale_score_end"].notna()]
    key = ["local_student_id", "measure_id", "school_year", *SPAN]
    got = marts.growth[marts.growth["measure_id"].isin(GAIN_MEASURES)]
    merged = expected.merge(got, on=key, how="outer", indicator=True, suffixes=("_truth", ""))
    assert (merged["_merge"] == "both").all(), merged["_merge"].value_counts().to_dict()
    assert len(merged) > 1000
    assert np.allclose(merged["start_score"], merged["scale_score_start"])
    assert np.allclose(merged["end_score"], merged["scale_score_end"])
    assert np.allclose(merged["gain"], merged["gain_truth"])
    assert (merged["school_id"] == merged["school_id_truth"]).all()
    assert (merged["grade_level"] == merged["grade_level_truth"]).all()
    # both baselines of a year's Spring are there: this year's Fall and last year's Spring
    spring = got[got["to_window"] == "Spring"].groupby("baseline")["from_school_year"].first()
    assert {"fall", "prior_spring"} <= set(spring.index)


def test_met_typical_growth_is_the_gain_reaching_the_vendor_target(marts: Marts):
    growth = marts.growth
    target_span = GROWTH["vendor_target_span"]
    on_target_span = (
        (growth["from_window"] == target_span["from_window"])
        & (growth["to_window"] == target_span["to_window"])
        & (growth["from_school_year"] == growth["school_year"])
    )
    map_rows = growth[growth["measure_id"].isin(["map_reading", "map_math"]) & on_target_span]
    # MAP states TypicalFallToSpringGrowth on every test event, so every Fall to Spring gain has one
    assert len(map_rows) > 100 and map_rows["typical_growth_target"].notna().all()
    with_target = growth[growth["typical_growth_target"].notna()]
    assert (with_target["met_typical_growth"] == (with_target["gain"] >= with_target["typical_growth_target"])).all()
    assert 0 < with_target["met_typical_growth"].mean() < 1
    with_stretch = growth[growth["stretch_growth_target"].notna()]
    assert (with_stretch["met_stretch_growth"] == (with_stretch["gain"] >= with_stretch["stretch_growth_target"])).all()
    # targets belong to the span they are set for only
    elsewhere = growth.loc[~on_target_span, ["typical_growth_target", "met_typical_growth", "met_stretch_growth"]]
    assert elsewhere.isna().all().all()


def test_pupils_taught_below_their_grade_are_judged_by_their_instructional_grade(truth: Truth, marts: Marts):
    growth = marts.growth
    below = growth[growth["instructional_grade"] < growth["grade_level"]]
    assert len(below) > 0 and below["is_working_below_grade"].all()
    end_truth = truth.latest.rename(
        columns={"window_name": "to_window", "performance_level": "truth_level", "instructional_grade": "truth_grade"}
    )[["local_student_id", "measure_id", "school_year", "to_window", "truth_level", "truth_grade"]]
    judged = below.merge(end_truth, on=["local_student_id", "measure_id", "school_year", "to_window"], how="inner")
    assert (judged["instructional_grade"] == judged["truth_grade"]).all()
    # The benchmark level of the form they were given: At or Above Benchmark is on track, even though
    # the student is enrolled in a higher grade.
    leveled = judged[judged["is_on_track"].notna()]
    meets = leveled["truth_level"].isin(["At Benchmark", "Above Benchmark"])
    assert (leveled["end_performance_level"] == leveled["truth_level"]).all()
    assert (leveled["is_on_track"] == meets).all()
    assert leveled["is_on_track"].sum() > 0, "no pupil working below grade is on track: the test proves nothing"
    meets_in_truth = judged["truth_level"].isin(["At Benchmark", "Above Benchmark"])
    assert not (meets_in_truth & judged["is_on_track"].eq(False)).any()


def test_growth_percentiles_are_filled_for_students_with_a_prior_score(truth: Truth, marts: Marts):
    window = SGP["window"]
    sgp_measures = set(SGP["measures"].values())
    growth = marts.growth
    year_on_year = growth[
        growth["measure_id"].isin(sgp_measures)
        & (growth["from_window"] == window)
        & (growth["to_window"] == window)
        & (growth["from_school_year"] == growth["school_year"] - 1)
    ]
    # A student with a score the year before in the grade below: a prior.
    starts = truth.latest[truth.latest["window_name"] == window][
        ["local_student_id", "measure_id", "school_year", "enrolled_grade"]
    ].assign(school_year=lambda f: f["school_year"] + 1, prior_grade=lambda f: f["enrolled_grade"])
    with_prior = year_on_year.merge(
        starts[["local_student_id", "measure_id", "school_year", "prior_grade"]],
        on=["local_student_id", "measure_id", "school_year"],
    )
    with_prior = with_prior[with_prior["prior_grade"] == with_prior["grade_level"] - 1]
    cohort_size = with_prior.groupby(["measure_id", "school_year", "grade_level"])["local_student_id"].transform("size")
    large = with_prior[cohort_size >= SGP["min_cohort"]]
    assert len(large) > 100
    assert large["growth_percentile"].notna().all() and large["growth_percentile_order1"].notna().all()
    assert large["growth_percentile"].between(1, 99).all() and large["growth_percentile_order1"].between(1, 99).all()
    years = sorted(truth.latest["school_year"].unique())
    if len(years) == 2:  # the test district: one prior year, so one-prior percentiles only
        assert (large["n_priors"] == 1).all()
        assert (large["growth_percentile"] == large["growth_percentile_order1"]).all()
    # only the year-on-year row of the SGP measure carries a percentile
    others = growth.drop(year_on_year.index)
    assert others[["growth_percentile", "growth_percentile_order1", "n_priors"]].isna().all().all()
    # the one-prior percentile ranks the student's score among peers with the same prior score: within
    # a cohort it follows the residual of the current score on the prior score (a straight-line fit
    # here, splines in the model, hence a rank correlation well above 0 but not 1)
    for _, cohort in large.groupby(["measure_id", "school_year", "grade_level"]):
        slope, intercept = np.polyfit(cohort["start_score"], cohort["end_score"], 1)
        residual = cohort["end_score"] - (intercept + slope * cohort["start_score"])
        assert stats.spearmanr(cohort["growth_percentile_order1"], residual).statistic > 0.7


# --- agg_school_growth ----------------------------------------------------------------------------


def test_school_growth_matches_the_truth_and_hides_small_cells(truth: Truth, marts: Marts):
    pairs = truth_pairs(truth.latest, spans(GROWTH["spans"]), ["map_reading", "map_math"])
    pairs = pairs[pairs["gain"].notna()].merge(truth.groups, on="local_student_id")
    keys = ["school_id", "school_year", "measure_id", "grade_level", *SPAN, "student_group"]
    expected = pairs.groupby(keys).agg(truth_n=("gain", "size"), truth_mean_gain=("gain", "mean")).reset_index()
    got = marts.school_growth[marts.school_growth["measure_id"].isin(["map_reading", "map_math"])]
    merged = got.merge(expected, on=keys, how="left")
    merged["truth_n"] = merged["truth_n"].fillna(0)
    shown = merged[~merged["is_suppressed"]]
    assert len(shown) > 50
    assert (shown["n_students"] == shown["truth_n"]).all()
    assert ((shown["mean_gain"] - shown["truth_mean_gain"]).abs() <= 0.05 + 1e-9).all()  # one decimal
    assert (shown["n_students"] >= MINIMUM_N).all()
    hidden = merged[merged["is_suppressed"]]
    assert hidden[["n_students", "mean_gain", "median_growth_percentile", "pct_met_typical_growth"]].isna().all().all()
    assert (merged.loc[merged["truth_n"] < MINIMUM_N, "is_suppressed"]).all()
    # every cell with students has every group, so a row never tells a small group exists
    per_cell = got.groupby(["school_id", "school_year", "measure_id", "grade_level", *SPAN])["student_group"].nunique()
    assert per_cell.nunique() == 1
    # 'all' minus a shown one-part group never shows 1..minimum_n-1 students
    all_n = merged[merged["student_group"] == "all"][keys[:-1] + ["truth_n"]].rename(columns={"truth_n": "all_n"})
    one = shown[shown["student_group"].isin(ONE_GROUPS)].merge(all_n, on=keys[:-1])
    assert not (one["all_n"] - one["truth_n"]).between(1, MINIMUM_N - 1).any()
    # the SGP medians and the share meeting typical growth appear where they should
    spring = shown[(shown["from_window"] == SGP["window"]) & (shown["to_window"] == SGP["window"])]
    assert spring["median_growth_percentile"].notna().any()
    assert spring["median_growth_percentile"].dropna().between(1, 99).all()
    fall_spring = shown[(shown["from_window"] == "Fall") & (shown["to_window"] == "Spring")]
    assert fall_spring["pct_met_typical_growth"].notna().any()


# --- agg_progress_matrix --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix_truth(truth: Truth, marts: Marts) -> pd.DataFrame:
    """The published matrix cells with the truth count of each."""
    pairs = truth_pairs(truth.latest, spans(GROWTH["progress_matrix_spans"]), PRIMARY.values())
    pairs = pairs[pairs["performance_level_start"].notna() & pairs["performance_level_end"].notna()]
    pairs = pairs.assign(
        subject=pairs["measure_id"].map({m: s for s, m in PRIMARY.items()}),
        from_level=pairs["performance_level_start"],
        to_level=pairs["performance_level_end"],
    ).merge(truth.groups, on="local_student_id")
    counts = pairs.groupby([*MATRIX, "from_level", "to_level"]).size().rename("truth_n").reset_index()
    cells = marts.matrix.merge(counts, on=[*MATRIX, "from_level", "to_level"], how="outer", indicator=True)
    # every transition a student made is a cell of the published matrix
    assert (cells["_merge"] != "right_only").all(), cells[cells["_merge"] == "right_only"].head()
    cells["truth_n"] = cells["truth_n"].fillna(0).astype(int)
    return cells.drop(columns="_merge")


def test_matrix_counts_match_the_truth(matrix_truth: pd.DataFrame):
    shown = matrix_truth[~matrix_truth["is_suppressed"]]
    assert len(shown) > 0
    assert (shown["n_students"] == shown["truth_n"]).all()
    everyone = matrix_truth[matrix_truth["student_group"] == "all"]
    assert everyone["truth_n"].sum() > 1000
    # every matrix is complete: every group and every pair of levels
    sizes = matrix_truth.groupby(MATRIX).size()
    assert sizes.nunique() == 1 and sizes.iloc[0] in (9, 16, 25)


def test_no_matrix_cell_below_the_minimum_is_shown(matrix_truth: pd.DataFrame):
    assert (matrix_truth.loc[matrix_truth["truth_n"] < MINIMUM_N, "is_suppressed"]).all()
    assert matrix_truth.loc[matrix_truth["is_suppressed"], "n_students"].isna().all()
    assert (matrix_truth.loc[~matrix_truth["is_suppressed"], "n_students"] >= MINIMUM_N).all()


def test_no_hidden_matrix_cell_can_be_recovered_from_a_row_or_column_total(matrix_truth: pd.DataFrame):
    cells = matrix_truth.assign(hidden_with_students=matrix_truth["is_suppressed"] & (matrix_truth["truth_n"] > 0))
    for line in ("from_level", "to_level"):
        per_line = cells.groupby([*MATRIX, line]).agg(
            hidden=("is_suppressed", "sum"),
            hidden_with_students=("hidden_with_students", "sum"),
            cells=("truth_n", "size"),
        )
        exposed = per_line[(per_line["hidden"] == 1) | (per_line["hidden_with_students"] == 1)]
        # a line may keep a single unknown only when it has no visible cell to pair it with
        assert (exposed["hidden"] == exposed["cells"]).all(), exposed.head()
    assert cells["is_suppressed"].sum() > (cells["truth_n"] < MINIMUM_N).sum(), "no complementary cell was needed"


def test_a_shown_group_matrix_cell_never_reveals_the_students_outside_the_group(matrix_truth: pd.DataFrame):
    position = [c for c in MATRIX if c != "student_group"] + ["from_level", "to_level"]
    everyone = matrix_truth[matrix_truth["student_group"] == "all"]
    all_n = everyone[position + ["truth_n"]].rename(columns={"truth_n": "all_n"})
    shown_groups = matrix_truth[matrix_truth["student_group"].isin(ONE_GROUPS) & ~matrix_truth["is_suppressed"]]
    one = shown_groups.merge(all_n, on=position)
    assert not (one["all_n"] - one["truth_n"]).between(1, MINIMUM_N - 1).any()
