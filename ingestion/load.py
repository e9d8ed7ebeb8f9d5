"""Bulk load of landing files into the `raw` schema, one transaction per file.

Each file is identified by its content hash: a file already recorded in raw.file_manifest is
not loaded again. Every data row of a file is either loaded or rejected with a reason code and a
message naming the file, row and column, and the manifest records
rows_read = rows_loaded + rows_rejected. A file that cannot be read as a whole (empty, unknown
layout, missing required columns, truncated) is rejected whole; other files carry on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from .canonical import MANIFEST_DDL, REJECTED_ROWS_DDL, RESULT_COLUMNS, SCHEMA_DRIFT_DDL, SUPERSEDED_FILES_DDL, results_table_ddl
from .files import ArchiveLimits, LandingFile, TextLayout, UnreadableFile, count_records, scan_landing, sniff
from .formats import RECORD_FORMATS, RESULT_TABLES, closest_format, detect_format, missing_identifying
from .formats.base import RecordFormat, ResultFormat, q, repeated_columns
from .outcome import FileOutcome
from .prepare import prepare_records, prepare_results, prepare_roster

if TYPE_CHECKING:
    from .outcome import Write


@dataclass(frozen=True)
class IngestRules:
    """What a file and a row are checked against beyond the file itself: the district's measure
    scales and vendors, its calendar (the day a school year starts, the first and last school
    years), how far ahead of the load day a date may lie, and how far an archive may expand."""

    scale_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    # measure -> the vendor whose exports alone may carry it
    measure_vendors: dict[str, str] = field(default_factory=dict)
    year_start_month: int = 7
    year_start_day: int = 1
    first_school_year: int = 1990
    last_school_year: int = 2100
    future_days: int = 3
    # the day a load is checked against (today by default)
    today: date | None = None
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)

    @classmethod
    def from_definitions(cls, definitions, today: date | None = None) -> "IngestRules":
        measures = definitions.measures
        calendar = definitions.district.calendar
        archives = definitions.district.ingestion.archives
        month, day = (int(part) for part in calendar.year_starts.split("-"))
        return cls(
            scale_ranges={
                str(m): (float(lo), float(hi))
                for m, lo, hi in zip(measures["measure_id"], measures["scale_min"], measures["scale_max"])
            },
            measure_vendors={str(m): str(v) for m, v in zip(measures["measure_id"], measures["vendor"])},
            year_start_month=month,
            year_start_day=day,
            first_school_year=calendar.first_school_year,
            last_school_year=calendar.last_school_year,
            future_days=definitions.district.ingestion.future_days,
            today=today,
            archive_limits=ArchiveLimits(
                max_uncompressed_bytes=int(archives.max_uncompressed_mb * (1 << 20)),
                max_ratio=archives.max_ratio,
                max_members=archives.max_members,
            ),
        )

    @property
    def calendar_start(self) -> date:
        return date(self.first_school_year - 1, self.year_start_month, self.year_start_day)

    @property
    def calendar_end(self) -> date:
        """The first day after the calendar's last school year."""
        return date(self.last_school_year, self.year_start_month, self.year_start_day)

    @property
    def latest_date(self) -> date:
        """The last day a result may be dated: the load day plus future_days."""
        return (self.today or date.today()) + timedelta(days=self.future_days)


@dataclass
class IngestSummary:
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files if f.status != "already_loaded")

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files if f.status != "already_loaded")

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files if f.status != "already_loaded")

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


def record_table_ddl(fmt: RecordFormat) -> str:
    types = {"text": "varchar", "date": "date", "number": "double", "integer": "bigint"}
    body = ", ".join(f"{q(name)} {types[f.kind]}" for name, f in fmt.fields.items())
    return (
        f"create table if not exists raw.{fmt.raw_table} ({body}, source_format varchar, source_file varchar, "
        f"source_row bigint, file_sha256 varchar, ingested_at timestamp)"
    )


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    for ddl in (MANIFEST_DDL, REJECTED_ROWS_DDL, SCHEMA_DRIFT_DDL, SUPERSEDED_FILES_DDL):
        con.execute(ddl)
    for table in RESULT_TABLES:
        con.execute(results_table_ddl(table))
        # a warehouse created before a canonical column existed gains it
        for name, sql_type in RESULT_COLUMNS.items():
            con.execute(f"alter table raw.{table} add column if not exists {name} {sql_type}")
    for fmt in RECORD_FORMATS:
        con.execute(record_table_ddl(fmt))


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    on_file: Callable[[FileOutcome], None] | None = None,
    rules: IngestRules | None = None,
) -> IngestSummary:
    """Load every new file under `landing_dir`; files already loaded (or rejected) are skipped.

    An archive refused for its size is looked at again on every run, so that raising the limits
    in config/district.yml lets it in; while its reason stays the same it is not recorded again.
    """
    ensure_raw_schema(con)
    rules = rules or IngestRules()
    _register_rules(con, rules)
    summary = IngestSummary()
    seen = con.execute(
        "select file_sha256, status, reason from raw.file_manifest where status in ('loaded', 'rejected')"
    ).fetchall()
    retried = {f"{RETRIED_REASON}: "}
    known = {sha for sha, _, reason in seen if not (reason or "").startswith(tuple(retried))}
    refused = {(sha, reason) for sha, _, reason in seen if (reason or "").startswith(tuple(retried))}
    for landing_file in scan_landing(landing_dir, rules.archive_limits):
        problem = landing_file.problem
        if landing_file.sha256 in known or (
            problem is not None and (landing_file.sha256, f"{problem[0]}: {problem[1]}") in refused
        ):
            outcome = FileOutcome(landing_file.relative_path, None, "already_loaded")
        else:
            outcome = ingest_file(con, landing_file, rules)
            if outcome.reason is None or not outcome.reason.startswith(tuple(retried)):
                known.add(landing_file.sha256)
            else:
                refused.add((landing_file.sha256, outcome.reason))
        summary.files.append(outcome)
        if on_file:
            on_file(outcome)
    return summary


