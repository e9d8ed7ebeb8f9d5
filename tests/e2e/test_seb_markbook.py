"""Social-emotional-behavioural screenings, behaviour incident patterns and the early-grades
objective markbook, through the real pipeline.

Expected figures are derived here from the landing files and the district's config with plain
pandas, independently of the dbt models:
- a screener's risk level is the band of config/cut_scores.csv holding its level basis
  (config/measures.csv: the national percentile for the SAEBRS total, the score otherwise; SRSS-I
  bands by grade); a student is at risk when that level is not proficient in its descriptor set;
- incidents are grouped per class (when the record names one) and per school, per week (from
  Monday), month and school year; "a few students" are the 3 most involved, or the 10% most involved
  (rounded down) when more; the pattern is specific_students when they account for at least half the
  involvements, class_wide / school_wide otherwise, none under 5 incidents (district.yml
  seb.incident_patterns);
- an objective counts once per student and school year on its latest judgement, secured when its
  descriptor is proficient in the entry's own descriptor set.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from definitions import ConfigError, load_definitions
from tests.conftest import CONFIG_DIR, PROJECT_ROOT, TEST_SECRET, PipelineRun

pytestmark = pytest.mark.e2e

PATTERNS = yaml.safe_load((CONFIG_DIR / "district.yml").read_text())["seb"]["incident_patterns"]
SEASONS = ("Fall", "Winter", "Spring")
WINDOW_ORDER = {name: position for position, name in enumerate(SEASONS)}
FASTBRIDGE_GRADES = {"Kindergarten": 0, "One": 1, "Two": 2, "Three": 3, "Four": 4, "Five": 5, "Six": 6, "Seven": 7, "Eight": 8}
SAEBRS_LEVELS = {"highRisk": "High Risk", "someRisk": "Some Risk", "lowRisk": "Low Risk"}


def mart(run: PipelineRun, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(run.warehouse_dir / "build.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def school_year_and_window(dates: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The demo calendar: the year starts 1 July; Fall from July, Winter from December, Spring from March."""
    school_year = dates.dt.year + (dates.dt.month >= 7).astype(int)
    window = pd.Series("Spring", index=dates.index)
    window[dates.dt.month.isin([7, 8, 9, 10, 11])] = "Fall"
    window[dates.dt.month.isin([12, 1, 2])] = "Winter"
    return school_year, window


def read_landing(landing: Path, pattern: str) -> pd.DataFrame:
    """Every matching landing CSV as text, with its source_file (relative to landing) and source_row (header = 1)."""
    frames = []
    for path in sorted(landing.glob(pattern)):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame["source_file"] = path.relative_to(landing).as_posix()
        frame["source_row"] = range(2, len(frame) + 2)
        frames.append(frame)
    assert frames, f"no landing file matches {pattern}"
    return pd.concat(frames, ignore_index=True)


# --- SEB screenings ---------------------------------------------------------------------------


