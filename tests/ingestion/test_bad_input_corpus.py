"""The bad-input corpus (tests/fixtures/bad_input): every file is loaded or rejected with the
reason and row expected in expected.json, and no row goes unaccounted for."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from definitions import load_definitions
from ingestion.dry_run import dry_run
from ingestion.formats import RESULT_TABLES
from ingestion.load import IngestRules, ingest_landing

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "bad_input"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
# The corpus is checked as if loaded on this day, so its future-dated row stays in the future.
LOAD_DAY = date(2026, 12, 1)
RULES = IngestRules.from_definitions(load_definitions(ROOT / "config"), today=LOAD_DAY)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    database = tmp_path_factory.mktemp("corpus") / "build.duckdb"
    con = duckdb.connect(str(database))
    ingest_landing(con, CORPUS / "landing", rules=RULES)
    yield con
    con.close()


def _manifest(con) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in con.execute(
            "select source_file, status, rows_read, rows_loaded, rows_rejected from raw.file_manifest"
        ).fetchall()
    }


def test_every_file_of_the_corpus_gets_the_expected_outcome(ingested):
    manifest = _manifest(ingested)
    recorded = {name for name, e in EXPECTED.items() if e["status"] != "already_loaded"}
    assert set(manifest) == recorded
    for name in recorded:
        e = EXPECTED[name]
        assert manifest[name] == (e["status"], e["rows_read"], e["rows_loaded"], e["rows_rejected"]), name


def test_each_rejected_row_names_its_file_row_column_and_reason(ingested):
    for name, e in EXPECTED.items():
        if e["status"] != "loaded":
            continue
        found: dict[str, list[int]] = {}
        for code, row, message, column in ingested.execute(
            "select reason_code, source_row, message, column_name from raw.rejected_rows where source_file = ? "
            "order by source_row",
            [name],
        ).fetchall():
            found.setdefault(code, []).append(row)
            assert message.startswith(f"{name} row {row} column '{column}': ")
        assert found == e["reasons"], name


def test_a_file_rejected_whole_has_one_reason_and_no_row(ingested):
    for name, e in EXPECTED.items():
        if e["status"] != "rejected":
            continue
        rows = ingested.execute(
            "select reason_code, source_row from raw.rejected_rows where source_file = ?", [name]
        ).fetchall()
        assert rows == [(next(iter(e["reasons"])), None)], name


def test_a_file_rejected_for_its_columns_names_them(ingested):
    named = {name: e["names"] for name, e in EXPECTED.items() if "names" in e}
    assert named  # the corpus has such files
    for name, columns in named.items():
        message = ingested.execute(
            "select message from raw.rejected_rows where source_file = ?", [name]
        ).fetchone()[0]
        assert columns in message.split(": ", 1)[1], (name, message)


def test_no_row_of_the_corpus_is_unaccounted_for(ingested):
    read, loaded, rejected = ingested.execute(
        "select sum(rows_read), sum(rows_loaded), sum(rows_rejected) from raw.file_manifest"
    ).fetchone()
    assert read == loaded + rejected == sum(e["rows_read"] for e in EXPECTED.values())
    # every raw table of loaded rows: results and the school-defined records
    tables = [row[0] for row in ingested.execute(
        "select table_name from information_schema.columns where table_schema = 'raw' and column_name = 'source_row' "
        "and table_name <> 'rejected_rows'"
    ).fetchall()]
    assert set(RESULT_TABLES) <= set(tables) and "school_interventions" in tables
    in_raw = sum(
        ingested.execute(f"select count(distinct (source_file, source_row)) from raw.{table}").fetchone()[0]
        for table in tables
    )
    assert in_raw == loaded
    rejected_rows = ingested.execute(
        "select count(distinct (source_file, source_row)) from raw.rejected_rows where source_row is not null"
    ).fetchone()[0]
    whole_files = sum(e["rows_rejected"] for e in EXPECTED.values() if e["status"] == "rejected")
    assert rejected_rows + whole_files == rejected


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if "school_names" in e])
def test_text_in_any_encoding_reads_back_the_same(ingested, name):
    names = [
        row[0]
        for row in ingested.execute(
            "select school_name from raw.nwea_map_results where source_file = ? order by source_row", [name]
        ).fetchall()
    ]
    assert names == EXPECTED[name]["school_names"]


def test_a_workbook_date_cell_and_number_cell_load_as_values(ingested):
    rows = ingested.execute(
        "select vendor_student_id, assessment_date::varchar, scale_score from raw.nwea_map_results "
        "where source_file = 'xlsx/map_results.xlsx' order by source_row"
    ).fetchall()
    assert rows == [("605030", "2021-09-20", 211.0), ("605032", "2021-09-20", 211.0)]


def test_a_grade_written_as_words_is_understood(ingested):
    grades = ingested.execute(
        "select enrolled_grade, assessed_grade from raw.mclass_dibels8_results where source_file = 'dibels/benchmark.csv'"
    ).fetchall()
    assert grades == [(0, 0)]  # the K row; the "Grade Two" row is out of scale, the empty one has no score
    percentile = ingested.execute(
        "select percentile from raw.mclass_dibels8_results where source_file = 'dibels/benchmark.csv'"
    ).fetchone()[0]
    assert percentile is None  # "Tested Out" is not a percentile


def test_a_dry_run_reports_the_same_outcomes_and_writes_nothing(tmp_path):
    warehouse_db = tmp_path / "build.duckdb"
    result = dry_run(CORPUS / "landing", warehouse_db, RULES)
    assert not warehouse_db.exists()
    outcomes = {f.source_file: (f.status, f.rows_read, f.rows_loaded, f.rows_rejected) for f in result.summary.files}
    for name, e in EXPECTED.items():
        assert outcomes[name] == (e["status"], e["rows_read"], e["rows_loaded"], e["rows_rejected"]), name
    assert len([r for r in result.rejections if r[1] is not None]) == sum(
        len(rows) for e in EXPECTED.values() if e["status"] == "loaded" for rows in e["reasons"].values()
    )


def test_a_dry_run_after_a_load_sees_every_file_as_already_loaded(tmp_path):
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        ingest_landing(con, CORPUS / "landing", rules=RULES)
    before = database.stat().st_mtime_ns
    result = dry_run(CORPUS / "landing", database, RULES)
    assert {f.status for f in result.summary.files} == {"already_loaded"}
    assert database.stat().st_mtime_ns == before


def test_a_corrected_re_export_retires_the_earlier_delivery(tmp_path):
    landing = tmp_path / "landing"
    (landing / "map").mkdir(parents=True)
    original = (CORPUS / "landing" / "map" / "row_problems.csv").read_text()
    (landing / "map" / "results.csv").write_text(original)
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        first = ingest_landing(con, landing, rules=RULES).files[0]
        corrected = original.replace('"2x3"', "203").replace(",2x3,", ",203,")
        (landing / "map" / "results.csv").write_text(corrected)
        second = ingest_landing(con, landing, rules=RULES).files[0]
        assert (first.rows_loaded, second.rows_loaded) == (2, 3)
        assert second.supersedes == [con.execute(
            "select file_sha256 from raw.file_manifest where rows_loaded = 2"
        ).fetchone()[0]]
        # the older rows stay in raw; the superseded list says they no longer count
        live = con.execute(
            "select count(*) from raw.nwea_map_results "
            "where file_sha256 not in (select file_sha256 from raw.superseded_files)"
        ).fetchone()[0]
        kept = con.execute("select count(*) from raw.nwea_map_results").fetchone()[0]
    assert (live, kept) == (3, 5)


def test_a_file_copied_into_the_landing_folder_again_is_not_loaded_twice(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(CORPUS / "landing" / "map", landing / "map")
    with duckdb.connect() as con:
        summary = ingest_landing(con, landing, rules=RULES)
        statuses = {f.source_file: f.status for f in summary.files}
        assert statuses["map/zz_row_problems_again.csv"] == "already_loaded"
        assert con.execute("select count(*) from raw.nwea_map_results").fetchone()[0] == 2


# Reasons that need a file of megabytes, made at run time in test_hostile_input.py instead.
MADE_AT_RUN_TIME = {"header_too_wide", "row_too_wide"}


def test_the_corpus_shows_every_reason_the_readme_documents():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("**What is rejected, and why.**", 1)[1].split("\n\n", 2)[1]
    documented = set(re.findall(r"`([a-z_]+)`", "\n".join(line.split("|")[1] for line in table.splitlines()[2:])))
    shown = {reason for outcome in EXPECTED.values() for reason in outcome["reasons"]}
    assert len(documented) > 25
    assert documented - MADE_AT_RUN_TIME - shown == set()
    assert shown - documented == set()
