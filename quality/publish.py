"""Write-audit-publish: copy the checked marts to the published files and swap them in atomically.

The build database is never read by dashboards or BI tools. Published files are built
in a staging folder beside the publication, checked, and then moved into place with
os.replace, so a reader sees either the previous file or the new one, never a partial
file. Replaced files are kept (hard links) under history/ for the last N publications.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

# Student-level tables stay in the restricted file; the public file has aggregates only.
RESTRICTED_TABLES = (
    "dim_students",
    "dim_schools",
    "dim_measures",
    "dim_assessment_windows",
    "fct_assessment_results",
    "agg_school_proficiency",
    "audit_excluded_results",
    "fct_grade12_sample",
    "agg_grade12_accountability",
    "fct_school_counts",
    "fct_school_funding",
    "agg_school_funding",
    "agg_funding_lines",
    "fct_class_enrollments",
    "dim_class_teachers",
)
PUBLIC_TABLES = (
    "dim_schools",
    "dim_measures",
    "dim_assessment_windows",
    "agg_school_proficiency",
    "agg_grade12_accountability",
    "agg_school_funding",
    "agg_funding_lines",
)
IDENTIFYING_COLUMNS = frozenset(
    {
        "student_key",
        "local_student_id",
        "state_student_id",
        "vendor_student_id",
        "first_name",
        "middle_name",
        "last_name",
        "birth_date",
        "source_row",
    }
)
PUBLISHED_FILES = ("district.duckdb", "public.duckdb", "manifest.json")


class PublicationError(Exception):
    """The new publication failed its own checks; the previous one stays in place."""


@dataclass
class Publication:
    run_id: str
    published_dir: Path
    tables: dict[str, int]
    public_tables: dict[str, int]


@contextmanager
def writer_lock(published_dir: Path):
    """One writer at a time; readers never take this lock."""
    published_dir.mkdir(parents=True, exist_ok=True)
    with open(published_dir / ".publish.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _identifying_columns(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name, column_name from information_schema.columns where table_catalog = ?", [catalog]
    ).fetchall()
    return [f"{t}.{c}" for t, c in rows if c in IDENTIFYING_COLUMNS]


def publish(
    build_db: Path,
    published_dir: Path,
    run_id: str,
    keep_last: int = 5,
    checks: list[dict] | None = None,
    build_schema: str = "marts",
    quality_runs=None,
) -> Publication:
    """Publish the marts of `build_db` into `published_dir` (district.duckdb, public.duckdb, parquet/).

    `run_id` names the publication; names must sort by time, since history keeps the newest.
    `quality_runs` (a DataFrame, see quality.report) is published as `data_quality_runs` in both files.
    """
    published_dir = Path(published_dir)
    with writer_lock(published_dir):
        staging = published_dir / f".staging-{run_id}"
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "parquet").mkdir(parents=True)
        try:
            tables, public_tables = _build_files(Path(build_db), staging, build_schema, quality_runs)
            manifest = {
                "run_id": run_id,
                "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "tables": tables,
                "public_tables": public_tables,
                "checks": checks or [],
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
            _swap_in(staging, published_dir, keep_last)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return Publication(run_id, published_dir, tables, public_tables)


def _build_files(
    build_db: Path, staging: Path, schema: str, quality_runs=None
) -> tuple[dict[str, int], dict[str, int]]:
    con = duckdb.connect(
        str(staging / "district.duckdb"),
        config={"memory_limit": os.environ.get("SPT_DUCKDB_MEMORY_LIMIT", "3GB")},
    )
    con.execute("set enable_progress_bar = false")
    try:
        con.execute(f"attach '{build_db}' as build (read_only)")
        con.execute(f"attach '{staging / 'public.duckdb'}' as public")
        tables: dict[str, int] = {}
        for table in RESTRICTED_TABLES:
            con.execute(f"create table district.main.{table} as select * from build.{schema}.{table}")
            tables[table] = con.execute(f"select count(*) from district.main.{table}").fetchone()[0]
            con.execute(
                f"copy district.main.{table} to '{staging / 'parquet' / (table + '.parquet')}' "
                f"(format parquet)"
            )
        public_tables: dict[str, int] = {}
        if quality_runs is not None:
            con.register("_quality_runs", quality_runs)
            con.execute("create table district.main.data_quality_runs as select * from _quality_runs")
            con.unregister("_quality_runs")
            tables["data_quality_runs"] = len(quality_runs)
            con.execute(
                f"copy district.main.data_quality_runs to '{staging / 'parquet' / 'data_quality_runs.parquet'}' "
                f"(format parquet)"
            )
        for table in PUBLIC_TABLES + (("data_quality_runs",) if quality_runs is not None else ()):
            con.execute(f"create table public.main.{table} as select * from district.main.{table}")
            public_tables[table] = tables[table]
        leaked = _identifying_columns(con, "public")
        if leaked:
            raise PublicationError(f"public file would contain identifying columns: {', '.join(leaked)}")
        con.execute("detach public")
        con.execute("detach build")
    finally:
        con.close()
    return tables, public_tables


def _swap_in(staging: Path, published_dir: Path, keep_last: int) -> None:
    previous = _current_run_id(published_dir)
    if previous:
        archive = published_dir / "history" / previous
        archive.mkdir(parents=True, exist_ok=True)
        for name in PUBLISHED_FILES:
            if (published_dir / name).exists() and not (archive / name).exists():
                os.link(published_dir / name, archive / name)
        old_parquet = published_dir / "parquet"
        if old_parquet.exists():
            (archive / "parquet").mkdir(exist_ok=True)
            for file in old_parquet.glob("*.parquet"):
                if not (archive / "parquet" / file.name).exists():
                    os.link(file, archive / "parquet" / file.name)
    (published_dir / "parquet").mkdir(exist_ok=True)
    for file in sorted((staging / "parquet").glob("*.parquet")):
        os.replace(file, published_dir / "parquet" / file.name)
    os.replace(staging / "district.duckdb", published_dir / "district.duckdb")
    os.replace(staging / "public.duckdb", published_dir / "public.duckdb")
    # The manifest goes last: it names the publication that is now complete.
    os.replace(staging / "manifest.json", published_dir / "manifest.json")
    _prune_history(published_dir / "history", keep_last)


def _current_run_id(published_dir: Path) -> str | None:
    manifest = published_dir / "manifest.json"
    if not manifest.exists():
        return None
    try:
        return json.loads(manifest.read_text())["run_id"]
    except (ValueError, KeyError):
        return None


def _prune_history(history: Path, keep_last: int) -> None:
    if not history.exists():
        return
    runs = sorted(p for p in history.iterdir() if p.is_dir())
    for old in runs[: max(len(runs) - keep_last, 0)]:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(published_dir: Path) -> dict | None:
    manifest = Path(published_dir) / "manifest.json"
    return json.loads(manifest.read_text()) if manifest.exists() else None
