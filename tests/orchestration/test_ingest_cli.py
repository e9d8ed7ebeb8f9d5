"""`spt ingest`: a dry run reports outcomes and writes nothing; a real ingest loads the raw tables."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tests.conftest import spt

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "bad_input"


def test_dry_run_reports_each_file_and_rejection_without_writing(tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    result = spt("ingest", str(CORPUS / "landing"), "--dry-run", "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not warehouse.exists()
    expected = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    total = sum(e["rows_read"] for e in expected.values())
    loaded = sum(e["rows_loaded"] for e in expected.values())
    assert f"rows: {total:,} read = {loaded:,} loaded + {total - loaded:,} rejected" in out
    assert "map/row_problems.csv row 5 column 'TestRITScore': the score 999 is outside the scale" in out
    assert "truncated_file map/truncated.csv" in out


def test_ingest_loads_the_landing_folder_into_the_warehouse(tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    result = spt("ingest", str(CORPUS / "landing"), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        files = con.execute("select count(*) from raw.file_manifest").fetchone()[0]
    expected = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    assert files == sum(1 for e in expected.values() if e["status"] != "already_loaded")


def test_ingest_of_a_missing_folder_exits_2(tmp_path: Path):
    result = spt("ingest", str(tmp_path / "nowhere"), "--dry-run")
    assert result.returncode == 2
    assert "does not exist" in result.stderr