# A reason that depends on the configured limits rather than on the file alone.
RETRIED_REASON = "archive_too_large"


def _register_rules(con: duckdb.DuckDBPyConnection, rules: IngestRules) -> None:
    con.execute("create or replace temp table _scale_ranges (measure_id varchar, scale_min double, scale_max double)")
    if rules.scale_ranges:
        con.executemany(
            "insert into _scale_ranges values (?, ?, ?)",
            [(m, lo, hi) for m, (lo, hi) in sorted(rules.scale_ranges.items())],
        )
    con.execute("create or replace temp table _measure_vendors (measure_id varchar, vendor varchar)")
    if rules.measure_vendors:
        con.executemany("insert into _measure_vendors values (?, ?)", sorted(rules.measure_vendors.items()))


def ingest_file(con: duckdb.DuckDBPyConnection, landing_file: LandingFile, rules: IngestRules | None = None) -> FileOutcome:
    """Load one file: its rows, its rejections and its manifest line are written in one transaction.

    The file is first read and checked in temporary tables; only the writes to `raw` happen in
    the transaction, so a run killed at any point leaves each file wholly loaded or not at all.
    Whatever a file holds, it ends with a manifest line: a file that cannot be read is rejected
    with the reason, and the next file is loaded.
    """
    rules = rules or IngestRules()
    ingested_at = datetime.now(timezone.utc).replace(tzinfo=None)
    fmt = None
    layout: TextLayout | None = None
    try:
        if landing_file.problem:
            code, reason = landing_file.problem
            outcome, writes = _reject_file(landing_file, None, 0, code, reason, ingested_at)
        else:
            layout = sniff(landing_file)
            header = layout.header
            fmt = detect_format(header) if header and not layout.problem else None
            if layout.problem:
                code, reason = layout.problem
                outcome, writes = _reject_file(
                    landing_file, None, count_records(landing_file, layout), code, reason, ingested_at
                )
            elif not header:
                outcome, writes = _reject_file(landing_file, None, 0, "empty_file", "the file is empty", ingested_at)
            elif fmt is None and (near := closest_format(header)) is not None:
                fmt = near
                outcome, writes = _reject_file(
                    landing_file, near.name, count_records(landing_file, layout), "missing_columns",
                    f"the header is that of {near.description or near.name} but lacks required column(s): "
                    f"{', '.join(missing_identifying(near, header))}",
                    ingested_at,
                )
            elif fmt is None:
                outcome, writes = _reject_file(
                    landing_file, None, count_records(landing_file, layout), "unknown_layout",
                    f"no known export layout has this header (first columns: {', '.join(header[:5])})",
                    ingested_at,
                )
            elif repeated := repeated_columns(fmt, header):
                outcome, writes = _reject_file(
                    landing_file, fmt.name, count_records(landing_file, layout), "duplicate_column",
                    f"the header names {', '.join(repeated)} more than once, so which column holds the values "
                    "cannot be told; nothing was loaded",
                    ingested_at,
                )
            elif missing := fmt.missing_columns(header):
                outcome, writes = _reject_file(
                    landing_file, fmt.name, count_records(landing_file, layout), "missing_columns",
                    f"{fmt.description or fmt.name} is missing required column(s): {', '.join(missing)}",
                    ingested_at,
                )
            else:
                if isinstance(fmt, ResultFormat):
                    outcome, writes = prepare_results(con, landing_file, layout, fmt, ingested_at, rules)
                elif isinstance(fmt, RecordFormat):
                    outcome, writes = prepare_records(con, landing_file, layout, fmt, ingested_at, rules)
                else:
                    outcome, writes = prepare_roster(con, landing_file, layout, fmt, ingested_at)
                writes += _supersede_writes(con, landing_file, outcome, ingested_at)
            if fmt is not None and header:
                outcome.new_columns, outcome.missing_columns = fmt.drift(header)
                writes += _drift_writes(landing_file, fmt.name, outcome, ingested_at)
        _commit(con, writes + [_manifest_write(landing_file, outcome, ingested_at)])
    except (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException):
        raise  # a fault in a layout declaration or in this module, not in the file
    except Exception as error:  # noqa: BLE001 - whatever a file holds, it is rejected, never the run
        code, reason = _unreadable(error, layout)
        outcome, writes = _reject_file(
            landing_file, fmt.name if fmt else None, count_records(landing_file, layout) if layout else 0,
            code, reason, ingested_at,
        )
        _commit(con, writes + [_manifest_write(landing_file, outcome, ingested_at)])
    finally:
        con.execute("drop view if exists _long; drop table if exists _rows; drop table if exists _errors")
    return outcome


