"""`spt publish --postgres URL`: copy the published warehouse into PostgreSQL with per-role access."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .settings import PROJECT_ROOT

console = Console(stderr=True, soft_wrap=True)
report = Console(soft_wrap=True)


def _fail(message: str, code: int) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(code)


@click.command("publish")
@click.option(
    "--postgres", "url", envvar="SPT_POSTGRES_URL", show_envvar=True,
    help="PostgreSQL URL, e.g. postgresql://publisher@db.example.org/warehouse.",
)
@click.option(
    "--warehouse", default="warehouse", show_default=True,
    help="Folder whose published/ holds district.duckdb and public.duckdb.",
)
@click.option(
    "--config", "config_dir", default=str(PROJECT_ROOT / "config"), show_default=True,
    help="Folder holding access.csv and caseloads.csv.",
)
def publish_command(url: str | None, warehouse: str, config_dir: str) -> None:
    """Publish the warehouse to PostgreSQL: schemas district and aggregates, with row-level security.

    Exits 2 when the URL is missing or bad, the server cannot be reached, the access files
    have problems, or there is no publication to load.
    """
    from publication.postgres import (
        AccessConfigError,
        PostgresPublicationError,
        PostgresUnavailable,
        publish_postgres,
    )

    if not url:
        _fail("no PostgreSQL URL: pass --postgres URL or set SPT_POSTGRES_URL", 2)
    published_dir = Path(warehouse).resolve() / "published"
    if not (published_dir / "district.duckdb").exists():
        _fail(f"nothing published in {published_dir}: run `spt run` first", 2)
    try:
        with console.status("Publishing to PostgreSQL"):
            result = publish_postgres(published_dir, url, Path(config_dir).resolve())
    except AccessConfigError as error:
        _fail(f"{len(error.problems)} problem(s) in the access files: " + "; ".join(error.problems), 2)
    except PostgresUnavailable as error:
        _fail(str(error), 2)
    except PostgresPublicationError as error:
        _fail(str(error), 1)

    table = Table(title=f"Published to PostgreSQL in {result['seconds']:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in result["rows"].items():
        table.add_row(name, f"{rows:,}")
    report.print(table)
    largest = max(result["copy_seconds"], key=lambda name: result["rows"][name])
    rows, seconds = result["rows"][largest], result["copy_seconds"][largest]
    rate = f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "instant"
    report.print(f"largest table {largest}: {rows:,} rows copied in {seconds:.2f} s ({rate})")
    roles: dict[str, int] = {}
    for role in result["users"].values():
        roles[role] = roles.get(role, 0) + 1
    report.print("users: " + ", ".join(f"{count} {role}" for role, count in sorted(roles.items())))
    if result["dropped_users"]:
        report.print("login roles dropped (no longer in access.csv): " + ", ".join(result["dropped_users"]))
    years = result["school_years"]
    if years["current"] is None:
        report.print("current school year: none (no classes in dim_class_teachers); teachers read no student rows")
    else:
        report.print(
            f"current school year {years['current']}: teachers read school years "
            f"{', '.join(map(str, years['teacher']))}, caseloads {', '.join(map(str, years['caseload']))}"
        )
    for warning in result["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
