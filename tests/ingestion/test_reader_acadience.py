"""Acadience Reading reader: the 141-column benchmark export lands in raw.acadience_results, one row
per measure given, dated by its own block and levelled by the Status the file states."""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from definitions import load_definitions
from ingestion.files import read_header
from ingestion.formats import matching_formats
from ingestion.formats.headers import ACADIENCE_READING_HEADER
from ingestion.load import IngestRules, IngestSummary, ingest_landing
from synthetic import generate_district

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
DEFINITIONS = load_definitions(CONFIG_DIR)
RULES = IngestRules.from_definitions(DEFINITIONS)


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
    shutil.copytree(root / "landing" / "acadience", root / "family" / "acadience")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    return Ingested(root, con, ingest_landing(con, root / "family", rules=RULES))


def test_generated_export_is_read_as_the_acadience_layout_only(generated):
    (outcome,) = generated.summary.files
    assert outcome.source_file == "acadience/benchmark_data_2025_2026.csv"
    header = read_header(generated.root / "family" / outcome.source_file)
    assert len(header) == 141
    assert [f.name for f in matching_formats(header)] == ["acadience_reading_benchmark"]


def test_generated_export_loads_every_row_with_no_drift(generated):
    (outcome,) = generated.summary.files
    assert outcome.status == "loaded"
    assert outcome.rows_read == outcome.rows_loaded > 0
    assert outcome.rows_rejected == 0
    assert (outcome.new_columns, outcome.missing_columns) == ([], [])


def test_generated_results_equal_the_truth(generated):
    truth = pd.read_csv(generated.root / "truth" / "results.csv", dtype={"local_student_id": str, "school_id": str})
    truth = truth[truth["source_file"].str.startswith("acadience/")].astype(object)
    truth = truth.where(truth.notna(), None)
    expected = sorted(
        zip(truth["source_row"], truth["local_student_id"], truth["measure_id"], truth["assessment_date"],
            truth["scale_score"], truth["percentile"].astype(float), truth["performance_level"],
            truth["enrolled_grade"], truth["school_id"]),
        key=repr,
    )
    loaded = generated.con.execute(
        "select source_row, vendor_student_id, measure_id, strftime(assessment_date, '%Y-%m-%d'), scale_score, "
        "percentile, vendor_level, enrolled_grade, school_ref from raw.acadience_results"
    ).fetchall()
    assert sorted(loaded, key=repr) == expected


def test_every_status_is_a_descriptor_of_the_acadience_set(generated):
    statuses = {row[0] for row in generated.con.execute(
        "select distinct vendor_level from raw.acadience_results where vendor_level is not null").fetchall()}
    sets = DEFINITIONS.descriptor_sets
    descriptors = set(sets.loc[sets["descriptor_set"] == "acadience_status", "descriptor"])
    assert statuses == descriptors == {"well below benchmark", "below benchmark", "at benchmark", "above benchmark"}


def test_generated_lnf_has_no_level_and_the_composite_is_dated_last(generated):
    lnf_levels = generated.con.execute(
        "select count(*), count(vendor_level) from raw.acadience_results where measure_id = 'acadience_lnf'"
    ).fetchone()
    assert lnf_levels[0] > 0 and lnf_levels[1] == 0
    late = generated.con.execute(
        """
        select count(*) from raw.acadience_results c join raw.acadience_results m using (source_row)
        where c.measure_id = 'acadience_composite' and m.assessment_date > c.assessment_date
        """
    ).fetchone()[0]
    assert late == 0


# ---- a hand-written export -----------------------------------------------------------------

