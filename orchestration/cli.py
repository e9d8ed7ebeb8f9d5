"""`spt`: the command line of the student performance tracking warehouse."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
import time
import uuid
from contextlib import redirect_stdout
from datetime import datetime, timezone
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .settings import PROJECT_ROOT, Paths

console = Console(stderr=True, soft_wrap=True)
report = Console(soft_wrap=True)


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}")
    sys.exit(code)


def _paths(landing: str, config: str, warehouse: str) -> Paths:
    paths = Paths(Path(landing).resolve(), Path(config).resolve(), Path(warehouse).resolve())
    paths.export()
    return paths


class _ProgressHandler(logging.Handler):
    """Prints one line when a pipeline step starts, succeeds or fails."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.started: dict[str, float] = {}
        self.checks_passed = 0

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key")
        if event is None or step is None:
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            console.print(f"[cyan]▶[/] {step}")
        elif kind == "STEP_SUCCESS":
            seconds = time.monotonic() - self.started.get(step, time.monotonic())
            checks = f", {self.checks_passed} check{'s' if self.checks_passed > 1 else ''} passed" if self.checks_passed else ""
            console.print(f"[green]✔[/] {step} [dim]({seconds:.1f} s{checks})[/]")
            self.checks_passed = 0
        elif kind == "STEP_FAILURE":
            console.print(f"[red]✘[/] {step} failed")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.passed:
                self.checks_passed += 1
            else:
                console.print(f"[red]✘[/] check {evaluation.check_name} failed")


def run_pipeline(paths: Paths) -> dict:
    """Run config, ingestion, dbt, the gate and publish in-process; returns the run record."""
    from dagster import DagsterInstance, logger

    from ingestion.config_loader import ConfigError, load_definitions

    try:
        load_definitions(paths.config_dir)
    except ConfigError as error:
        _fail(f"the district's definitions in {paths.config_dir} have problems:\n  " + "\n  ".join(error.problems), 2)
    if not paths.landing_dir.is_dir():
        _fail(f"landing folder {paths.landing_dir} does not exist; put vendor exports there or pass --landing", 2)

    run_lock = _acquire_run_lock(paths)
    with console.status("Loading pipeline definitions"):
        from .definitions import defs

    handler = _ProgressHandler()

    @logger
    def progress(_init_context):
        log = logging.Logger("spt.progress", level=logging.DEBUG)
        log.addHandler(handler)
        return log

    job = defs.resolve_job_def("spt_pipeline").with_logger_defs({"progress": progress})
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    started = time.monotonic()
    paths.runs_dir.mkdir(parents=True, exist_ok=True)
    log_path = paths.runs_dir / f"{run_id}.log"
    # dbt's own output goes to the run's log file; the terminal shows one line per step.
    with DagsterInstance.ephemeral() as instance, open(log_path, "w") as log_file, redirect_stdout(log_file):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"progress": {}}},
            tags={"spt/run_id": run_id},
        )
    elapsed = time.monotonic() - started
    from .stages import recorded_checks, write_run_record

    checks = recorded_checks(paths, result.run_id)
    published = any(
        e.asset_key and e.asset_key.path == ["published", "warehouse"]
        for e in result.get_asset_materialization_events()
    )
    failures = []
    for event in result.get_step_failure_events():
        data = event.event_specific_data
        if data.user_failure_data and data.user_failure_data.description:
            message = data.user_failure_data.description
        elif data.error:
            message = _root_cause(data.error)
        else:
            message = "failed"
        failures.append(f"{event.step_key}: {message}")
    failed_checks = [c for c in checks if not c["passed"] and c["blocking"]]
    status = "published" if published and not failures else "blocked" if failed_checks else "failed"
    record = {
        "run_id": run_id,
        "dagster_run_id": result.run_id,
        "status": status,
        "seconds": round(elapsed, 1),
        "landing_dir": str(paths.landing_dir),
        "warehouse_dir": str(paths.warehouse_dir),
        "failures": failures,
        "log": str(log_path),
        "checks": checks,
        "manifest": _ingest_summary(paths),
    }
    write_run_record(paths, record)
    run_lock.close()
    return record


def _acquire_run_lock(paths: Paths):
    """One run per warehouse at a time: a second run would find build.duckdb locked half-way."""
    paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
    handle = open(paths.warehouse_dir / ".run.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        _fail(f"another run is using {paths.warehouse_dir}; wait for it to finish", 3)
    return handle


def _root_cause(error) -> str:
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0]


def _ingest_summary(paths: Paths) -> dict:
    import duckdb

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


def _report_run(record: dict, paths: Paths) -> None:
    m = record.get("manifest") or {}
    if m:
        console.print(
            f"files: {m['files']} ({m['files_loaded']} loaded, {m['files_rejected']} rejected); "
            f"rows: {m['rows_read']} read = {m['rows_loaded']} loaded + {m['rows_rejected']} rejected"
        )
    if record["status"] == "published":
        report.print(f"[bold green]Published[/] in {record['seconds']} s:")
        report.print(f"  restricted  {paths.published_dir / 'district.duckdb'}")
        report.print(f"  public      {paths.published_dir / 'public.duckdb'}")
        report.print(f"  parquet     {paths.published_dir / 'parquet'}")
        report.print(f"  run record  {paths.runs_dir / 'last_run.json'}")
        return
    failed = [c for c in record["checks"] if not c["passed"] and c["blocking"]]
    if failed:
        _fail(
            "publication blocked, the previous publication is unchanged. Failed check(s):\n  "
            + "\n  ".join(c["message"] for c in failed)
        )
    _fail(
        "the run failed, the previous publication is unchanged: "
        + ("; ".join(record["failures"]) or "see the log above")
        + f" (full log: {record['log']})"
    )


