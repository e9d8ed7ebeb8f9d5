"""The data quality report and history, on hand-made run records and a tiny build database."""

from pathlib import Path

import duckdb
import pandas as pd

from quality.report import append_history, quality_run_row, read_history, write_quality_report


def record(run_id: str, status: str, failed: bool = False) -> dict:
    checks = [
        {"name": "raw_rows_accounted_for", "table": "raw.file_manifest", "passed": True, "blocking": True,
         "message": "ok", "failing_rows": 0},
        {"name": "fct_assessment_results_not_empty", "table": "fct_assessment_results", "passed": not failed,
         "blocking": True, "message": "fct_assessment_results: is empty; <nothing> to publish", "failing_rows": 1},
    ]
    manifest = {"files": 2, "files_loaded": 1, "files_rejected": 1, "rows_read": 10, "rows_loaded": 7,
                "rows_rejected": 3}
    return {"run_id": run_id, "status": status, "seconds": 12.5, "checks": checks, "manifest": manifest,
            "landing_dir": "/data/landing", "failures": []}


def test_a_run_line_counts_its_checks_and_rows():
    row = quality_run_row(record("20261101T060000-aaaaaa", "blocked", failed=True)).iloc[0]
    assert (row.checks_run, row.checks_failed, row.blocking_checks_failed) == (2, 1, 1)
    assert row.failed_checks == "fct_assessment_results_not_empty"
    assert (row.rows_read, row.rows_loaded, row.rows_rejected) == (10, 7, 3)


def test_history_keeps_one_line_per_run_in_run_order(tmp_path: Path):
    append_history(tmp_path, quality_run_row(record("20261102T060000-bbbbbb", "published")))
    append_history(tmp_path, quality_run_row(record("20261101T060000-aaaaaa", "blocked", failed=True)))
    # the same run recorded again (published, then its final line) replaces its earlier line
    append_history(tmp_path, quality_run_row(record("20261102T060000-bbbbbb", "published")))
    history = read_history(tmp_path)
    assert history["run_id"].tolist() == ["20261101T060000-aaaaaa", "20261102T060000-bbbbbb"]
    assert history["status"].tolist() == ["blocked", "published"]


def test_report_shows_checks_accounting_and_rejections_but_no_raw_row_text(tmp_path: Path):
    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.file_manifest as select * from (values "
            "('nwea_map/a.csv', 'nwea_map_combined', 'loaded', 10, 7, 3, null), "
            "('mclass/b.csv', null, 'rejected', 0, 0, 0, 'unknown_layout')) "
            "t(source_file, file_format, status, rows_read, rows_loaded, rows_rejected, reason)"
        )
        con.execute(
            "create table raw.rejected_rows as select * from (values "
            "('nwea_map/a.csv', 3, 'TestRITScore', 'unparseable_number', 'cannot read ''2x3'' as a number', "
            "'Ada,Lovelace,2x3'), "
            "('nwea_map/a.csv', 4, 'TestRITScore', 'unparseable_number', 'cannot read ''x'' as a number', 'Alan,Turing,x'), "
            "('nwea_map/a.csv', 9, 'TestStartDate', 'unparseable_date', 'cannot read ''13/45/2025'' as a date', "
            "'Grace,Hopper,13/45/2025')) t(source_file, source_row, column_name, reason_code, message, raw_record)"
        )
    path = write_quality_report(tmp_path / "report.html", record("20261101T060000-aaaaaa", "blocked", failed=True),
                                build, pd.DataFrame())
    page = path.read_text()
    assert "blocked" in page and "FAILED" in page
    assert "&lt;nothing&gt;" in page and "<nothing>" not in page  # messages are escaped
    assert "rows read 10 = loaded 7 + rejected 3" in page
    assert "<td>unparseable_number</td><td>TestRITScore</td><td>2</td>" in page
    assert "13/45/2025" in page  # the message names the value that failed
    assert "Lovelace" not in page and "Hopper" not in page  # never the rest of the row