ROW = {
    "School Year": "2024-2025",
    "District Name": "Apple Grove Unified Schools",
    "School Name": "Bonsai Elementary School",
    "School SIS ID": "100",
    "Student Number": "13259",
    "Student State ID": "9013259",
    "Student SIS ID": "13259",
    "Student Grade Level": "3",
    "Benchmark Period": "beginning",
    "ORF Date": "21-08-2024",
    "ORF WC Score": "82",
    "ORF WC Status": "at benchmark",
    "ORF WC National Percentile": "51",
    "ORF Errors": "1",
    "ORF Accuracy Score": "99",
    "ORF Accuracy Status": "above benchmark",
    "ORF Accuracy National Percentile": "85",
    "Maze Date": "22-08-2024",
    "Maze Adjusted Score": "2",
    "Maze Status": "well below benchmark",
    "Maze National Percentile": "14",
    "Reading Composite Date": "22-08-2024",
    "Reading Composite Score": "254",
    "Reading Composite Status": "at benchmark",
    "Reading Composite National Percentile": "46",
}


def ingest_rows(tmp_path: Path, rows: list[dict[str, str]]):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ACADIENCE_READING_HEADER)
    for row in rows:
        writer.writerow([row.get(column, "") for column in ACADIENCE_READING_HEADER])
    path = tmp_path / "landing" / "acadience" / "Acadience_24-25.csv"
    path.parent.mkdir(parents=True)
    path.write_text(out.getvalue(), encoding="utf-8")
    con = duckdb.connect()
    (outcome,) = ingest_landing(con, tmp_path / "landing", rules=RULES).files
    return con, outcome


def test_hand_written_export_reads_block_dates_statuses_and_both_date_styles(tmp_path):
    kindergarten = {
        "School Year": "2023-2024", "School SIS ID": "100", "Student Number": "11561", "Student Grade Level": "K",
        "Benchmark Period": "end",
        "LNF Date": "05/10/2024", "LNF Score": "52", "LNF National Percentile": "70",
        # PSF given without its own date: it takes the composite's date
        "PSF Score": "48", "PSF Status": "at benchmark", "PSF National Percentile": "60",
        "Reading Composite Date": "05/15/2024", "Reading Composite Score": "148",
        "Reading Composite Status": "above benchmark", "Reading Composite National Percentile": "Tested Out",
    }
    con, outcome = ingest_rows(tmp_path, [ROW, kindergarten])
    assert outcome.file_format == "acadience_reading_benchmark"
    assert (outcome.rows_loaded, outcome.rows_rejected, outcome.new_columns, outcome.missing_columns) == (2, 0, [], [])
    rows = con.execute(
        "select vendor_student_id, enrolled_grade, measure_id, strftime(assessment_date, '%Y-%m-%d'), scale_score, "
        "percentile, vendor_level, reported_period, reported_school_year "
        "from raw.acadience_results order by source_row, measure_id"
    ).fetchall()
    assert rows == [
        ("13259", 3, "acadience_composite", "2024-08-22", 254.0, 46.0, "at benchmark", "beginning", 2025),
        ("13259", 3, "acadience_maze", "2024-08-22", 2.0, 14.0, "well below benchmark", "beginning", 2025),
        ("13259", 3, "acadience_orf", "2024-08-21", 82.0, 51.0, "at benchmark", "beginning", 2025),
        ("13259", 3, "acadience_orf_accuracy", "2024-08-21", 99.0, 85.0, "above benchmark", "beginning", 2025),
        ("11561", 0, "acadience_composite", "2024-05-15", 148.0, None, "above benchmark", "end", 2024),
        ("11561", 0, "acadience_lnf", "2024-05-10", 52.0, 70.0, None, "end", 2024),
        ("11561", 0, "acadience_psf", "2024-05-15", 48.0, 60.0, "at benchmark", "end", 2024),
    ]


def test_a_row_with_no_score_at_all_is_rejected(tmp_path):
    identity = ("School Year", "School SIS ID", "Student Number", "Student Grade Level", "Benchmark Period")
    empty = {key: ROW[key] for key in identity}
    con, outcome = ingest_rows(tmp_path, [ROW, empty])
    assert (outcome.rows_loaded, outcome.rows_rejected) == (1, 1)
    assert outcome.rejections == {("no_scores", "scores"): 1}