def landing_screenings(landing: Path) -> pd.DataFrame:
    """One row per screening score in the SAEBRS, SRSS-IE and DESSA-mini files, with the vendor's own level."""
    columns = ["source_file", "source_row", "student_id", "grade", "date", "measure_id", "score", "percentile", "vendor_level"]
    parts = []

    saebrs = read_landing(landing, "seb/SAEBRS_*.csv")
    for season in SEASONS:
        given = saebrs[f"{season} SAEBRS Teacher SEBA SAEBRS Items Correct"] != ""
        block = saebrs[given]
        for measure_id, scale in (("saebrs_total", ""), ("saebrs_social", "Social "), ("saebrs_academic", "Academic "),
                                  ("saebrs_emotional", "Emotional ")):
            total = measure_id == "saebrs_total"
            parts.append(pd.DataFrame({
                "source_file": block["source_file"],
                "source_row": block["source_row"],
                "student_id": block["Local ID"],
                "grade": block["Grade"].map(FASTBRIDGE_GRADES),
                "date": pd.to_datetime(block[f"{season} SAEBRS Teacher Final Date"], format="%m/%d/%Y"),
                "measure_id": measure_id,
                "score": block[f"{season} SAEBRS Teacher SEBA SAEBRS {scale}Items Correct"].astype(float),
                "percentile": block[f"{season} SAEBRS Teacher Percentile at Nation"].astype(float) if total else math.nan,
                "vendor_level": block[f"{season} SAEBRS Teacher Risk Level"].map(SAEBRS_LEVELS) if total else None,
            }))

    srss = read_landing(landing, "seb/SRSS-IE_*.csv")
    for measure_id, score, level in (("srss_e", ("SRSS-E Total", "SRSS Total"), ("SRSS-E Risk", "SRSS Risk")),
                                     ("srss_i", ("SRSS-I Total",), ("SRSS-I Risk",))):
        score_column = next(c for c in score if c in srss.columns)
        level_column = next(c for c in level if c in srss.columns)
        parts.append(pd.DataFrame({
            "source_file": srss["source_file"],
            "source_row": srss["source_row"],
            "student_id": srss["Student ID"],
            "grade": srss["Grade"].replace({"K": "0"}).astype(int),
            "date": pd.to_datetime(srss["Screening Date"], format="%m/%d/%Y"),
            "measure_id": measure_id,
            "score": srss[score_column].astype(float),
            "percentile": math.nan,
            "vendor_level": srss[level_column],
        }))

    dessa = read_landing(landing, "seb/DESSA-mini_*.csv")
    parts.append(pd.DataFrame({
        "source_file": dessa["source_file"],
        "source_row": dessa["source_row"],
        "student_id": dessa["Student ID"],
        "grade": dessa["Grade"].replace({"K": "0"}).astype(int),
        "date": pd.to_datetime(dessa["Rating Date"], format="%m/%d/%Y"),
        "measure_id": "dessa_mini",
        "score": dessa["T-Score"].astype(float),
        "percentile": dessa["Percentile"].astype(float),
        "vendor_level": dessa["Description"],
    }))
    screenings = pd.concat([p[columns] for p in parts], ignore_index=True)
    screenings["school_year"], screenings["window_name"] = school_year_and_window(screenings["date"])
    return screenings


def expected_risk(screenings: pd.DataFrame) -> pd.DataFrame:
    """Risk level from the published bands: the band whose [min_score, max_score] holds the level basis."""
    measures = pd.read_csv(CONFIG_DIR / "measures.csv", dtype=str)
    bands = pd.read_csv(CONFIG_DIR / "cut_scores.csv", dtype={"grade_level": str})
    descriptors = pd.read_csv(CONFIG_DIR / "descriptor_sets.csv")
    out = screenings.merge(measures[["measure_id", "level_basis", "descriptor_set"]], on="measure_id", how="left")
    out["basis"] = out["percentile"].where(out["level_basis"] == "percentile", out["score"])
    out["row_id"] = range(len(out))
    joined = out[["row_id", "measure_id", "grade", "window_name", "basis"]].merge(bands, on="measure_id")
    grade_text = joined["grade"].astype(str).replace({"0": "K"})
    held = (
        ((joined["grade_level"] == "*") | (joined["grade_level"] == grade_text))
        & ((joined["window_name_y"] == "*") | (joined["window_name_y"] == joined["window_name_x"]))
        & (joined["basis"] >= joined["min_score"])
        & (joined["basis"] <= joined["max_score"])
    )
    levels = joined[held].groupby("row_id")["level"].agg(list)
    assert levels.map(len).max() == 1, "bands overlap"
    out["risk_level"] = out["row_id"].map(levels.str[0])
    proficient = descriptors.set_index(["descriptor_set", "descriptor"])["is_proficient"]
    out["is_at_risk"] = [
        None if pd.isna(level) else not bool(proficient[(descriptor_set, level)])
        for descriptor_set, level in zip(out["descriptor_set"], out["risk_level"])
    ]
    return out


