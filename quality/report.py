"""The run's data quality report (one HTML page) and the `data_quality_runs` history.

Every run writes `reports/quality-<run_id>.html`: its outcome, each check with its failing
rows, row accounting per file and the rejected rows by reason. The report never shows a
rejected row's raw text (it can hold a student's name), only file, row, column and reason.
Every run also appends one line to `runs/data_quality_runs.parquet`, which each publication
carries as the `data_quality_runs` table.
"""

from __future__ import annotations

import html
import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

HISTORY_FILE = "data_quality_runs.parquet"
HISTORY_COLUMNS = {
    "run_id": "string",
    "finished_at": "datetime64[us, UTC]",
    "status": "string",
    "seconds": "float64",
    "files": "Int64",
    "files_rejected": "Int64",
    "rows_read": "Int64",
    "rows_loaded": "Int64",
    "rows_rejected": "Int64",
    "checks_run": "Int64",
    "checks_failed": "Int64",
    "blocking_checks_failed": "Int64",
    "failed_checks": "string",
}


def quality_run_row(record: dict) -> pd.DataFrame:
    """One `data_quality_runs` line from a run record (see orchestration.cli.run_pipeline)."""
    checks = record.get("checks") or []
    manifest = record.get("manifest") or {}
    failed = [c for c in checks if not c["passed"]]
    row = {
        "run_id": record["run_id"],
        "finished_at": pd.Timestamp(record.get("finished_at") or datetime.now(timezone.utc)),
        "status": record["status"],
        "seconds": record.get("seconds"),
        "files": manifest.get("files"),
        "files_rejected": manifest.get("files_rejected"),
        "rows_read": manifest.get("rows_read"),
        "rows_loaded": manifest.get("rows_loaded"),
        "rows_rejected": manifest.get("rows_rejected"),
        "checks_run": len(checks),
        "checks_failed": len(failed),
        "blocking_checks_failed": sum(1 for c in failed if c["blocking"]),
        "failed_checks": "; ".join(c["name"] for c in failed) or None,
    }
    return pd.DataFrame([row]).astype(HISTORY_COLUMNS)


def read_history(runs_dir: Path) -> pd.DataFrame:
    path = Path(runs_dir) / HISTORY_FILE
    if not path.exists():
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in HISTORY_COLUMNS.items()})
    return pd.read_parquet(path).astype(HISTORY_COLUMNS)


def with_run(history: pd.DataFrame, row: pd.DataFrame) -> pd.DataFrame:
    """The history with this run's line (replacing an earlier line of the same run), oldest first."""
    kept = history[~history["run_id"].isin(row["run_id"])]
    return pd.concat([kept, row], ignore_index=True).sort_values("run_id", kind="stable").reset_index(drop=True)


def append_history(runs_dir: Path, row: pd.DataFrame) -> Path:
    """Add the run's line to runs/data_quality_runs.parquet (written aside, then swapped in)."""
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / HISTORY_FILE
    temporary = path.with_suffix(".parquet.tmp")
    with_run(read_history(runs_dir), row).to_parquet(temporary, index=False)
    os.replace(temporary, path)
    return path


def _table(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p class='muted'>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{'' if pd.isna(v) else html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _build_tables(build_db: Path) -> dict[str, pd.DataFrame]:
    """Row accounting and rejections from the build database (empty frames when it cannot be read)."""
    queries = {
        "files": """select source_file, file_format, status, rows_read, rows_loaded, rows_rejected, reason
                    from raw.file_manifest order by source_file""",
        "reasons": """select source_file, reason_code, column_name, count(*) as rows
                      from raw.rejected_rows group by all order by source_file, rows desc""",
        "examples": """select source_file, source_row, column_name, reason_code, message
                       from raw.rejected_rows order by source_file, source_row nulls first limit 50""",
        "drift": """select source_file, file_format, change,
                           count(*) as columns, string_agg(column_name, ', ' order by column_name) as column_names
                    from raw.schema_drift group by all order by source_file, change""",
        "superseded": """select source_file, superseded_at, file_sha256 as retired_sha256,
                                superseded_by_sha256 from raw.superseded_files order by superseded_at""",
    }
    frames = {name: pd.DataFrame() for name in queries}
    if not Path(build_db).exists():
        return frames
    try:
        with duckdb.connect(str(build_db), read_only=True) as con:
            for name, sql in queries.items():
                try:
                    frames[name] = con.execute(sql).df()
                except duckdb.CatalogException:
                    pass  # a warehouse from before the table existed
    except duckdb.Error:
        pass
    return frames


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; max-width: 72rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #d9e2ec; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
.published { color: #207544; } .blocked, .failed { color: #b42318; }
.muted { color: #627d98; }
"""


def write_quality_report(path: Path, record: dict, build_db: Path, history: pd.DataFrame) -> Path:
    """Write the run's HTML report: outcome, checks, row accounting per file, rejections, recent runs."""
    checks = pd.DataFrame(record.get("checks") or [], columns=["name", "table", "blocking", "passed", "failing_rows", "message"])
    if not checks.empty:
        checks = checks.sort_values(["passed", "blocking", "name"], ascending=[True, False, True])
        checks["result"] = checks["passed"].map({True: "passed", False: "FAILED"})
        checks = checks[["result", "name", "table", "blocking", "failing_rows", "message"]]
    tables = _build_tables(build_db)
    manifest = record.get("manifest") or {}
    status = record["status"]
    accounting = (
        f"{manifest.get('files', 0)} files ({manifest.get('files_loaded', 0)} loaded, "
        f"{manifest.get('files_rejected', 0)} rejected); rows read {manifest.get('rows_read', 0):,} = "
        f"loaded {manifest.get('rows_loaded', 0):,} + rejected {manifest.get('rows_rejected', 0):,}"
        if manifest else "no files were ingested"
    )
    failures = "".join(f"<li>{html.escape(f)}</li>" for f in record.get("failures") or [])
    recent = history.tail(10).iloc[::-1] if not history.empty else history
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data quality: run {html.escape(record['run_id'])}</title>
<style>{STYLE}</style></head><body>
<h1>Data quality report: run {html.escape(record['run_id'])}</h1>
<p>Outcome: <strong class="{html.escape(status)}">{html.escape(status)}</strong> in {record.get('seconds')} s.
{'The publication was replaced by this run.' if status == 'published' else 'Nothing was published; the previous publication is unchanged.'}</p>
<p>Landing folder: {html.escape(str(record.get('landing_dir', '')))}</p>
{f'<h2>Failures</h2><ul>{failures}</ul>' if failures else ''}
<h2>Row accounting</h2>
<p>{html.escape(accounting)}</p>
{_table(tables['files'], 'No file manifest.')}
<h2>Checks</h2>
{_table(checks, 'The checks did not run (an earlier stage failed).')}
<h2>Rejected rows by file, reason and column</h2>
{_table(tables['reasons'], 'No row was rejected.')}
<h2>Examples of rejected rows (first 50)</h2>
{_table(tables['examples'], 'No row was rejected.')}
<h2>Schema drift (columns new or missing against each layout's declared schema)</h2>
{_table(tables['drift'], 'Every file had exactly the columns its layout declares.')}
<h2>Deliveries retired by a corrected re-export</h2>
{_table(tables['superseded'], 'None.')}
<h2>Recent runs</h2>
{_table(recent, 'No earlier run.')}
</body></html>
"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
