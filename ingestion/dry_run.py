"""What an ingest would do, without writing anything to the warehouse.

The files are read and checked exactly as a real ingest reads them, into an in-memory database
that starts from a copy of the warehouse's file manifest (so files already loaded, and corrected
re-exports of them, are recognised). The warehouse is opened read-only, or not at all when it
does not exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from .load import IngestRules, IngestSummary, ensure_raw_schema, ingest_landing


@dataclass
class DryRun:
    summary: IngestSummary
    rejections: list[tuple]  # (source_file, source_row, column_name, reason_code, message)
    drift: list[tuple]  # (source_file, file_format, column_name, change)


def dry_run(landing_dir: Path, build_db: Path | None, rules: IngestRules | None = None) -> DryRun:
    with duckdb.connect() as con:
        ensure_raw_schema(con)
        if build_db is not None and build_db.exists():
            path = str(build_db).replace("'", "''")
            con.execute(f"attach '{path}' as warehouse (read_only)")
            try:
                tables = {
                    row[0]
                    for row in con.execute(
                        "select table_name from information_schema.tables "
                        "where table_catalog = 'warehouse' and table_schema = 'raw'"
                    ).fetchall()
                }
                for table in ("file_manifest", "superseded_files"):
                    if table in tables:
                        con.execute(f"insert into raw.{table} by name select * from warehouse.raw.{table}")
            finally:
                con.execute("detach warehouse")
        before = con.execute("select count(*) from raw.rejected_rows").fetchone()[0]
        summary = ingest_landing(con, landing_dir, rules=rules)
        rejections = con.execute(
            "select source_file, source_row, column_name, reason_code, message from raw.rejected_rows "
            "order by source_file, source_row nulls first, column_name offset ?",
            [before],
        ).fetchall()
        drift = con.execute(
            "select source_file, file_format, column_name, change from raw.schema_drift order by all"
        ).fetchall()
    return DryRun(summary, rejections, drift)
