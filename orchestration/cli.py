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

from .growth_cli import growth_percentiles_command
from .ingest_cli import ingest_command
from .postgres_cli import publish_command
from .settings import PROJECT_ROOT, Paths, private_files

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

    from definitions import ConfigError, load_definitions

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
    from .stages import ingest_summary, recorded_checks, report_run, write_run_record

    checks = recorded_checks(paths, result.run_id)
    published = any(
        e.asset_key and e.asset_key.path == ["published", "warehouse"]
        for e in result.get_asset_materialization_events()
    )
    failures = []
    with open(log_path, "a") as log_file:
        for event in result.get_step_failure_events():
            data = event.event_specific_data
            if data.user_failure_data and data.user_failure_data.description:
                message = data.user_failure_data.description
            elif data.error:
                message = _root_cause(data.error)
            else:
                message = "failed"
            failures.append(f"{event.step_key}: {message}")
            # the whole error, with its traceback, stays in the run's log
            log_file.write(f"\n--- step {event.step_key} failed: {message}\n")
            if data.error:
                log_file.write(data.error.to_string())
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
        "manifest": ingest_summary(paths),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    record["report"] = str(report_run(paths, record))
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
        report.print(f"  quality     {record['report']}")
        return
    console.print(f"data quality report: {record['report']}")
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
    private_files()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DAGSTER_HOME", str((PROJECT_ROOT / ".dagster_home").resolve()))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)


main.add_command(publish_command, "publish")
main.add_command(ingest_command, "ingest")


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
@click.option(
    "--accept-roster-change",
    is_flag=True,
    help="Publish a roster that lost more students or schools than publication.roster allows (a real change); "
    "the roster checks still report, as warnings.",
)
def run(landing: str, config_dir: str, warehouse: str, accept_roster_change: bool) -> None:
    """Ingest new files, build and check the marts, and publish them if every blocking check passes."""
    from quality.roster_checks import ACCEPT_ENV

    if accept_roster_change:
        os.environ[ACCEPT_ENV] = "1"
    paths = _paths(landing, config_dir, warehouse)
    _report_run(run_pipeline(paths), paths)
    _publish_to_postgres_if_configured(paths)


def _publish_to_postgres_if_configured(paths: Paths) -> None:
    """With publication.postgres_url_env set (and that variable set), load the new publication into PostgreSQL."""
    from definitions import load_definitions

    variable = load_definitions(paths.config_dir).district.publication.postgres_url_env
    if not variable:
        return
    if not os.environ.get(variable):
        console.print(f"[yellow]warning:[/] publication.postgres_url_env names {variable}, which is not set: "
                      "PostgreSQL not updated")
        return
    ctx = click.get_current_context()
    ctx.invoke(publish_command, url=os.environ[variable], warehouse=str(paths.warehouse_dir),
               config_dir=str(paths.config_dir))