@click.group()
def main() -> None:
    """Student performance tracking warehouse: vendor exports in, checked marts out."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DAGSTER_HOME", str((PROJECT_ROOT / ".dagster_home").resolve()))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)


_landing = click.option("--landing", default="landing", show_default=True, help="Folder of vendor exports.")
_config = click.option(
    "--config", "config_dir", default=str(PROJECT_ROOT / "config"), show_default=True,
    help="Folder of the district's definitions.",
)
_warehouse = click.option(
    "--warehouse", default="warehouse", show_default=True,
    help="Folder for build.duckdb, published/ and run records.",
)


@main.command()
@_landing
@_config
@_warehouse
def run(landing: str, config_dir: str, warehouse: str) -> None:
    """Ingest new files, build and check the marts, and publish them if every blocking check passes."""
    paths = _paths(landing, config_dir, warehouse)
    _report_run(run_pipeline(paths), paths)


@main.command()
@click.option("--students", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--schools", default=6, show_default=True, type=click.IntRange(1))
@click.option("--years", default=3, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--out", default="demo", show_default=True, help="Writes <out>/landing and <out>/truth.")
def generate(students: int, schools: int, years: int, seed: int, out: str) -> None:
    """Generate a synthetic district: vendor export files plus the ground truth used to make them."""
    from ingestion.synthetic import generate_district

    with console.status(f"Generating {students} students, {schools} schools, {years} years"):
        started = time.monotonic()
        summary = generate_district(Path(out), students=students, schools=schools, years=years, seed=seed)
    console.print(f"[green]✔[/] generated in {time.monotonic() - started:.1f} s")
    report.print(f"landing files: {Path(out).resolve() / 'landing'}")
    report.print(f"ground truth:  {Path(out).resolve() / 'truth'}")
    for name, rows in summary["rows_per_file"].items():
        report.print(f"  {name}: {rows:,} rows")


@main.command()
@click.option("--students", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--schools", default=6, show_default=True, type=click.IntRange(1))
@click.option("--years", default=3, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--dir", "demo_dir", default="demo", show_default=True, help="Where the demo district's files go.")
@_warehouse
def demo(students: int, schools: int, years: int, seed: int, demo_dir: str, warehouse: str) -> None:
    """Generate the demo district and run the whole pipeline on it."""
    ctx = click.get_current_context()
    ctx.invoke(generate, students=students, schools=schools, years=years, seed=seed, out=demo_dir)
    paths = _paths(str(Path(demo_dir) / "landing"), str(PROJECT_ROOT / "config"), warehouse)
    record = run_pipeline(paths)
    _report_run(record, paths)
    report.print(f"  dashboards  {PROJECT_ROOT / 'dashboards'} (Evidence project reading the public file)")


@main.command()
@_warehouse
def status(warehouse: str) -> None:
    """The last run, what is published, and which checks passed or failed."""
    from quality.publish import read_manifest

    paths = Paths(Path(warehouse).resolve(), Path(warehouse).resolve(), Path(warehouse).resolve())
    last = paths.runs_dir / "last_run.json"
    if not last.exists():
        _fail(f"no run recorded in {paths.warehouse_dir}; run `spt run` or `spt demo` first", 2)
    record = json.loads(last.read_text())
    report.print(f"[bold]Last run[/] {record['run_id']} at {record['recorded_at']}: "
              f"[{'green' if record['status'] == 'published' else 'red'}]{record['status']}[/] "
              f"in {record['seconds']} s")
    m = record.get("manifest") or {}
    if m:
        report.print(f"  files {m['files']} ({m['files_loaded']} loaded, {m['files_rejected']} rejected); rows "
                  f"{m['rows_read']} read = {m['rows_loaded']} loaded + {m['rows_rejected']} rejected")
    for failure in record.get("failures", []):
        report.print(f"  [red]failure[/] {failure}")
    checks = Table(title="Checks of the last run")
    for column in ("check", "blocking", "result"):
        checks.add_column(column)
    for c in record.get("checks", []):
        checks.add_row(c["name"], "yes" if c["blocking"] else "no",
                       "[green]passed[/]" if c["passed"] else "[red]failed[/]")
    report.print(checks)
    for c in record.get("checks", []):
        if not c["passed"]:
            report.print(f"  [red]failed[/] {c['message']}")
    manifest = read_manifest(paths.published_dir)
    if manifest is None:
        report.print("[yellow]Nothing is published yet.[/]")
        return
    published = Table(title=f"Published: run {manifest['run_id']} at {manifest['published_at']}")
    published.add_column("table")
    published.add_column("rows", justify="right")
    published.add_column("in public file")
    for table, rows in manifest["tables"].items():
        published.add_row(table, f"{rows:,}", "yes" if table in manifest["public_tables"] else "no")
    report.print(published)
    report.print(f"  {paths.published_dir}")


if __name__ == "__main__":
    main()
