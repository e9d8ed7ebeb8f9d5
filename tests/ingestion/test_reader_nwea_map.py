"""NWEA MAP Growth reader: the combined and AssessmentResults layouts, their older column names
and the pre-Lexile 2013 layout land in raw.nwea_map_results with the values the files state."""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from definitions import load_definitions
from ingestion.files import read_header
from ingestion.formats import matching_formats
from ingestion.formats.headers import (
    MAP_2013_ASSESSMENT_RESULTS_HEADER,
    MAP_ASSESSMENT_RESULTS_HEADER,
    MAP_COMBO_HEADER,
)
from ingestion.load import IngestRules, IngestSummary, ingest_landing
from synthetic import generate_district

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
RULES = IngestRules.from_definitions(load_definitions(CONFIG_DIR))


@dataclass
class Ingested:
    root: Path
    con: duckdb.DuckDBPyConnection
    summary: IngestSummary


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Ingested:
    root = tmp_path_factory.mktemp("district")
    generate_district(root, students=300, schools=3, years=2)
    # Only this family's folder is ingested: the other families have their own tests.
    shutil.copytree(root / "landing" / "nwea_map", root / "family" / "nwea_map")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    return Ingested(root, con, ingest_landing(con, root / "family", rules=RULES))


def write_csv(path: Path, header, rows: list[dict[str, str]], quote_all: bool = True) -> None:
    """A vendor file: the header, then each row's values by column name (others empty)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue(), encoding="utf-8")


def ingest_one(tmp_path: Path, name: str, header, rows, quote_all: bool = True, rules: IngestRules = RULES):
    landing = tmp_path / "landing"
    write_csv(landing / "nwea_map" / name, header, rows, quote_all)
    con = duckdb.connect()
    summary = ingest_landing(con, landing, rules=rules)
    (outcome,) = summary.files
    return con, outcome


def raw(con, columns: str) -> list[tuple]:
    return con.execute(f"select {columns} from raw.nwea_map_results order by source_row").fetchall()


# ---- generated files ---------------------------------------------------------------------


def map_files(generated: Ingested):
    return [f for f in generated.summary.files if f.source_file.startswith("nwea_map/")]


def test_generated_combined_files_are_read_as_the_combined_layout_only(generated):
    files = map_files(generated)
    assert len(files) == 2
    for outcome in files:
        assert outcome.file_format == "nwea_map_combined"
        header = read_header(generated.root / "family" / outcome.source_file)
        assert [f.name for f in matching_formats(header)] == ["nwea_map_combined"]


def test_generated_combined_files_load_every_row_with_no_drift(generated):
    for outcome in map_files(generated):
        assert outcome.status == "loaded"
        assert outcome.rows_read == outcome.rows_loaded > 0
        assert outcome.rows_rejected == 0
        assert (outcome.new_columns, outcome.missing_columns) == ([], [])


def test_generated_map_rows_equal_the_truth(generated):
    truth = pd.read_csv(generated.root / "truth" / "results.csv", dtype={"local_student_id": str})
    truth = truth[truth["source_file"].str.startswith("nwea_map/")]
    expected = sorted(
        zip(truth["source_file"], truth["source_row"], truth["local_student_id"], truth["measure_id"],
            truth["assessment_date"], truth["scale_score"], truth["percentile"].astype(float))
    )
    loaded = generated.con.execute(
        "select source_file, source_row, vendor_student_id, measure_id, strftime(assessment_date, '%Y-%m-%d'), "
        "scale_score, percentile from raw.nwea_map_results order by all"
    ).fetchall()
    assert loaded == expected


def test_generated_map_rows_carry_the_term_school_year_and_typical_growth(generated):
    rows = generated.con.execute(
        "select distinct reported_period, reported_school_year from raw.nwea_map_results order by 2, 1"
    ).fetchall()
    terms = ("Fall", "Spring", "Winter")
    assert rows == [(f"{term} {year - 1}-{year}", year) for year in (2025, 2026) for term in terms]
    missing_growth = generated.con.execute(
        "select count(*) from raw.nwea_map_results where typical_growth is null"
    ).fetchone()[0]
    assert missing_growth == 0


# ---- hand-written files, one per layout variant ------------------------------------------

RESULT = {
    "TermName": "Fall 2021-2022",
    "DistrictName": "Grand Bend",
    "SchoolName": "Grand Bend Elementary",
    "School_StateID": "255901001",
    "StudentID": "604821",
    "Student_StateID": "1000604821",
    "Subject": "Reading",
    "TestType": "Survey With Goals",
    "TestName": "Growth: Reading 2-5 CCSS 2010",
    "TestID": "200101",
    "TestStartDate": "09/16/2021",
    "TestStartTime": "08:54:50",
    "TestRITScore": "195",
    "TestStandardError": "3.20",
    "TestPercentile": "41",
    "AchievementQuintile": "Avg",
    "TypicalFallToSpringGrowth": "9",
    "LexileScore": "560L",
}


def test_assessment_results_current_layout(tmp_path):
    math = {**RESULT, "Subject": "Mathematics", "TestID": "200102", "TestRITScore": "201", "TestPercentile": "55"}
    rows = [RESULT, math]
    con, outcome = ingest_one(tmp_path, "AssessmentResults.csv", MAP_ASSESSMENT_RESULTS_HEADER, rows)
    assert outcome.file_format == "nwea_map_assessment_results"
    assert (outcome.rows_loaded, outcome.rows_rejected, outcome.new_columns, outcome.missing_columns) == (2, 0, [], [])
    assert raw(con, "vendor_student_id, state_student_id, school_ref, measure_id, scale_score, percentile, "
                    "standard_error, vendor_level, typical_growth, reported_school_year") == [
        ("604821", "1000604821", "255901001", "map_reading", 195.0, 41.0, 3.2, "Avg", 9.0, 2022),
        ("604821", "1000604821", "255901001", "map_math", 201.0, 55.0, 3.2, "Avg", 9.0, 2022),
    ]


def test_combined_current_layout_reads_the_roster_grade(tmp_path):
    row = {**RESULT, "StudentLastName": "Rivera", "StudentFirstName": "Ana", "Grade": "KG"}
    rows = [row, {**row, "StudentID": "604822", "Grade": "3"}]
    con, outcome = ingest_one(tmp_path, "ComboStudentAssessment.csv", MAP_COMBO_HEADER, rows)
    assert outcome.file_format == "nwea_map_combined"
    assert (outcome.rows_loaded, outcome.new_columns, outcome.missing_columns) == (2, [], [])
    assert raw(con, "vendor_student_id, enrolled_grade, assessed_grade, measure_id") == [
        ("604821", 0, 0, "map_reading"),
        ("604822", 3, 3, "map_reading"),
    ]


def test_older_measurement_scale_column_names_the_subject(tmp_path):
    header = tuple("MeasurementScale" if c == "Subject" else c for c in MAP_ASSESSMENT_RESULTS_HEADER)
    rows = [
        {**RESULT, "MeasurementScale": "Language Usage", "TestID": "1"},
        {**RESULT, "MeasurementScale": "Science - General Science", "TestID": "2"},
        {**RESULT, "MeasurementScale": "Mathematics", "TestID": "3"},
    ]
    assert [f.name for f in matching_formats(list(header))] == ["nwea_map_assessment_results"]
    con, outcome = ingest_one(tmp_path, "AssessmentResults.csv", header, rows)
    assert (outcome.rows_loaded, outcome.new_columns, outcome.missing_columns) == (3, [], [])
    assert [r[0] for r in raw(con, "measure_id")] == ["map_language_usage", "map_science", "map_math"]


def test_pre_lexile_2013_layout_with_measurement_scale_and_discipline(tmp_path):
    base = {
        "TermName": "Fall 2013-2014", "StudentID": "F08000002", "SchoolName": "Mt. Bachelor Middle School",
        "GrowthMeasureYN": "TRUE", "TestType": "Survey With Goals", "TestDurationMinutes": "60",
        "TestStandardError": "2.7", "TestStartTime": "9:00:00 AM", "PercentCorrect": "53",
    }
    rows = [
        {**base, "MeasurementScale": "Mathematics", "Discipline": "Mathematics", "TestID": "122234707",
         "TestStartDate": "9/16/2013", "TestRITScore": "209", "TestPercentile": "25",
         "TypicalFallToFallGrowth": "6", "TypicalFallToSpringGrowth": "6", "TypicalFallToWinterGrowth": "3"},
        {**base, "MeasurementScale": "Reading", "Discipline": "Reading", "TestID": "122234710",
         "TestStartDate": "9/19/2013", "TestRITScore": "217", "TestPercentile": "63",
         "TypicalFallToSpringGrowth": "4",
         "RITtoReadingScore": "907", "RITtoReadingMin": "807", "RITtoReadingMax": "957"},
        {**base, "MeasurementScale": "Language Usage", "Discipline": "Language", "TestID": "122234708",
         "TestStartDate": "9/13/2013", "TestRITScore": "215", "TestPercentile": "58"},
        # filed under the fall 2013-2014 term but dated in the next school year
        {**base, "MeasurementScale": "Science - General Science", "Discipline": "Science", "TestID": "122222533",
         "TestStartDate": "9/17/2014", "TestRITScore": "194", "TestPercentile": "25"},
    ]
    header = list(MAP_2013_ASSESSMENT_RESULTS_HEADER)
    assert [f.name for f in matching_formats(header)] == ["nwea_map_2013_assessment_results"]
    # the demo calendar starts in 2018; this district's starts with school year 2014
    rules = replace(RULES, first_school_year=2014)
    con, outcome = ingest_one(tmp_path, "CombinedAssessmentResults.csv", header, rows, quote_all=False, rules=rules)
    assert outcome.file_format == "nwea_map_2013_assessment_results"
    assert (outcome.new_columns, outcome.missing_columns) == ([], [])
    assert (outcome.rows_loaded, outcome.rows_rejected) == (3, 1)
    assert outcome.rejections == {("date_outside_school_year", "TestStartDate"): 1}
    assert raw(con, "vendor_student_id, measure_id, strftime(assessment_date, '%Y-%m-%d'), "
                    "assessment_time::varchar, scale_score, percentile, typical_growth, vendor_level") == [
        ("F08000002", "map_math", "2013-09-16", "09:00:00", 209.0, 25.0, 6.0, None),
        ("F08000002", "map_reading", "2013-09-19", "09:00:00", 217.0, 63.0, 4.0, None),
        ("F08000002", "map_language_usage", "2013-09-13", "09:00:00", 215.0, 58.0, None, None),
    ]


def test_twelve_hour_start_times_are_read(tmp_path):
    rows = [
        {**RESULT, "TestStartTime": "9:00:00 AM", "TestID": "1"},
        {**RESULT, "TestStartTime": "1:05:00 PM", "TestID": "2", "Subject": "Mathematics"},
        {**RESULT, "TestStartTime": "08:54:50", "TestID": "3", "Subject": "Language Usage"},
    ]
    con, outcome = ingest_one(tmp_path, "AssessmentResults.csv", MAP_ASSESSMENT_RESULTS_HEADER, rows)
    assert outcome.rows_loaded == 3
    assert [r[0] for r in raw(con, "assessment_time::varchar")] == ["09:00:00", "13:05:00", "08:54:50"]
