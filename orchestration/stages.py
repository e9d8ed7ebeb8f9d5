"""The pipeline's stages as plain functions; Dagster assets and the CLI call these."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from definitions import load_definitions, write_config_schema
from ingestion.load import IngestRules, IngestSummary, ingest_landing
from publication import contract
from publication.publish import Publication, publish, read_manifest
from quality.checks import CheckResult, run_gate_checks, run_raw_checks
from quality.checks import check_catalog as checks_catalog
from quality.expectations import run_expectations
from quality.report import append_history, quality_run_row, read_history, with_run, write_quality_report
from quality.roster_checks import ACCEPT_ENV, RosterRules, latest_deliveries

from .settings import Paths


def load_config(paths: Paths) -> dict[str, int]:
    definitions = load_definitions(paths.config_dir)
    with connect_build(paths) as con:
        return write_config_schema(con, definitions)


def connect_build(paths: Paths, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The build database, with the same memory ceiling dbt uses (SPT_DUCKDB_MEMORY_LIMIT, default 3GB)."""
    paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(paths.build_db),
        read_only=read_only,
        config={"memory_limit": os.environ.get("SPT_DUCKDB_MEMORY_LIMIT", "3GB")},
    )
    con.execute("set enable_progress_bar = false")
    return con


def ingest(paths: Paths, on_file=None) -> IngestSummary:
    if not paths.landing_dir.is_dir():
        raise FileNotFoundError(f"landing folder {paths.landing_dir} does not exist")
    rules = IngestRules.from_definitions(load_definitions(paths.config_dir))
    with connect_build(paths) as con:
        return ingest_landing(con, paths.landing_dir, on_file=on_file, rules=rules)


def minimum_n(paths: Paths) -> int:
    return load_definitions(paths.config_dir).district.privacy.minimum_n


def raw_gate(paths: Paths, run_id: str | None = None) -> list[CheckResult]:
    """Check the raw tables after ingestion; with a run id, record the results for the run."""
    roster = load_definitions(paths.config_dir).district.publication.roster
    rules = RosterRules(
        max_vanished_share=roster.max_vanished_share,
        max_school_loss=roster.max_school_loss,
        accepted=os.environ.get(ACCEPT_ENV) == "1",
        published=(read_manifest(paths.published_dir) or {}).get("roster_deliveries"),
    )
    with connect_build(paths, read_only=True) as con:
        results = run_raw_checks(con, rules)
    _record_checks(paths, run_id, "raw", results)
    return results


def gate(paths: Paths, run_id: str | None = None) -> list[CheckResult]:
    """Check the marts before publication (SQL and pandera checks, then the Great Expectations suites)."""
    district = load_definitions(paths.config_dir).district
    with connect_build(paths, read_only=True) as con:
        results = run_gate_checks(con, district.privacy.minimum_n)
        results += run_expectations(
            con,
            paths.published_dir if (paths.published_dir / "manifest.json").exists() else None,
            district.privacy.minimum_n,
            district.publication.row_count_tolerance,
        )
    _record_checks(paths, run_id, "marts", results)
    return results


def _record_checks(paths: Paths, run_id: str | None, group: str, results: list[CheckResult]) -> None:
    if run_id:
        paths.runs_dir.mkdir(parents=True, exist_ok=True)
        _checks_path(paths, run_id, group).write_text(json.dumps([r.as_dict() for r in results], indent=2, default=str))


def recorded_checks(paths: Paths, run_id: str) -> list[dict]:
    """The checks recorded for a run (raw, then marts); [] for a stage that did not run."""
    recorded = []
    for group in ("raw", "marts"):
        path = _checks_path(paths, run_id, group)
        if path.exists():
            recorded += json.loads(path.read_text())
    return recorded


def _checks_path(paths: Paths, run_id: str, group: str) -> Path:
    return paths.runs_dir / f"checks-{group}-{run_id}.json"


def check_catalog() -> list[tuple[str, str, bool]]:
    """Every check the two gates report, as (name, table, blocking)."""
    from ingestion.formats import RESULT_TABLES, ROSTER_TABLES

    return checks_catalog((*RESULT_TABLES, *ROSTER_TABLES, "file_manifest", "rejected_rows"), contract.published())


def publish_marts(paths: Paths, publication_id: str, checks: list[dict], run_id: str | None = None) -> Publication:
    """Publish the checked marts, with the data quality history including this run as published."""
    district = load_definitions(paths.config_dir).district
    row = quality_run_row(
        {"run_id": run_id or publication_id, "status": "published", "checks": checks, "manifest": ingest_summary(paths)}
    )
    history = with_run(read_history(paths.runs_dir), row)
    with connect_build(paths, read_only=True) as con:
        roster = latest_deliveries(con) if {"oneroster_users", "oneroster_enrollments"} <= _raw_tables(con) else {}
    publication = publish(
        paths.build_db,
        paths.published_dir,
        publication_id,
        district.publication.keep_last,
        checks,
        quality_runs=history,
        minimum_n=district.privacy.minimum_n,
        manifest_extra={"roster_deliveries": roster},
    )
    append_history(paths.runs_dir, row)
    return publication


def _raw_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()}


def ingest_summary(paths: Paths) -> dict:
    """Files and rows in the manifest: read = loaded + rejected ({} when nothing was ingested)."""
    if not paths.build_db.exists():
        return {}
    try:
        with duckdb.connect(str(paths.build_db), read_only=True) as con:
            row = con.execute(
                "select count(*), count(*) filter (where status = 'loaded'), count(*) filter (where status = 'rejected'),"
                " coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0)"
                " from raw.file_manifest"
            ).fetchone()
    except duckdb.Error:
        return {}
    keys = ["files", "files_loaded", "files_rejected", "rows_read", "rows_loaded", "rows_rejected"]
    return dict(zip(keys, row))


def report_run(paths: Paths, record: dict) -> Path:
    """Append the run to the data quality history and write its HTML report (also as quality-latest.html)."""
    append_history(paths.runs_dir, quality_run_row(record))
    report = write_quality_report(
        paths.reports_dir / f"quality-{record['run_id']}.html", record, paths.build_db, read_history(paths.runs_dir)
    )
    shutil.copyfile(report, paths.reports_dir / "quality-latest.html")
    return report


def dbt_failures(run_results: dict) -> str:
    """One line naming each failed dbt model or test and how many rows failed."""
    failed = [
        f"{r['unique_id'].split('.')[-1] if r['unique_id'].startswith('model.') else r['unique_id'].split('.')[2]}"
        f" {r['status']}"
        + (f" on {r['failures']} row(s)" if r.get("failures") else "")
        + (f": {r['message'].splitlines()[0][:200]}" if r["status"] == "error" and r.get("message") else "")
        for r in run_results.get("results", [])
        if r["status"] in ("fail", "error")
    ]
    return "dbt build failed: " + ("; ".join(failed) if failed else "see the run log")


def write_run_record(paths: Paths, record: dict) -> Path:
    """The last run's outcome, read by `spt status` without opening the warehouse."""
    paths.runs_dir.mkdir(parents=True, exist_ok=True)
    record = {**record, "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path = paths.runs_dir / f"{record['run_id']}.json"
    path.write_text(json.dumps(record, indent=2, default=str))
    (paths.runs_dir / "last_run.json").write_text(json.dumps(record, indent=2, default=str))
    return path