def test_seb_risk_levels_follow_the_published_bands(pipeline_run: PipelineRun):
    expected = expected_risk(landing_screenings(pipeline_run.landing_dir))
    published = mart(pipeline_run, "select * from marts.fct_seb_screenings")
    assert len(published) == len(expected)
    expected["assessment_date"] = expected["date"].dt.date
    published["assessment_date"] = pd.to_datetime(published["assessment_date"]).dt.date
    joined = expected.merge(
        published, on=["source_file", "source_row", "measure_id", "assessment_date"], how="outer",
        suffixes=("", "_published"), indicator=True,
    )
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"].head()

    assert (joined["risk_level"].fillna("-") == joined["risk_level_published"].fillna("-")).all()
    assert (joined["is_at_risk"].astype(object).fillna("-") == joined["is_at_risk_published"].astype(object).fillna("-")).all()
    assert (joined["score"] == joined["score_published"]).all()
    assert (joined["percentile"].fillna(-1) == joined["percentile_published"].fillna(-1)).all()
    assert (joined["grade"] == joined["grade_level"]).all()
    assert (joined["window_name"] == joined["window_name_published"]).all()
    # the bands reproduce the level each vendor printed in its own file
    printed = joined[joined["vendor_level"].notna() & (joined["vendor_level"] != "")]
    assert len(printed) > 0 and (printed["vendor_level"] == printed["risk_level"]).all()
    # the subscales have no published bands; every band is used somewhere
    assert joined.loc[joined["measure_id"].str.startswith("saebrs_") & (joined["measure_id"] != "saebrs_total"), "risk_level"].isna().all()
    assert {"High Risk", "Some Risk", "Low Risk"} <= set(joined.loc[joined["measure_id"] == "saebrs_total", "risk_level"])
    assert joined["is_at_risk"].eq(True).any()


def test_seb_risk_change_compares_the_previous_window(pipeline_run: PipelineRun):
    expected = expected_risk(landing_screenings(pipeline_run.landing_dir))
    expected = expected[expected["risk_level"].notna()].copy()
    rank = pd.read_csv(CONFIG_DIR / "descriptor_sets.csv").set_index(["descriptor_set", "descriptor"])["rank"]
    expected["rank"] = [rank[key] for key in zip(expected["descriptor_set"], expected["risk_level"])]
    # the student's last screening in each window, then the window before it in the same school year
    expected["window_position"] = expected["window_name"].map(WINDOW_ORDER)
    latest = expected.sort_values("date").groupby(["student_id", "measure_id", "school_year", "window_name"]).tail(1)
    latest = latest.sort_values(["student_id", "measure_id", "school_year", "window_position"])
    by_student = latest.groupby(["student_id", "measure_id", "school_year"])
    latest["previous_risk_level"] = by_student["risk_level"].shift()
    previous_rank = by_student["rank"].shift()
    latest["risk_change"] = None
    latest.loc[previous_rank.notna() & (latest["rank"] > previous_rank), "risk_change"] = "decreased"
    latest.loc[previous_rank.notna() & (latest["rank"] < previous_rank), "risk_change"] = "increased"
    latest.loc[previous_rank.notna() & (latest["rank"] == previous_rank), "risk_change"] = "unchanged"

    published = mart(pipeline_run, "select * from marts.fct_seb_screenings where is_latest_in_window and risk_level is not null")
    published["assessment_date"] = pd.to_datetime(published["assessment_date"]).dt.date
    latest["assessment_date"] = latest["date"].dt.date
    joined = latest.merge(published, on=["source_file", "source_row", "measure_id", "assessment_date"], suffixes=("", "_published"))
    assert len(joined) == len(latest) == len(published)
    assert (joined["previous_risk_level"].fillna("-") == joined["previous_risk_level_published"].fillna("-")).all()
    assert (joined["risk_change"].fillna("-") == joined["risk_change_published"].fillna("-")).all()
    assert {"increased", "decreased", "unchanged"} <= set(joined["risk_change"].dropna())


# --- behaviour incident patterns --------------------------------------------------------------


