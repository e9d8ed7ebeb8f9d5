"""i-Ready Diagnostic results: the ELA and math exports are recognised by their domain columns and
every diagnostic lands in raw.iready_results as the synthetic district's truth says."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from definitions import load_definitions
from ingestion.files import read_header
from ingestion.formats import matching_formats
from ingestion.formats.base import alternatives
from ingestion.formats.iready import IREADY_ELA_HEADER, IREADY_MATH_HEADER
from ingestion.load import IngestRules, ingest_landing
from synthetic import generate_district

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
FAMILY = "iready"


def rules() -> IngestRules:
    return IngestRules.from_definitions(load_definitions(CONFIG_DIR))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A small district's i-Ready files ingested on their own into a fresh warehouse file."""
    out = tmp_path_factory.mktemp("district")
    generate_district(out, students=300, schools=3, years=2, seed=5)
    landing = out / "family"
    shutil.copytree(out / "landing" / FAMILY, landing / FAMILY)
    con = duckdb.connect(str(out / "warehouse.duckdb"))
    summary = ingest_landing(con, landing, rules=rules())
    truth = pd.read_csv(out / "truth" / "results.csv", dtype={"local_student_id": str, "school_id": str})
    return con, summary, truth[truth["source_file"].str.startswith(f"{FAMILY}/")], landing


def write_file(root: Path, relative: str, header: list[str], rows: list[dict[str, str]]) -> None:
    """A CSV as i-Ready writes it: UTF-8 with a byte-order mark, CRLF line ends."""
    lines = [",".join(header)] + [",".join(row.get(c, "") for c in header) for row in rows]
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))


def test_the_ela_and_math_files_are_read_as_their_own_layout(generated):
    _, summary, _, landing = generated
    formats = {f.source_file: f.file_format for f in summary.files}
    assert formats == {
        "iready/diagnostic_results_ela_2025.csv": "iready_diagnostic_ela",
        "iready/diagnostic_results_math_2025.csv": "iready_diagnostic_math",
    }
    for relative in formats:
        assert len(matching_formats(read_header(landing / relative))) == 1


def test_every_row_loads_and_no_column_drifts(generated):
    _, summary, truth, _ = generated
    for outcome in summary.files:
        assert outcome.status == "loaded"
        assert outcome.rows_read == outcome.rows_loaded + outcome.rows_rejected
        assert outcome.rows_rejected == 0
        assert (outcome.new_columns, outcome.missing_columns) == ([], [])
    assert sum(f.rows_loaded for f in summary.files) == len(truth)


def test_raw_rows_equal_the_truth(generated):
    con, _, truth, _ = generated
    raw = con.execute(
        """
        select source_file, source_row, vendor_student_id, measure_id, assessment_date, enrolled_grade,
               scale_score, percentile, vendor_level, reported_school_year
        from raw.iready_results order by source_file, source_row
        """
    ).df()
    expected = truth.sort_values(["source_file", "source_row"]).reset_index(drop=True)
    assert raw["vendor_student_id"].tolist() == expected["local_student_id"].tolist()
    assert raw["measure_id"].tolist() == expected["measure_id"].tolist()
    assert raw["assessment_date"].astype(str).tolist() == expected["assessment_date"].astype(str).tolist()
    assert raw["enrolled_grade"].tolist() == expected["enrolled_grade"].tolist()
    assert raw["scale_score"].tolist() == expected["scale_score"].tolist()
    assert raw["percentile"].tolist() == expected["percentile"].astype(float).tolist()
    # the performance level is the file's relative placement, as the truth states it
    assert raw["vendor_level"].tolist() == expected["performance_level"].tolist()
    assert set(raw["reported_school_year"]) == {2026}


def test_every_level_written_is_a_descriptor_of_the_relative_placement_set(generated):
    _, _, truth, _ = generated
    definitions = load_definitions(CONFIG_DIR)
    sets = definitions.descriptor_sets
    placements = set(sets.loc[sets["descriptor_set"] == "iready_relative_placement", "descriptor"])
    assert set(truth["performance_level"]) == placements
    measures = definitions.measures.set_index("measure_id")
    assert measures.loc[["iready_reading", "iready_math"], "level_basis"].tolist() == ["vendor_level"] * 2


