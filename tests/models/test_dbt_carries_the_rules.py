"""Grains, not-null columns and references are dbt tests, and only dbt tests (the gate's suites
leave out what a mart's YAML tests): on a copy of a real build with a duplicated grain row and a
result of an unknown student, `dbt test` fails exactly those tests."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import duckdb
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner

from publication import contract
from tests.conftest import TEST_SECRET

MARTS = ["agg_school_proficiency", "fct_student_growth"]


def dbt_test(build_db: Path, target: Path) -> set[tuple[str, str, str | None]]:
    """(test name, model, column) of every failing test of MARTS."""
    args = [
        "test", "--project-dir", str(contract.DBT_PROJECT_DIR), "--profiles-dir", str(contract.DBT_PROJECT_DIR),
        "--target-path", str(target), "--log-path", str(target / "logs"), "--select", *MARTS,
    ]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPT_BUILD_DB", str(build_db))
        env.setenv("SPT_STUDENT_KEY_SECRET", TEST_SECRET)
        env.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        try:
            result = dbtRunner().invoke(args)
        finally:
            DuckDBConnectionManager.close_all_connections()
            gc.collect()
    assert result.result is not None, result.exception
    failed = set()
    for run in result.result.results:
        if run.status in ("fail", "error"):
            metadata = run.node.test_metadata
            failed.add((metadata.name, run.node.attached_node.split(".")[-1], run.node.column_name))
    return failed


def test_dbt_fails_a_duplicated_grain_and_an_unknown_student_and_nothing_else(pipeline_run, tmp_path):
    build_db = tmp_path / "build.duckdb"
    shutil.copyfile(pipeline_run.warehouse_dir / "build.duckdb", build_db)

    assert dbt_test(build_db, tmp_path / "clean") == set()

    with duckdb.connect(str(build_db)) as con:
        con.execute(
            "insert into marts.agg_school_proficiency "
            "select * from marts.agg_school_proficiency where not is_suppressed limit 1"
        )
        changed = con.execute(
            "update marts.fct_student_growth set student_key = 'not-a-student' "
            "where rowid = (select min(rowid) from marts.fct_student_growth)"
        ).fetchone()[0]
    assert changed == 1

    assert dbt_test(build_db, tmp_path / "doctored") == {
        ("unique_combination_of_columns", "agg_school_proficiency", None),
        ("relationships", "fct_student_growth", "student_key"),
    }