def expected_patterns(landing: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(patterns per class or school and period, involvements per student there) from the incident files."""
    incidents = read_landing(landing, "school_defined/incidents_*.csv")
    incidents["date"] = pd.to_datetime(incidents["incident_date"], format="%m/%d/%Y")
    incidents["school_year"], _ = school_year_and_window(incidents["date"])
    incidents["major"] = incidents["severity"].str.lower() == "major"
    in_class = incidents[incidents["class_id"] != ""].assign(scope="class")
    whole_school = incidents.assign(scope="school", class_id="")
    scoped = pd.concat([in_class, whole_school], ignore_index=True)
    periods = []
    for period_type in ("week", "month", "school_year"):
        frame = scoped.copy()
        frame["period_type"] = period_type
        if period_type == "week":
            frame["period_start"] = frame["date"] - pd.to_timedelta(frame["date"].dt.weekday, unit="D")
        elif period_type == "month":
            frame["period_start"] = frame["date"].dt.to_period("M").dt.start_time
        else:
            frame["period_start"] = pd.to_datetime((frame["school_year"] - 1).astype(str) + "-07-01")
        periods.append(frame)
    rows = pd.concat(periods, ignore_index=True)
    group = ["school_id", "scope", "class_id", "school_year", "period_type", "period_start"]

    per_student = rows.groupby([*group, "student_id"]).size().rename("n_incidents").reset_index()
    per_student = per_student.sort_values([*group, "n_incidents"], ascending=[True] * len(group) + [False])
    per_student["position"] = per_student.groupby(group).cumcount() + 1
    per_student["n_students_involved"] = per_student.groupby(group)["student_id"].transform("size")
    per_student["top_student_limit"] = [
        max(PATTERNS["top_students"], math.floor(PATTERNS["top_student_share"] * n + 1e-9))
        for n in per_student["n_students_involved"]
    ]
    # the sum over the top students does not depend on how ties are ordered
    per_student["is_top_student"] = per_student["position"] <= per_student["top_student_limit"]
    per_student["from_top"] = per_student["n_incidents"].where(per_student["is_top_student"], 0)

    patterns = per_student.groupby(group).agg(
        n_involvements=("n_incidents", "sum"),
        n_students_involved=("student_id", "size"),
        top_student_limit=("top_student_limit", "max"),
        n_from_top_students=("from_top", "sum"),
    )
    patterns["n_incidents"] = rows.groupby(group)["incident_id"].nunique()
    patterns["n_major_incidents"] = rows[rows["major"]].groupby(group)["incident_id"].nunique()
    patterns["n_major_incidents"] = patterns["n_major_incidents"].fillna(0).astype(int)
    patterns = patterns.reset_index()
    specific = patterns["n_from_top_students"] >= PATTERNS["specific_share"] * patterns["n_involvements"]
    patterns["pattern"] = "school_wide"
    patterns.loc[patterns["scope"] == "class", "pattern"] = "class_wide"
    patterns.loc[specific, "pattern"] = "specific_students"
    patterns.loc[patterns["n_incidents"] < PATTERNS["minimum_incidents"], "pattern"] = "none"
    return patterns, per_student


def test_incident_patterns_are_recomputed_from_the_incident_file(pipeline_run: PipelineRun):
    assert mart(pipeline_run, "select count(*) as n from marts.audit_excluded_incidents")["n"][0] == 0
    expected, _ = expected_patterns(pipeline_run.landing_dir)
    published = mart(pipeline_run, "select * from marts.fct_behaviour_patterns")
    published["class_id"] = published["class_sourced_id"].fillna("")
    published["period_start"] = pd.to_datetime(published["period_start"])
    key = ["school_id", "scope", "class_id", "school_year", "period_type", "period_start"]
    joined = expected.merge(published, on=key, how="outer", suffixes=("", "_published"), indicator=True)
    assert (joined["_merge"] == "both").all(), joined.loc[joined["_merge"] != "both", key + ["_merge"]].head()
    for column in ("n_incidents", "n_major_incidents", "n_involvements", "n_students_involved", "top_student_limit",
                   "n_from_top_students", "pattern"):
        mismatched = joined[joined[column] != joined[f"{column}_published"]]
        assert mismatched.empty, (column, mismatched[key + [column, f"{column}_published"]].head())
    share = joined["n_from_top_students"] / joined["n_involvements"]
    assert ((share - joined["share_from_top_students"]).abs() <= 0.00005 + 1e-12).all()
    # the generated district shows every pattern: a few frequent students, class-wide days, quiet classes
    assert {"specific_students", "class_wide", "school_wide", "none"} <= set(joined["pattern"])


def test_pattern_students_name_the_few_most_involved(pipeline_run: PipelineRun):
    _, expected = expected_patterns(pipeline_run.landing_dir)
    published = mart(pipeline_run, "select * from marts.fct_behaviour_pattern_students")
    patterns = mart(pipeline_run, "select * from marts.fct_behaviour_patterns")
    assert len(published) == len(expected)
    key = ["school_id", "scope", "class_sourced_id", "school_year", "period_type", "period_start"]
    published["class_sourced_id"] = published["class_sourced_id"].fillna("")
    patterns["class_sourced_id"] = patterns["class_sourced_id"].fillna("")
    top = published[published["is_top_student"]].groupby(key).agg(n_top=("student_key", "size"), n_from_top=("n_incidents", "sum"))
    joined = patterns.set_index(key).join(top)
    assert (joined["n_from_top"] == joined["n_from_top_students"]).all()
    assert (joined["n_top"] == joined[["top_student_limit", "n_students_involved"]].min(axis=1)).all()
    # a top student has at least as many incidents as anyone outside the top of the same group
    floor = published[published["is_top_student"]].groupby(key)["n_incidents"].min()
    ceiling = published[~published["is_top_student"]].groupby(key)["n_incidents"].max()
    both = pd.concat([floor.rename("floor"), ceiling.rename("ceiling")], axis=1).dropna()
    assert (both["floor"] >= both["ceiling"]).all()


# --- objective markbook -----------------------------------------------------------------------


def expected_markbook(landing: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(each entry with its descriptor's value and secured flag, the per-student summary)."""
    entries = read_landing(landing, "school_defined/*markbook*.csv")
    entries["date"] = pd.to_datetime(entries["assessment_date"], format="%Y-%m-%d")
    entries["school_year"], _ = school_year_and_window(entries["date"])
    descriptors = pd.read_csv(CONFIG_DIR / "descriptor_sets.csv")
    descriptors["match"] = descriptors["descriptor"].str.strip().str.lower()
    entries["match"] = entries["descriptor"].str.strip().str.lower()
    entries = entries.merge(
        descriptors[["descriptor_set", "match", "numeric_value", "rank", "is_proficient"]],
        on=["descriptor_set", "match"], how="left",
    )
    counted = entries[entries["numeric_value"].notna()]
    latest = counted.sort_values("date").groupby(["student_id", "subject", "objective_id", "school_year"]).tail(1)
    summary = latest.groupby(["student_id", "school_year", "subject"]).agg(
        n_objectives=("objective_id", "size"), n_secured=("is_proficient", "sum")
    ).reset_index()
    summary["pct_secured"] = 100 * summary["n_secured"] / summary["n_objectives"]
    return entries, summary


def test_markbook_values_come_from_each_entrys_own_descriptor_set(pipeline_run: PipelineRun):
    entries, _ = expected_markbook(pipeline_run.landing_dir)
    published = mart(pipeline_run, "select * from marts.fct_objective_assessments")
    excluded = mart(pipeline_run, "select * from marts.audit_excluded_markbook_entries")
    assert len(published) + len(excluded) == len(entries)
    # an entry whose descriptor is not in its set is set aside with that reason, never counted
    unmatched = entries[entries["numeric_value"].isna()][["source_file", "source_row"]]
    set_aside = excluded[excluded["reason"].isin(["descriptor_not_in_set", "descriptor_set_not_configured"])]
    assert sorted(map(tuple, unmatched.values)) == sorted(map(tuple, set_aside[["source_file", "source_row"]].values))

    joined = entries.merge(published, on=["source_file", "source_row"], suffixes=("", "_published"))
    assert len(joined) == len(published)
    assert (joined["numeric_value"] == joined["descriptor_value"]).all()
    assert (joined["rank"] == joined["descriptor_rank"]).all()
    assert (joined["is_proficient"].astype(bool) == joined["is_secured"]).all()
    assert (joined["descriptor_set"] == joined["descriptor_set_published"]).all()
    # several descriptor sets are in use at once
    assert joined["descriptor_set"].nunique() >= 2


def test_markbook_pct_secured_counts_each_objectives_latest_judgement(pipeline_run: PipelineRun):
    _, expected = expected_markbook(pipeline_run.landing_dir)
    # student_key -> the file's student_id, through the lineage of the published entries
    ids = mart(pipeline_run, "select distinct student_key, source_file, source_row from marts.fct_objective_assessments")
    entries, _ = expected_markbook(pipeline_run.landing_dir)
    keys = ids.merge(entries[["source_file", "source_row", "student_id"]], on=["source_file", "source_row"])
    keys = keys[["student_key", "student_id"]].drop_duplicates()
    assert keys["student_key"].is_unique and keys["student_id"].is_unique

    published = mart(pipeline_run, "select * from marts.fct_student_objective_summary").merge(keys, on="student_key")
    joined = expected.merge(published, on=["student_id", "school_year", "subject"], how="outer", indicator=True,
                            suffixes=("", "_published"))
    assert (joined["_merge"] == "both").all()
    assert (joined["n_objectives"] == joined["n_objectives_published"]).all()
    assert (joined["n_secured"] == joined["n_secured_published"]).all()
    # published to one decimal
    assert ((joined["pct_secured"] - joined["pct_secured_published"]).abs() <= 0.05 + 1e-9).all()
    assert joined["pct_secured"].between(0.1, 99.9).any()


# --- hand-written records ---------------------------------------------------------------------
# A few records added to a copy of the run's raw tables, in a school year the generated district
# leaves empty (2020-2021), then the markbook and incident models rebuilt on the copy.

HAND_YEAR = 2021
RAW_COLUMNS = {
    "school_markbook": ("student_id", "school_id", "subject", "objective_id", "objective", "descriptor_set", "descriptor",
                        "assessment_date", "teacher_id"),
    "school_incidents": ("incident_id", "student_id", "school_id", "incident_date", "incident_type", "class_id", "location",
                         "severity"),
}


def markbook_rows(a: str, school: str) -> list[tuple]:
    """(source_file, source_row, record) for student `a`; the objective text and teacher are left empty."""
    first, again = "school_defined/hand_markbook.csv", "school_defined/hand_markbook_resent.csv"
    return [
        (first, 2, (a, school, "reading", "RF.1.3b", None, "emerging_developing_secure", "Developing", "2020-11-10", None)),
        # the latest judgement of RF.1.3b; typed in lower case with a space
        (first, 3, (a, school, "reading", "RF.1.3b", None, "emerging_developing_secure", " secure", "2021-01-12", None)),
        (first, 4, (a, school, "reading", "RF.1.2b", None, "emerging_developing_secure", "Emerging", "2021-01-12", None)),
        # a descriptor of another set
        (first, 5, (a, school, "reading", "RF.1.4b", None, "emerging_developing_secure", "Meeting", "2021-01-12", None)),
        (first, 6, (a, school, "math", "1.OA.6", None, "below_meeting_above", "Above", "2021-01-12", None)),
        (first, 7, (a, school, "math", "1.MD.1", None, "traffic_lights", "Green", "2021-01-12", None)),
        (first, 8, ("0000001", school, "math", "1.MD.1", None, "below_meeting_above", "Above", "2021-01-12", None)),
        (first, 9, (a, school, "math", "1.NBT.2", None, "below_meeting_above", "Below", "2021-01-12", None)),
        # the teacher corrects 1.NBT.2 in a later file
        (again, 2, (a, school, "math", "1.NBT.2", None, "below_meeting_above", "Meeting", "2021-01-12", None)),
    ]


def incident_rows(s: list[str], school: str) -> list[tuple]:
    """Class A: s1 in four incidents, s2 and s3 in one each and in a fight together. Class B: eight
    students once each. Class C: four incidents of s9. All in the week of Monday 11 January 2021."""
    first, again = "school_defined/hand_incidents.csv", "school_defined/hand_incidents_resent.csv"
    day = "2021-01-12"
    records = []
    for number, student in enumerate([s[0]] * 4 + [s[1], s[2]], start=1):
        records.append((f"H-A{number}", student, school, day, "Disruption", "cls-hand-a", "Classroom", "minor"))
    records += [("H-A7", s[1], school, day, "Fighting", "cls-hand-a", "Classroom", "major"),
                ("H-A7", s[2], school, day, "Fighting", "cls-hand-a", "Classroom", "major")]
    records += [(f"H-B{n}", s[n - 1], school, day, "Defiance", "cls-hand-b", "Classroom", "minor") for n in range(1, 9)]
    records += [(f"H-C{n}", s[8], school, day, "Defiance", "cls-hand-c", "Classroom", "minor") for n in range(1, 5)]
    records.append(("H-X1", "0000001", school, day, "Defiance", "cls-hand-c", "Classroom", "minor"))
    rows = [(first, line, record) for line, record in enumerate(records, start=2)]
    # the first incident delivered again
    rows.append((again, 2, records[0]))
    return rows


@pytest.fixture(scope="module")
def hand_built(pipeline_run: PipelineRun, tmp_path_factory) -> Path:
    """A copy of the run's build database with the hand-written records, the markbook and incident models rebuilt."""
    folder = tmp_path_factory.mktemp("hand")
    # the staging views name their catalog after the file: the copy keeps the name build.duckdb
    build = folder / "build.duckdb"
    shutil.copy(pipeline_run.warehouse_dir / "build.duckdb", build)
    with duckdb.connect(str(build)) as con:
        students = [r[0] for r in con.execute(
            "select local_student_id from intermediate.int_roster__students_joined order by local_student_id limit 9"
        ).fetchall()]
        school = con.execute("select min(school_id) from marts.dim_schools").fetchone()[0]
        for table, rows in (("school_markbook", markbook_rows(students[0], school)),
                            ("school_incidents", incident_rows(students, school))):
            columns = RAW_COLUMNS[table]
            con.executemany(
                f"insert into raw.{table} ({', '.join(columns)}, source_format, source_file, source_row, file_sha256, "
                f"ingested_at) values ({', '.join('?' * len(columns))}, '{table}', ?, ?, ?, current_timestamp)",
                [(*record, source_file, line, f"sha-{source_file}") for source_file, line, record in rows],
            )
    env = {**os.environ, "SPT_BUILD_DB": str(build), "SPT_STUDENT_KEY_SECRET": TEST_SECRET,
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--profiles-dir", ".", "--target-path", str(folder / "target"),
         "--log-path", str(folder / "logs"), "--select", "int_markbook__descriptors_matched+", "int_seb__incidents_placed+"],
        cwd=PROJECT_ROOT / "dbt_project", env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return build


def hand_query(build: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(build), read_only=True) as con:
        return con.execute(sql).df()


def test_hand_markbook_entries_count_on_their_own_descriptor_set(hand_built: Path):
    reasons = hand_query(hand_built, """
        select source_row, reason from marts.audit_excluded_markbook_entries
        where source_file = 'school_defined/hand_markbook.csv' order by source_row
    """)
    assert list(reasons.itertuples(index=False, name=None)) == [
        (5, "descriptor_not_in_set"),
        (7, "descriptor_set_not_configured"),
        (8, "student_not_in_roster"),
        (9, "duplicate_entry"),
    ]
    secure = hand_query(hand_built, """
        select descriptor, descriptor_value, is_secured, is_latest_for_objective from marts.fct_objective_assessments
        where source_file = 'school_defined/hand_markbook.csv' and source_row = 3
    """)
    assert list(secure.iloc[0]) == ["Secure", 3.0, True, True]
    summary = hand_query(hand_built, f"""
        select subject, n_objectives, n_secured, pct_secured from marts.fct_student_objective_summary
        where school_year = {HAND_YEAR} order by subject
    """)
    # reading: RF.1.3b secured on its latest judgement, RF.1.2b emerging; math: Above and the corrected Meeting
    assert list(summary.itertuples(index=False, name=None)) == [("math", 2, 2, 100.0), ("reading", 2, 1, 50.0)]


def test_hand_incidents_tell_a_few_students_from_a_whole_class(hand_built: Path):
    patterns = hand_query(hand_built, f"""
        select coalesce(class_sourced_id, 'school') as grouping, n_incidents, n_involvements, n_students_involved,
            top_student_limit, n_from_top_students, share_from_top_students, pattern
        from marts.fct_behaviour_patterns
        where school_year = {HAND_YEAR} and period_type = 'week'
        order by grouping
    """)
    assert list(patterns.itertuples(index=False, name=None)) == [
        # s1 4, s2 2, s3 2: the three students are all the involvements
        ("cls-hand-a", 7, 8, 3, 3, 8, 1.0, "specific_students"),
        # eight students once each: the top three are 3 of 8
        ("cls-hand-b", 8, 8, 8, 3, 3, 0.375, "class_wide"),
        # four incidents are too few to call a pattern (the unknown student's is set aside)
        ("cls-hand-c", 4, 4, 1, 3, 4, 1.0, "none"),
        # the school: s1 5, s9 4, s2 3, s3 3, s4-s8 1 each; the top three 12 of 20
        ("school", 19, 20, 9, 3, 12, 0.6, "specific_students"),
    ]
    excluded = hand_query(hand_built, """
        select source_file, source_row, reason from marts.audit_excluded_incidents order by source_file, source_row
    """)
    assert list(excluded.itertuples(index=False, name=None)) == [
        ("school_defined/hand_incidents.csv", 2, "duplicate_delivery"),
        ("school_defined/hand_incidents.csv", 22, "student_not_in_roster"),
    ]


# --- settings ---------------------------------------------------------------------------------


def test_a_bad_incident_pattern_threshold_names_the_line(tmp_path: Path):
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    path = config / "district.yml"
    path.write_text(path.read_text().replace("specific_share: 0.5", "specific_share: 1.5"))
    with pytest.raises(ConfigError) as error:
        load_definitions(config)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "specific_share" in text)
    assert f"district.yml line {line}, field 'seb.incident_patterns.specific_share'" in str(error.value)