def _unreadable(error: Exception, layout: TextLayout | None) -> tuple[str, str]:
    if isinstance(error, UnreadableFile):
        return error.code, error.reason
    first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
    if layout is not None and layout.kind == "text" and not layout.ends_with_newline and (
        "Expected" in first_line or "quote" in first_line.lower()
    ):
        return "truncated_file", "the file ends part-way through a record (it was cut off); nothing was loaded"
    if "Expected" in first_line and "columns" in first_line:
        return "malformed_file", (
            "a record has a different number of fields from the header "
            f"({first_line.split(':')[1].strip() if ':' in first_line else first_line}); nothing was loaded"
        )
    if "straddling" in first_line or "block size" in first_line:
        return "row_too_wide", "a record runs across more than two of the reader's 1 MiB blocks; nothing was loaded"
    if isinstance(error, (UnicodeError, LookupError)):
        return "unreadable_file", f"the text cannot be decoded ({first_line}); nothing was loaded"
    return "unreadable_file", f"the file could not be read ({type(error).__name__}: {first_line}); nothing was loaded"


def _commit(con: duckdb.DuckDBPyConnection, writes: list[Write]) -> None:
    con.execute("begin transaction")
    try:
        for sql, params in writes:
            con.execute(sql, params)
        con.execute("commit")
    except duckdb.Error:
        con.execute("rollback")
        raise


def _supersede_writes(con, landing_file: LandingFile, outcome: FileOutcome, ingested_at) -> list[Write]:
    """A file delivered again at the same landing path with new content is a corrected re-export:
    the earlier deliveries' rows are retired (kept in raw, listed in raw.superseded_files)."""
    earlier = con.execute(
        """
        select file_sha256 from raw.file_manifest
        where source_file = ? and status = 'loaded' and file_sha256 <> ?
          and file_sha256 not in (select file_sha256 from raw.superseded_files)
        """,
        [landing_file.relative_path, landing_file.sha256],
    ).fetchall()
    outcome.supersedes = [row[0] for row in earlier]
    return [
        (
            "insert into raw.superseded_files values (?, ?, ?, ?, ?)",
            [sha, landing_file.relative_path, landing_file.sha256, landing_file.relative_path, ingested_at],
        )
        for (sha,) in earlier
    ]


def _drift_writes(landing_file: LandingFile, fmt_name: str, outcome: FileOutcome, ingested_at) -> list[Write]:
    return [
        (
            "insert into raw.schema_drift values (?, ?, ?, ?, ?, ?)",
            [landing_file.relative_path, landing_file.sha256, fmt_name, column, change, ingested_at],
        )
        for change, columns in (("new", outcome.new_columns), ("missing", outcome.missing_columns))
        for column in columns
    ]


def _reject_file(landing_file: LandingFile, fmt_name, rows, reason_code, reason, ingested_at):
    """A file rejected whole: every one of its rows counts as rejected, for one reason."""
    outcome = FileOutcome(landing_file.relative_path, fmt_name, "rejected", rows, 0, rows, f"{reason_code}: {reason}")
    outcome.rejections = {(reason_code, ""): rows}
    write = (
        "insert into raw.rejected_rows values (?, null, ?, null, ?, ?, null, ?)",
        [landing_file.relative_path, landing_file.sha256, reason_code, f"{landing_file.relative_path}: {reason}",
         ingested_at],
    )
    return outcome, [write]


def _manifest_write(landing_file: LandingFile, outcome: FileOutcome, ingested_at) -> Write:
    return (
        "insert into raw.file_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            landing_file.sha256, landing_file.relative_path, outcome.file_format, landing_file.size_bytes,
            outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected, outcome.status, outcome.reason,
            ingested_at,
        ],
    )
