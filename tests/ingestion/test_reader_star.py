"""Renaissance Star: SR, SM and SEL files (in the district's zip) are told apart by their subject
columns, keyed by the district's student ID, and land in raw.star_results as the truth says."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from definitions import load_definitions
from ingestion.formats import matching_formats
from ingestion.formats.star import STAR_EARLY_LITERACY_HEADER, STAR_MATH_HEADER, STAR_READING_HEADER
from ingestion.load import IngestRules, ingest_landing
from synthetic import generate_district

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
FAMILY = "renaissance"
ARCHIVE = "renaissance/Riverbend Unified School District.zip"


def rules() -> IngestRules:
    return IngestRules.from_definitions(load_definitions(CONFIG_DIR))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A small district's Star zip ingested on its own into a fresh warehouse file."""
    out = tmp_path_factory.mktemp("district")
    generate_district(out, students=300, schools=3, years=2, seed=5)
    landing = out / "family"
    shutil.copytree(out / "landing" / FAMILY, landing / FAMILY)
    con = duckdb.connect(str(out / "warehouse.duckdb"))
    summary = ingest_landing(con, landing, rules=rules())
    truth = pd.read_csv(out / "truth" / "results.csv", dtype={"local_student_id": str, "school_id": str})
    return con, summary, truth[truth["source_file"].str.startswith(f"{FAMILY}/")], landing


def csv_text(header: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    lines = [",".join(header)] + [",".join(row.get(c, "") for c in header) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def test_each_zip_member_is_read_as_its_product(generated):
    _, summary, _, landing = generated
    assert {f.source_file: f.file_format for f in summary.files} == {
        f"{ARCHIVE}/SEL.csv": "star_early_literacy",
        f"{ARCHIVE}/SM.csv": "star_math",
        f"{ARCHIVE}/SR.csv": "star_reading",
    }
    with zipfile.ZipFile(landing / ARCHIVE) as zipped:
        assert sorted(zipped.namelist()) == ["SEL.csv", "SM.csv", "SR.csv"]
        for name in zipped.namelist():
            header = zipped.read(name).decode("utf-8").splitlines()[0].split(",")
            assert len(matching_formats(header)) == 1


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
               scale_score, percentile, reported_period, school_ref
        from raw.star_results order by source_file, source_row
        """
    ).df()
    expected = truth.sort_values(["source_file", "source_row"]).reset_index(drop=True)
    assert raw["source_row"].tolist() == expected["source_row"].tolist()
    assert raw["vendor_student_id"].tolist() == expected["local_student_id"].tolist()
    assert raw["measure_id"].tolist() == expected["measure_id"].tolist()
    assert raw["assessment_date"].astype(str).tolist() == expected["assessment_date"].astype(str).tolist()
    assert raw["enrolled_grade"].tolist() == expected["enrolled_grade"].tolist()
    assert raw["scale_score"].tolist() == expected["scale_score"].tolist()
    assert raw["percentile"].tolist() == expected["percentile"].astype(float).tolist()
    assert raw["reported_period"].tolist() == expected["window_name"].tolist()
    assert raw["school_ref"].tolist() == expected["school_id"].tolist()


def test_truth_levels_are_the_configured_percentile_bands(generated):
    _, _, truth, _ = generated
    cuts = load_definitions(CONFIG_DIR).cut_scores
    star = cuts[cuts["measure_id"].str.startswith("star_")]
    bands = star.merge(
        truth, left_on=["measure_id", "grade_level", "window_name"], right_on=["measure_id", "enrolled_grade", "window_name"]
    )
    inside = bands[(bands["percentile"] >= bands["min_score"]) & (bands["percentile"] <= bands["max_score"])]
    assert len(inside) == len(truth)
    assert (inside["level"] == inside["performance_level"]).all()
    assert set(truth["performance_level"]) == {"Urgent Intervention", "Intervention", "On Watch", "At/Above Benchmark"}


def test_the_default_benchmarks_band_every_percentile_rank_once():
    cuts = load_definitions(CONFIG_DIR).cut_scores
    reading = cuts[(cuts["measure_id"] == "star_reading") & (cuts["grade_level"] == 3) & (cuts["window_name"] == "Winter")]
    assert reading[["level", "min_score", "max_score"]].values.tolist() == [
        ["Urgent Intervention", 1, 9], ["Intervention", 10, 24], ["On Watch", 25, 39], ["At/Above Benchmark", 40, 99],
    ]


def test_the_renaissance_guid_is_not_the_student_id(tmp_path):
    """StudentSourcedID (the district's ID) is read; an export without the local time uses the UTC date."""
    header = tuple(c for c in STAR_MATH_HEADER if c != "CompletedDateLocal")
    row = {
        "SchoolYear": "2025-2026", "StudentRenaissanceID": "00000000-0000-0000-0000-000000000001",
        "StudentSourcedID": "00001", "StudentStateID": "00000001", "SchoolStateID": "255901102", "Grade": "K",
        "CompletedDate": "2025-09-18T17:34:09.256Z", "ScreeningPeriodWindowName": "Fall", "ScaledScore": "8",
        "UnifiedScore": "615", "PercentileRank": "27", "Quantile": "EM840Q", "RenaissanceBenchmarkCategoryName": "On Watch",
    }
    archive = tmp_path / "landing" / "renaissance" / "District One.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("SM.csv", csv_text(header, [row]))
    con = duckdb.connect()
    (outcome,) = ingest_landing(con, tmp_path / "landing", rules=rules()).files
    assert (outcome.source_file, outcome.file_format) == ("renaissance/District One.zip/SM.csv", "star_math")
    assert outcome.missing_columns == ["CompletedDateLocal"]
    assert con.execute(
        """
        select vendor_student_id, state_student_id, measure_id, assessment_date::varchar, enrolled_grade,
               scale_score, percentile, vendor_level, reported_school_year
        from raw.star_results
        """
    ).fetchall() == [("00001", "00000001", "star_math", "2025-09-18", 0, 615.0, 27.0, "On Watch", 2026)]


def test_reading_and_early_literacy_files_differ_by_their_subject_columns(tmp_path):
    base = {
        "SchoolYear": "2025-2026", "StudentRenaissanceID": "g-1", "StudentSourcedID": "605001", "Grade": "1",
        "CompletedDate": "2026-01-12T17:09:01.929Z", "CompletedDateLocal": "2026-01-12T11:09:01.929Z",
        "UnifiedScore": "775", "PercentileRank": "66",
    }
    landing = tmp_path / "landing" / "renaissance"
    landing.mkdir(parents=True)
    (landing / "SR.csv").write_text(csv_text(STAR_READING_HEADER, [dict(base, InstructionalReadingLevel="PP")]))
    early = dict(base, LiteracyClassification="Transitional Reader")
    (landing / "SEL.csv").write_text(csv_text(STAR_EARLY_LITERACY_HEADER, [early]))
    con = duckdb.connect()
    summary = ingest_landing(con, tmp_path / "landing", rules=rules())
    assert {f.source_file: f.file_format for f in summary.files} == {
        "renaissance/SEL.csv": "star_early_literacy", "renaissance/SR.csv": "star_reading",
    }
    assert con.execute(
        "select source_file, measure_id, assessment_date::varchar from raw.star_results order by source_file"
    ).fetchall() == [
        ("renaissance/SEL.csv", "star_early_literacy", "2026-01-12"),
        ("renaissance/SR.csv", "star_reading", "2026-01-12"),
    ]
