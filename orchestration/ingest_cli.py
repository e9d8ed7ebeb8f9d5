"""`spt ingest`: load (or, with --dry-run, only check) a landing folder, printing per file what was
read, loaded and rejected, why, and which columns drifted from the layout's declared schema."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from definitions import ConfigError, load_definitions
from ingestion.load import FileOutcome, IngestRules

from .settings import PROJECT_ROOT, Paths

# wide enough for file paths and reasons when the output is piped to a file or a log
report = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
console = Console(stderr=True, soft_wrap=True)


def files_table(files: list[FileOutcome], title: str) -> Table:
    table = Table(title=title)
    for column, justify in (("file", "left"), ("layout", "left"), ("status", "left"), ("read", "right"),
                            ("loaded", "right"), ("rejected", "right"), ("reason", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for f in files:
        colour = {"loaded": "green", "rejected": "red"}.get(f.status, "dim")
        table.add_row(
            f.source_file, f.file_format or "-", f"[{colour}]{f.status}[/]", f"{f.rows_read:,}",
            f"{f.rows_loaded:,}", f"{f.rows_rejected:,}", f.reason or "",
        )
    return table


def _some(columns: list[str], shown: int = 6) -> str:
    names = ", ".join(columns[:shown]) + (f" and {len(columns) - shown} more" if len(columns) > shown else "")
    return f"{len(columns)} column(s) ({names})"


def print_outcomes(files: list[FileOutcome], title: str) -> None:
    report.print(files_table(files, title))
    reasons = Counter()
    for f in files:
        for (code, column), rows in f.rejections.items():
            reasons[(code, column)] += rows
    if reasons:
        by_reason = Table(title="Rejected rows by reason and column")
        for column in ("reason", "column", "rows"):
            by_reason.add_column(column, justify="right" if column == "rows" else "left")
        for (code, column), rows in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
            by_reason.add_row(code, column or "(whole file)", f"{rows:,}")
        report.print(by_reason)
    for f in files:
        if f.new_columns:
            report.print(f"  [yellow]drift[/] {f.source_file}: {_some(f.new_columns)} new against the declared layout")
        if f.missing_columns:
            report.print(f"  [yellow]drift[/] {f.source_file}: {_some(f.missing_columns)} of the declared layout missing")
        if f.supersedes:
            report.print(f"  [cyan]supersedes[/] {f.source_file}: retires {len(f.supersedes)} earlier delivery(ies)")
    counted = [f for f in files if f.status != "already_loaded"]
    read = sum(f.rows_read for f in counted)
    loaded = sum(f.rows_loaded for f in counted)
    rejected = sum(f.rows_rejected for f in counted)
    report.print(f"rows: {read:,} read = {loaded:,} loaded + {rejected:,} rejected")


@click.command("ingest")
@click.argument("landing", required=False, type=click.Path(file_okay=False))
@click.option("--dry-run", is_flag=True, help="Read and check every file; write nothing.")
@click.option("--config", "config_dir", default=str(PROJECT_ROOT / "config"), show_default=True,
              type=click.Path(file_okay=False), help="The district's config folder (measure scales, calendar).")
@click.option("--warehouse", default="warehouse", show_default=True, type=click.Path(file_okay=False))
def ingest_command(landing: str | None, dry_run: bool, config_dir: str, warehouse: str) -> None:
    """Load the landing folder into the warehouse's raw tables (only the ingest step of `spt run`),
    or with --dry-run report what would load and what would be rejected, and why."""
    landing_dir = Path(landing or "landing").resolve()
    if not landing_dir.is_dir():
        console.print(f"[bold red]error:[/] landing folder {landing_dir} does not exist")
        sys.exit(2)
    try:
        rules = IngestRules.from_definitions(load_definitions(Path(config_dir)))
    except ConfigError as error:
        console.print(f"[bold red]error:[/] {error}")
        sys.exit(2)
    paths = Paths(landing_dir, Path(config_dir).resolve(), Path(warehouse).resolve())
    if dry_run:
        from ingestion.dry_run import dry_run as run_dry

        result = run_dry(landing_dir, paths.build_db, rules)
        print_outcomes(result.summary.files, f"Dry run of {landing_dir} (nothing written)")
        for source_file, source_row, column, code, message in result.rejections[:50]:
            report.print(f"  [red]{code}[/] {message}")
        if len(result.rejections) > 50:
            report.print(f"  ... and {len(result.rejections) - 50:,} more rejected row(s)")
        return
    from ingestion.load import ingest_landing

    from .stages import connect_build

    with connect_build(paths) as con:
        summary = ingest_landing(con, landing_dir, rules=rules)
    print_outcomes(summary.files, f"Ingested {landing_dir} into {paths.build_db}")