@main.command()
@click.option("--students", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--schools", default=6, show_default=True, type=click.IntRange(1))
@click.option("--years", default=3, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--out", default="demo", show_default=True, help="Writes <out>/landing and <out>/truth.")
@click.option(
    "--untested-rate",
    default=0.04,
    show_default=True,
    type=click.FloatRange(0, 1, max_open=True),
    help="Share of students missing each window's tests; 0 tests everyone (a census).",
)
@click.option(
    "--roster-version",
    default="1.1",
    show_default=True,
    type=click.Choice(["1.1", "1.2"]),
    help="OneRoster version of the SIS export (1.2 puts roles in roles.csv).",
)
@click.option("--roster-zip", is_flag=True, help="Write the OneRoster export as one ZIP instead of a folder.")
def generate(
    students: int, schools: int, years: int, seed: int, out: str, untested_rate: float = 0.04,
    roster_version: str = "1.1", roster_zip: bool = False,
) -> None:
    """Generate a synthetic district: vendor export files plus the ground truth used to make them."""
    from synthetic import generate_district

    with console.status(f"Generating {students} students, {schools} schools, {years} years"):
        started = time.monotonic()
        summary = generate_district(
            Path(out), students=students, schools=schools, years=years, seed=seed, untested_rate=untested_rate,
            roster_version=roster_version, roster_zip=roster_zip,
        )
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
    from publication.publish import read_manifest

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
    _print_file_accounting(paths)
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
    _print_quality_history(paths)
    if record.get("report"):
        report.print(f"  data quality report: {record['report']}")
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



@main.command("rollback")
@click.option("--to", "to_run_id", default=None, help="Publication id to restore (default: the one before the current).")
@_warehouse
def rollback_command(to_run_id: str | None, warehouse: str) -> None:
    """Make an earlier kept publication the current one again (one atomic switch; readers never see a mix)."""
    from publication.publish import PublicationError, kept_publications, read_manifest, rollback

    published = _published_dir(warehouse)
    if not kept_publications(published):
        _fail(f"nothing is published in {published}", 2)
    before = (read_manifest(published) or {}).get("run_id")
    try:
        restored = rollback(published, to_run_id)
    except PublicationError as error:
        _fail(str(error), 2)
    manifest = read_manifest(published)
    report.print(f"[bold green]Rolled back[/]: publication {restored} (published {manifest['published_at']}) "
                 f"replaces {before}; kept: {', '.join(kept_publications(published))}")


def _print_file_accounting(paths: Paths, last: int = 30) -> None:
    """Every landing file's rows read = loaded + rejected (the most recent first), from raw.file_manifest."""
    import duckdb

    from ingestion.load import FileOutcome

    from .ingest_cli import files_table
    from .ingest_cli import report as wide

    if not paths.build_db.exists():
        return
    try:
        with duckdb.connect(str(paths.build_db), read_only=True) as con:
            rows = con.execute(
                "select source_file, file_format, status, rows_read, rows_loaded, rows_rejected, reason "
                "from raw.file_manifest order by ingested_at desc, source_file limit ?",
                [last],
            ).fetchall()
            total, read, loaded, rejected, superseded = con.execute(
                "select count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected), "
                "(select count(*) from raw.superseded_files) from raw.file_manifest"
            ).fetchone()
            drift = con.execute("select count(distinct source_file) from raw.schema_drift").fetchone()[0]
    except duckdb.Error as error:
        report.print(f"  [yellow]file accounting unavailable:[/] {str(error).splitlines()[0]}")
        return
    files = [FileOutcome(*row) for row in rows]
    wide.print(files_table(files, f"Landing files ({len(files)} most recent of {total})"))
    wide.print(
        f"  all files: {read or 0:,} rows read = {loaded or 0:,} loaded + {rejected or 0:,} rejected; "
        f"{superseded} delivery(ies) retired by a corrected re-export; {drift} file(s) with schema drift "
        f"(`spt ingest --dry-run` shows which columns)"
    )


def _print_quality_history(paths: Paths, last: int = 5) -> None:
    from quality.report import read_history

    history = read_history(paths.runs_dir)
    if history.empty:
        return
    counts = history["status"].value_counts().to_dict()
    table = Table(
        title=f"Data quality: {len(history)} run(s): "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    )
    for column in ("run", "status", "rows read", "rejected", "checks failed", "failed checks"):
        table.add_column(column)
    for row in history.tail(last).iloc[::-1].itertuples():
        table.add_row(
            row.run_id, row.status, "" if _missing(row.rows_read) else f"{row.rows_read:,}",
            "" if _missing(row.rows_rejected) else f"{row.rows_rejected:,}",
            f"{row.checks_failed} of {row.checks_run}", "" if _missing(row.failed_checks) else row.failed_checks,
        )
    report.print(table)


def _published_dir(warehouse: str) -> Path:
    return Path(warehouse).resolve() / "published"


def _money(value) -> str:
    return "" if _missing(value) else f"{value:,.2f}"


def _missing(value) -> bool:
    """None, NaN or pandas' NA (pandas is imported only by the commands that print tables)."""
    import pandas as pd

    return bool(pd.isna(value))


@main.command()
@click.option("--config", "config_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="YAML with the formula(s): a district.yml, a `formulas:` list or one formula.")
@click.option("--counts", "counts_file", type=click.Path(exists=True, dir_okay=False),
              help="Per-school counts CSV (school_id, enrollment, low_income_public, ...); default: the warehouse's.")
@click.option("--year", "fiscal_year", type=int, help="Fiscal (school) year of the warehouse counts; default the latest.")
@click.option("--out", "out_file", default=None, help="CSV to write (default: <warehouse>/reports/funding-<time>.csv).")
@_warehouse
def funding(config_file: str, counts_file: str | None, fiscal_year: int | None, out_file: str | None, warehouse: str) -> None:
    """What-if: run funding formulas on the warehouse's counts (or a counts file) without touching the publication."""
    from pydantic import ValidationError

    from .accountability import funding_what_if, read_counts_file, read_formulas, warehouse_counts

    try:
        formulas = read_formulas(Path(config_file))
    except ValidationError as error:
        _fail(f"{Path(config_file).name}: " + "; ".join(
            f"field '{'.'.join(map(str, e['loc']))}': {e['msg']}" for e in error.errors()), 2)
    if not formulas:
        _fail(f"{Path(config_file).name} defines no funding formula", 2)
    try:
        counts = read_counts_file(Path(counts_file)) if counts_file else warehouse_counts(_published_dir(warehouse))
        schools, lines = funding_what_if(formulas, counts, fiscal_year)
    except (FileNotFoundError, ValueError) as error:
        _fail(str(error), 2)
    for method, allocation in schools.groupby("method", sort=False):
        table = Table(title=f"{method}: allocation per school")
        columns = ["school_id", "poverty_rate", "poverty_rank", "service_order", "is_served", "per_child_amount", "allocation"]
        for column in columns:
            table.add_column(column, justify="left" if column == "school_id" else "right")
        for row in allocation.sort_values(["poverty_rank", "school_id"]).itertuples():
            table.add_row(
                str(row.school_id),
                "" if _missing(row.poverty_rate) else f"{row.poverty_rate:.1f}%",
                str(row.poverty_rank),
                "" if _missing(row.service_order) else str(row.service_order),
                "yes" if row.is_served else "no",
                _money(row.per_child_amount),
                _money(row.allocation),
            )
        report.print(table)
        method_lines = lines[lines["method"] == method]
        for line in method_lines.itertuples():
            report.print(f"  {line.line_type:<12} {line.line_name:<32} {_money(line.amount):>16}")
        report.print(f"  {'total':<45} {_money(method_lines['amount'].sum()):>16}")
    out = Path(out_file) if out_file else Path(warehouse).resolve() / "reports" / (
        f"funding-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    from publication.spreadsheet import write_csv

    write_csv(schools, out)
    write_csv(lines, out.with_name(out.stem + "-lines.csv"))
    report.print(f"allocation table: {out}")
    report.print(f"money lines:      {out.with_name(out.stem + '-lines.csv')}")


@main.command("sample-rosters")
@click.option("--out", "out_dir", default=None, help="Folder to write (default: <warehouse>/reports/grade12-samples).")
@click.option("--year", "school_year", type=int, help="School year (spring year); default the latest sampled.")
@click.option("--window", "window_name", default=None, help="One window (default: every sampled window).")
@_warehouse
def sample_rosters(out_dir: str | None, school_year: int | None, window_name: str | None, warehouse: str) -> None:
    """Per-school lists of the grade 1-2 students to assess, in order, with ranked replacements (CSV and XLSX)."""
    from .accountability import latest_sampled_year, write_sample_rosters

    published = _published_dir(warehouse)
    try:
        year = school_year if school_year is not None else latest_sampled_year(published)
        out = Path(out_dir) if out_dir else Path(warehouse).resolve() / "reports" / "grade12-samples"
        written = write_sample_rosters(published, out, year, window_name)
    except (FileNotFoundError, ValueError) as error:
        _fail(str(error), 2)
    if not written:
        _fail(f"no grade 1-2 sample for {year}" + (f" {window_name}" if window_name else ""), 2)
    report.print(f"{len(written) // 2} school roster(s) for {year} in {written[0].parent} (names inside: keep within the district)")


@main.command("check-sampling")
@click.option("--draws", default=1000, show_default=True, type=click.IntRange(10))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--out", "out_file", default=None, help="CSV to write (default: <warehouse>/reports/grade12-coverage.csv).")
@_config
@_warehouse
def check_sampling(draws: int, seed: int, out_file: str | None, config_dir: str, warehouse: str) -> None:
    """Check the grade 1-2 design where every student was assessed: interval coverage and bias over many draws."""
    from definitions import ConfigError, load_definitions

    from .accountability import check_design

    try:
        design = load_definitions(Path(config_dir)).district.grade12_sampling
    except ConfigError as error:
        _fail(str(error), 2)
    if design is None:
        _fail("config grade12_sampling is not set: there is no design to check", 2)
    try:
        result, cells = check_design(_published_dir(warehouse), design, draws, seed)
    except (FileNotFoundError, ValueError) as error:
        _fail(str(error), 2)
    if result.empty:
        _fail(f"none of the {cells} sampling cells has every student assessed; generate a census with "
              "`spt generate --untested-rate 0` to check the design", 1)
    sampled = result[result["sample_n"] < result["population_n"]]
    report.print(
        f"[bold]Design check[/]: {len(result)} of {cells} cells have every student assessed; "
        f"{draws} simple random draws each at the configured size "
        f"(margin {design.margin_of_error}, confidence {design.confidence_level}, {design.ci_method})."
    )
    if len(sampled):
        report.print(
            f"  cells where a sample is drawn: {len(sampled)}; coverage mean {sampled['coverage'].mean():.3f} "
            f"(min {sampled['coverage'].min():.3f}, max {sampled['coverage'].max():.3f}) "
            f"against nominal {design.confidence_level}"
        )
        report.print(
            f"  bias of the proportion: mean {sampled['bias'].mean():+.4f}, largest |bias| {sampled['bias'].abs().max():.4f}; "
            f"mean interval width {sampled['mean_ci_width'].mean():.3f}"
        )
    report.print(f"  cells assessed in full by design (n = N): {len(result) - len(sampled)}")
    out = Path(out_file) if out_file else Path(warehouse).resolve() / "reports" / "grade12-coverage.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out, index=False)
    report.print(f"per-cell figures: {out}")


main.add_command(growth_percentiles_command)


if __name__ == "__main__":
    main()