def test_diagnostics_come_three_a_year_with_a_baseline_first(generated):
    _, _, _, landing = generated
    frame = pd.read_csv(
        landing / "iready/diagnostic_results_ela_2025.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False
    )
    per_student = frame.groupby("Student ID")
    assert per_student.size().max() == 3
    assert (per_student["Baseline Diagnostic (Y/N)"].first() == "Y").all()
    assert (per_student["Most Recent Diagnostic YTD (Y/N)"].last() == "Y").all()
    assert frame["Norming Window"].str.startswith(("Fall (", "Winter (", "Spring (")).all()
    assert frame["Completion Date"].str.fullmatch(r"\d{1,2}/\d{1,2}/20\d\d").all()


def test_an_older_export_with_renamed_columns_reads_the_same(tmp_path):
    # older names: the gain column's note and "Reading Comprehension: ..." domains
    header = [alternatives(c)[-1] for c in IREADY_ELA_HEADER]
    assert "Diagnostic Gain (Note: Negative Gains = Zero)" in header
    row = {
        "Student ID": "605001", "Student Grade": "K", "Academic Year": "2025-2026", "School": "School 1",
        "School State ID": "255901101", "Completion Date": "1/13/2026", "Start Date": "1/12/2026",
        "Norming Window": "Winter (November 16 - March 1)", "Overall Scale Score": "424",
        "Overall Relative Placement": "1 Grade Level Below", "Percentile": "10",
        "Annual Typical Growth Measure": "33", "Annual Stretch Growth Measure": "63",
        "Diagnostic Gain (Note: Negative Gains = Zero)": "0", "Reading Comprehension: Overall Scale Score": "438",
    }
    late = dict(row, **{"Student ID": "605002", "Completion Date": "7/2/2026"})
    write_file(tmp_path / "landing", "iready/diagnostic_results_ela.csv", header, [row, late])
    con = duckdb.connect()
    (outcome,) = ingest_landing(con, tmp_path / "landing", rules=rules()).files
    assert outcome.file_format == "iready_diagnostic_ela"
    assert (outcome.new_columns, outcome.missing_columns) == ([], [])
    assert con.execute(
        """
        select vendor_student_id, measure_id, assessment_date::varchar, enrolled_grade, reported_period,
               reported_school_year, scale_score, percentile, vendor_level, typical_growth, stretch_growth, school_ref
        from raw.iready_results
        """
    ).fetchall() == [
        ("605001", "iready_reading", "2026-01-13", 0, "Winter (November 16 - March 1)", 2026, 424.0, 10.0,
         "1 Grade Level Below", 33.0, 63.0, "255901101"),
    ]
    # a completion date after the stated academic year is refused, naming the column
    assert con.execute("select source_row, column_name, reason_code from raw.rejected_rows").fetchall() == [
        (3, "Completion Date", "date_outside_school_year"),
    ]


def test_a_math_export_is_iready_math(tmp_path):
    header = [alternatives(c)[0] for c in IREADY_MATH_HEADER]
    row = {
        "Student ID": "605003", "Student Grade": "6", "Academic Year": "2025-2026", "Completion Date": "8/28/2025",
        "Norming Window": "Fall (Beginning of Year - November 15)", "Overall Scale Score": "496",
        "Overall Relative Placement": "Early On Grade Level", "Percentile": "74",
        "Number and Operations Scale Score": "486",
    }
    write_file(tmp_path / "landing", "iready/diagnostic_results_math.csv", header, [row])
    con = duckdb.connect()
    (outcome,) = ingest_landing(con, tmp_path / "landing", rules=rules()).files
    assert (outcome.file_format, outcome.rows_loaded) == ("iready_diagnostic_math", 1)
    assert con.execute(
        "select measure_id, enrolled_grade, scale_score, vendor_level from raw.iready_results"
    ).fetchall() == [("iready_math", 6, 496.0, "Early On Grade Level")]
