"""Bulk load of landing files into the `raw` schema, one transaction per file.

Each file is identified by its content hash: a file already recorded in raw.file_manifest is
not loaded again. Every data row of a file is either loaded or rejected with a reason code and a
message naming the file, row and column, and the manifest records
rows_read = rows_loaded + rows_rejected. A file that cannot be read as a whole (empty, unknown
layout, missing required columns, truncated) is rejected whole; other files carry on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from .canonical import (
    MANIFEST_DDL,
    REJECTED_ROWS_DDL,
    RESULT_COLUMNS,
    SCHEMA_DRIFT_DDL,
    SUPERSEDED_FILES_DDL,
    results_table_ddl,
)
from .files import (
    ArchiveLimits,
    LandingFile,
    TextLayout,
    UnreadableFile,
    count_records,
    read_table,
    scan_landing,
    sniff,
)
from .formats import RECORD_FORMATS, RESULT_TABLES, closest_format, detect_format, missing_identifying
from .formats.base import RecordFormat, ResultFormat, RosterFormat, alternatives, first_present, q, repeated_columns
from .grades import grade_sql

# The spring year of a school year written as "2021-2022", "Fall 2021-2022", "2021-22" or "2022".
SCHOOL_YEAR_SQL = """
case
    when regexp_matches({x}, '\\d{{4}}\\s*[-/]\\s*\\d{{4}}')
        then try_cast(regexp_extract({x}, '\\d{{4}}\\s*[-/]\\s*(\\d{{4}})', 1) as integer)
    when regexp_matches({x}, '\\d{{4}}\\s*[-/]\\s*\\d{{2}}(\\D|$)')
        then try_cast(regexp_extract({x}, '(\\d{{2}})\\d{{2}}\\s*[-/]\\s*\\d{{2}}', 1) as integer) * 100
            + try_cast(regexp_extract({x}, '\\d{{4}}\\s*[-/]\\s*(\\d{{2}})', 1) as integer)
    when regexp_matches({x}, '(^|\\D)\\d{{4}}(\\D|$)')
        then try_cast(regexp_extract({x}, '(\\d{{4}})', 1) as integer)
end
"""

# A text cell a spreadsheet would run as a formula: = or @ first, or + / - first when the cell is
# not a number (a negative score is fine), or a leading tab or carriage return.
FORMULA_SQL = """
(left({x}, 1) in ('=', '@', chr(9), chr(13))
 or (left({x}, 1) in ('+', '-') and try_cast({x} as double) is null))
"""

def number_sql(x: str, decimal_comma: bool = False) -> str:
    """A number written as a plain decimal (optionally with an exponent), or with commas that
    group thousands (1,234.5); NULL for anything else. So "2,07" and "81,5" are not numbers
    where a layout writes a decimal point: a decimal comma is read only where a layout declares
    it (decimal_comma), and then a point may group thousands (1.234,5). 'nan', 'inf' and other
    words a cast would accept are not numbers either."""
    if decimal_comma:
        return (
            f"case when regexp_full_match({x}, '[+-]?(\\d{{1,3}}(\\.\\d{{3}})+|\\d+)(,\\d+)?') "
            f"then try_cast(replace(replace({x}, '.', ''), ',', '.') as double) end"
        )
    return (
        f"case when regexp_full_match({x}, '[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?') then try_cast({x} as double) "
        f"when regexp_full_match({x}, '[+-]?\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?') then try_cast(replace({x}, ',', '') as double) end"
    )


TIME_FORMATS = "['%H:%M:%S', '%I:%M:%S %p', '%H:%M', '%I:%M %p']"
TYPED_RESULT_FIELDS = {
    "vendor_student_id", "state_student_id", "school_ref", "school_name", "reported_period",
    "assessment_date", "assessment_time", "enrolled_grade", "assessed_grade", "standard_error",
    "school_year", "typical_growth", "stretch_growth", "score_metric", "goal_score", "goal_date",
    "scale_score", "percentile", "vendor_level",
}


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
class FileOutcome:
    source_file: str
    file_format: str | None
    status: str  # loaded | rejected | already_loaded
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None
    new_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    supersedes: list[str] = field(default_factory=list)
    rejections: dict[tuple[str, str], int] = field(default_factory=dict)  # (reason_code, column) -> rows


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


Write = tuple[str, list]


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
                    outcome, writes = _prepare_results(con, landing_file, layout, fmt, ingested_at, rules)
                elif isinstance(fmt, RecordFormat):
                    outcome, writes = _prepare_records(con, landing_file, layout, fmt, ingested_at, rules)
                else:
                    outcome, writes = _prepare_roster(con, landing_file, layout, fmt, ingested_at)
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


def _file_col(name: str) -> str:
    """The quoted name under which a file column is held in `_rows` (apart from canonical names)."""
    return q("~" + name)


def _read_rows(con, landing_file: LandingFile, layout: TextLayout, columns: list[str], typed: str = "") -> None:
    """Read the file's `columns` as trimmed text (empty -> NULL), each as "~<name>", plus any `typed`
    expressions over them, and `_source_row`, into the temp table `_rows`."""
    table = read_table(landing_file, layout, columns)
    table = table.rename_columns(["~" + c if c != "_source_row" else c for c in table.column_names])
    trimmed = ", ".join(f"nullif(trim({_file_col(c)}), '') as {_file_col(c)}" for c in columns)
    extra = f", {typed}" if typed else ""
    con.register("_arrow_rows", table)
    try:
        con.execute(
            f"create or replace temp table _rows as select *{extra} from ("
            f"select _source_row{', ' + trimmed if trimmed else ''} from _arrow_rows)"
        )
    finally:
        con.unregister("_arrow_rows")


def _literal(value: str | None) -> str:
    return "null::varchar" if value is None else "'" + value.replace("'", "''") + "'"


def _date_sql(text: str, formats: tuple[str, ...]) -> str:
    patterns = "[" + ", ".join(_literal(f) for f in formats) + "]"
    return f"try_strptime({text}, {patterns})::date"


ERROR_COLUMNS = "_source_row, column_name, reason_code, detail"


def _formula_checks(columns: list[str], source: str = "_rows") -> list[str]:
    return [
        f"select _source_row, {_literal(c)}, 'formula_injection', "
        f"'the text starts like a spreadsheet formula, so it is not loaded' from {source} "
        f"where {_file_col(c)} is not null and {FORMULA_SQL.format(x=_file_col(c))}"
        for c in columns
    ]


def _duplicate_check(expressions: list[str], label: str) -> list[str]:
    """Rows repeating an earlier row of the same file exactly (on the SQL `expressions`)."""
    if not expressions:
        return []
    key = ", ".join(expressions)
    return [
        f"""
        select _source_row, {_literal(label)}, 'duplicate_row',
               'the row repeats row ' || first_row || ' of the file exactly'
        from (
            select _source_row, min(_source_row) over (partition by _row_hash) as first_row
            from (select _source_row, hash({key}) as _row_hash from _rows)
            where _row_hash in (
                select hash({key}) from _rows group by all having count(*) > 1
            )
        )
        where _source_row > first_row
        """
    ]


def _calendar_checks(value: str, column: str, source: str, rules: IngestRules, observed: bool) -> list[str]:
    """A date outside the district's calendar (first_school_year to last_school_year) is refused;
    a date on which something was observed may also not lie more than future_days ahead."""
    start, end, latest = rules.calendar_start, rules.calendar_end, rules.latest_date
    checks = [
        f"""
        select _source_row, {column}, 'date_outside_calendar',
               'the date ' || strftime({value}, '%Y-%m-%d') || ' is outside the district calendar '
               || '({start.isoformat()} to {(end - timedelta(days=1)).isoformat()})'
               || case when year({value}) < 100 then ': a two-digit year? write the year in full' else '' end
        from {source}
        where {value} < date '{start.isoformat()}' or {value} >= date '{end.isoformat()}'
        """
    ]
    if observed:
        checks.append(
            f"""
            select _source_row, {column}, 'future_date',
                   'the date ' || strftime({value}, '%Y-%m-%d') || ' is in the future (after {latest.isoformat()}, '
                   || 'the day it was loaded plus {rules.future_days} days)'
            from {source}
            where {value} > date '{latest.isoformat()}'
            """
        )
    return checks


def _errors_and_counts(con, checks: list[str]) -> tuple[int, dict[tuple[str, str], int]]:
    con.execute(
        f"create or replace temp table _errors as select distinct * from ("
        f"{' union all '.join(f'select * from ({c})' for c in checks)}) as e({ERROR_COLUMNS})"
    )
    rejected = con.execute("select count(distinct _source_row) from _errors").fetchone()[0]
    breakdown = {
        (code, column): n
        for code, column, n in con.execute(
            "select reason_code, column_name, count(distinct _source_row) from _errors group by all"
        ).fetchall()
    }
    return rejected, breakdown


def _rejection_write(landing_file: LandingFile, record_columns: list[str], ingested_at) -> Write:
    source_file = landing_file.relative_path.replace("'", "''")
    record = ", ".join(f"{q(c)} := _rows.{_file_col(c)}" for c in record_columns) or "_row := null"
    return (
        f"""
        insert into raw.rejected_rows
        select
            '{source_file}', e._source_row, '{landing_file.sha256}', e.column_name, e.reason_code,
            '{source_file} row ' || e._source_row || ' column ''' || e.column_name || ''': ' || e.detail,
            to_json(struct_pack({record}))::varchar,
            ?::timestamp
        from _errors e
        join _rows on _rows._source_row = e._source_row
        """,
        [ingested_at],
    )


def _prepare_results(con, landing_file: LandingFile, layout: TextLayout, fmt: ResultFormat, ingested_at, rules):
    """Read and check an assessment export; return its outcome and the writes that load it."""
    header = layout.header
    present = set(header)
    resolved = {canonical: first_present(column, present) for canonical, column in fmt.columns.items()}
    resolved = {k: v for k, v in resolved.items() if v}
    blocks = []
    for block in fmt.measures:
        score = first_present(block.score, present)
        if score:
            blocks.append((
                block, score, first_present(block.percentile, present), first_present(block.level, present),
                first_present(block.date, present),
            ))
    wanted = sorted(set(resolved.values()) | {c for b in blocks for c in b[1:] if c})

    def text(canonical: str) -> str:
        name = resolved.get(canonical)
        return _file_col(name) if name else "null::varchar"

    date_formats = fmt.date_formats + ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")

    def num(value_sql: str) -> str:
        return number_sql(value_sql, fmt.decimal_comma)
    extra_text = [k for k in resolved if k not in TYPED_RESULT_FIELDS]
    extra = "".join(f", {text(k)} as {q(k)}" for k in extra_text)
    # Every field the row's measures share is typed once per file row, in the reading pass.
    _read_rows(
        con, landing_file, layout, wanted,
        typed=f"""
            {text('vendor_student_id')} as vendor_student_id,
            {text('state_student_id')} as state_student_id,
            {text('school_ref')} as school_ref,
            {text('school_name')} as school_name,
            {text('reported_period')} as reported_period,
            {_date_sql(text('assessment_date'), date_formats)} as assessment_date,
            try_strptime({text('assessment_time')}, {TIME_FORMATS})::time as assessment_time,
            {grade_sql(text('enrolled_grade'))} as enrolled_grade,
            {grade_sql(text('assessed_grade'))} as assessed_grade,
            {num(text('standard_error'))} as standard_error,
            {SCHOOL_YEAR_SQL.format(x=text('school_year'))} as reported_school_year,
            {num(text('typical_growth'))} as typical_growth,
            {num(text('stretch_growth'))} as stretch_growth,
            {text('score_metric')} as score_metric,
            {num(text('goal_score'))} as goal_score,
            {_date_sql(text('goal_date'), date_formats)} as goal_date
            {extra}
        """,
    )
    rows_read = con.execute("select count(*) from _rows").fetchone()[0]
    base = (
        "_source_row, vendor_student_id, state_student_id, school_ref, school_name, enrolled_grade, "
        "assessed_grade, standard_error, reported_school_year, typical_growth, stretch_growth, score_metric, "
        "goal_score, goal_date, assessment_time"
    )
    branches = []
    if fmt.measure_expr:
        branches.append(
            f"select {base}, reported_period, assessment_date, {text('assessment_date')} as date_text, "
            f"{_literal(resolved.get('assessment_date'))} as date_column, "
            f"({fmt.measure_expr}) as measure_id, {text('scale_score')} as score_text, "
            f"{_literal(resolved.get('scale_score'))} as score_column, {text('percentile')} as percentile_text, "
            f"{_literal(resolved.get('percentile'))} as percentile_column, "
            f"{text('vendor_level')} as vendor_level from _rows"
        )
    for block, score, percentile, level, block_date in blocks:
        period = f"coalesce({_literal(block.period)}, reported_period)" if block.period else "reported_period"
        date_text = f"coalesce({_file_col(block_date)}, {text('assessment_date')})" if block_date else text("assessment_date")
        date_value = (
            f"coalesce({_date_sql(_file_col(block_date), date_formats)}, assessment_date)" if block_date else "assessment_date"
        )
        date_column = f"case when {_file_col(block_date)} is not null then {_literal(block_date)} else {_literal(resolved.get('assessment_date'))} end" if block_date else _literal(resolved.get("assessment_date"))
        only_given = f"{_file_col(score)} is not null"
        if not fmt.score_required and level:
            only_given = f"({_file_col(score)} is not null or {_file_col(level)} is not null)"
        branches.append(
            f"select {base}, {period} as reported_period, {date_value} as assessment_date, {date_text} as date_text, "
            f"{date_column} as date_column, {_literal(block.measure_id)} as measure_id, "
            f"{_file_col(score)} as score_text, {_literal(score)} as score_column, "
            f"{_file_col(percentile) if percentile else 'null::varchar'} as percentile_text, "
            f"{_literal(percentile)} as percentile_column, "
            f"{_file_col(level) if level else 'null::varchar'} as vendor_level from _rows where {only_given}"
        )
    if not branches:
        branches.append(
            f"select {base}, reported_period, assessment_date, null::varchar as date_text, null::varchar as date_column, "
            "null::varchar as measure_id, null::varchar as score_text, null::varchar as score_column, "
            "null::varchar as percentile_text, null::varchar as percentile_column, null::varchar as vendor_level "
            "from _rows where false"
        )
    con.execute(
        f"""
        create or replace temp view _long as
        select
            *,
            {num('score_text')} as scale_score,
            {num("rtrim(percentile_text, '%')")} as percentile
        from ({' union all '.join(branches)})
        """
    )

    def row_error(canonical: str, reason: str, detail: str, condition: str) -> str:
        return (
            f"select _source_row, {_literal(resolved.get(canonical, canonical))} as column_name, "
            f"'{reason}' as reason_code, {detail} as detail from _rows where {condition}"
        )

    def quoted(value_sql: str) -> str:
        return f"'''' || {value_sql} || ''''"

    checks = [
        row_error("vendor_student_id", "missing_value", "'a value is required'", "vendor_student_id is null"),
        "select _source_row, coalesce(date_column, 'assessment date'), 'missing_value', 'a value is required' "
        "from _long where date_text is null",
        "select _source_row, date_column, 'unparseable_date', 'cannot read ' || " + quoted("date_text") + " || ' as a date' "
        "from _long where date_text is not null and assessment_date is null",
        "select _source_row, score_column, 'unparseable_number', 'cannot read ' || " + quoted("score_text") + " || ' as a number' "
        "from _long where scale_score is null and score_text is not null",
        "select l._source_row, l.score_column, 'score_out_of_scale', 'the score ' || l.score_text || "
        "' is outside the scale of ' || l.measure_id || ' (' || s.scale_min || ' to ' || s.scale_max || ')' "
        "from _long l join _scale_ranges s on s.measure_id = l.measure_id "
        "where l.scale_score < s.scale_min or l.scale_score > s.scale_max",
        f"""
        select _source_row, date_column, 'date_outside_school_year',
               'the date ' || strftime(assessment_date, '%Y-%m-%d') || ' is not in the ' ||
               (reported_school_year - 1) || '-' || reported_school_year || ' school year the file states'
        from _long
        where reported_school_year is not null and assessment_date is not null
          and (assessment_date < make_date(reported_school_year - 1, {rules.year_start_month}, {rules.year_start_day})
               or assessment_date >= make_date(reported_school_year, {rules.year_start_month}, {rules.year_start_day}))
        """,
        *_calendar_checks("assessment_date", "date_column", "_long", rules, observed=True),
        "select _source_row, percentile_column, 'unparseable_number', 'cannot read ' || " + quoted("percentile_text")
        + " || ' as a percentile' from _long "
        "where percentile is null and regexp_matches(percentile_text, '\\d')",
    ]
    if fmt.vendor:
        checks.append(
            f"select l._source_row, {_literal(resolved.get('measure_name', 'measure'))}, 'measure_of_another_source', "
            "l.measure_id || ' is a measure of ' || v.vendor || ': its results are loaded from ' || v.vendor || "
            "' exports only, so that they never mix with another source''s' "
            f"from _long l join _measure_vendors v on v.measure_id = l.measure_id where v.vendor <> {_literal(fmt.vendor)}"
        )
    if fmt.score_required:
        checks.append(
            "select _source_row, score_column, 'missing_value', 'a value is required' from _long "
            "where score_text is null and measure_id is not null"
        )
    else:
        checks.append(
            "select _source_row, score_column, 'missing_value', 'a score or a level is required' from _long "
            "where score_text is null and vendor_level is null"
        )
    if fmt.measure_expr:
        checks.append(
            f"select _source_row, {_literal(resolved.get('measure_name', resolved.get('measure_id', 'measure')))}, "
            "'unknown_measure', 'no configured measure has this name' from _long where measure_id is null"
        )
    else:
        checks.append(
            "select _source_row, 'scores', 'no_scores', 'the row holds no score for any measure' from _rows "
            "where _source_row not in (select _source_row from _long)"
        )
    for canonical in ("standard_error", "goal_score", "typical_growth", "stretch_growth"):
        if canonical in resolved:
            checks.append(row_error(
                canonical, "unparseable_number", "'cannot read ' || " + quoted(text(canonical)) + " || ' as a number'",
                f"{text(canonical)} is not null and {canonical} is null",
            ))
    if "goal_date" in resolved:
        checks.append(row_error(
            "goal_date", "unparseable_date", "'cannot read ' || " + quoted(text("goal_date")) + " || ' as a date'",
            f"{text('goal_date')} is not null and goal_date is null",
        ))
        checks += _calendar_checks("goal_date", _literal(resolved["goal_date"]), "_rows", rules, observed=False)
    for grade in ("enrolled_grade", "assessed_grade"):
        if grade in resolved:
            checks.append(row_error(
                grade, "unparseable_grade", "'cannot read ' || " + quoted(text(grade)) + " || ' as a grade level'",
                f"{text(grade)} is not null and {grade} is null",
            ))
    checks += _formula_checks(wanted)
    checks += _duplicate_check([_file_col(c) for c in wanted], "(whole row)")
    rows_rejected, breakdown = _errors_and_counts(con, checks)
    source_file = landing_file.relative_path.replace("'", "''")
    writes: list[Write] = []
    if rows_rejected:
        writes.append(_rejection_write(landing_file, wanted, ingested_at))
    keep = "where _source_row not in (select _source_row from _errors)" if rows_rejected else ""
    writes.append((
        f"""
        insert into raw.{fmt.raw_table} by name
        select
            '{fmt.name}' as source_format,
            vendor_student_id, state_student_id, school_ref, school_name, measure_id, assessment_date,
            assessment_time, reported_period, enrolled_grade,
            coalesce(assessed_grade, enrolled_grade) as assessed_grade,
            scale_score, standard_error, percentile, vendor_level, reported_school_year, typical_growth,
            stretch_growth, score_metric, goal_score, goal_date,
            '{source_file}' as source_file, _source_row as source_row,
            '{landing_file.sha256}' as file_sha256, ?::timestamp as ingested_at
        from _long
        {keep}
        """,
        [ingested_at],
    ))
    outcome = _loaded(landing_file, fmt.name, rows_read, rows_rejected)
    outcome.rejections = breakdown
    return outcome, writes


def _prepare_records(con, landing_file: LandingFile, layout: TextLayout, fmt: RecordFormat, ingested_at, rules):
    """Read, type and check a record file (interventions, goals, ...); return its outcome and writes."""
    present = set(layout.header)
    resolved = {name: first_present(f.column, present) for name, f in fmt.fields.items()}
    wanted = sorted({c for c in resolved.values() if c})

    def text(name: str) -> str:
        column = resolved.get(name)
        return _file_col(column) if column else "null::varchar"

    def typed(name: str) -> str:
        kind = fmt.fields[name].kind
        if kind == "date":
            return _date_sql(text(name), fmt.date_formats + ("%Y-%m-%d %H:%M:%S",))
        if kind == "number":
            return number_sql(text(name), fmt.decimal_comma)
        if kind == "integer":
            return f"try_cast({number_sql(text(name), fmt.decimal_comma)} as bigint)"
        return text(name)

    projection = ", ".join(f"{typed(name)} as {q('=' + name)}" for name in fmt.fields)
    _read_rows(con, landing_file, layout, wanted, typed=projection)
    rows_read = con.execute("select count(*) from _rows").fetchone()[0]
    checks = []
    for name, spec in fmt.fields.items():
        column = resolved.get(name) or alternatives(spec.column)[0]
        value = q("=" + name)
        if spec.required:
            checks.append(
                f"select _source_row, {_literal(column)}, 'missing_value', 'a value is required' from _rows "
                f"where {text(name)} is null"
            )
        if spec.kind in ("date", "number", "integer") and resolved.get(name):
            what = "a date" if spec.kind == "date" else "a number" if spec.kind == "number" else "a whole number"
            code = "unparseable_date" if spec.kind == "date" else "unparseable_number"
            checks.append(
                f"select _source_row, {_literal(column)}, '{code}', 'cannot read ''' || {text(name)} || ''' as {what}' "
                f"from _rows where {text(name)} is not null and {value} is null"
            )
        if spec.kind == "date" and resolved.get(name):
            checks += _calendar_checks(value, _literal(column), "_rows", rules, observed=spec.observed)
        if spec.choices and resolved.get(name):
            allowed = ", ".join(_literal(c) for c in spec.choices)
            checks.append(
                f"select _source_row, {_literal(column)}, 'unknown_value', "
                f"'''' || {text(name)} || ''' is not one of: {', '.join(spec.choices)}' "
                f"from _rows where {text(name)} is not null and lower({text(name)}) not in ({allowed})"
            )
    checks += _formula_checks(wanted)
    key = [q("=" + k) for k in fmt.key] if fmt.key else [_file_col(c) for c in wanted]
    checks += _duplicate_check(key, "(record key)" if fmt.key else "(whole row)")
    rows_rejected, breakdown = _errors_and_counts(con, checks) if checks else (0, {})
    source_file = landing_file.relative_path.replace("'", "''")
    writes: list[Write] = []
    if rows_rejected:
        writes.append(_rejection_write(landing_file, wanted, ingested_at))
    keep = "where _source_row not in (select _source_row from _errors)" if rows_rejected else ""
    select = ", ".join(f"{q('=' + name)} as {q(name)}" for name in fmt.fields)
    writes.append((
        f"""
        insert into raw.{fmt.raw_table} by name
        select {select}, '{fmt.name}' as source_format, '{source_file}' as source_file, _source_row as source_row,
               '{landing_file.sha256}' as file_sha256, ?::timestamp as ingested_at
        from _rows {keep}
        """,
        [ingested_at],
    ))
    outcome = _loaded(landing_file, fmt.name, rows_read, rows_rejected)
    outcome.rejections = breakdown
    return outcome, writes


def _prepare_roster(con, landing_file: LandingFile, layout: TextLayout, fmt: RosterFormat, ingested_at):
    """Read and check a roster table; return its outcome and the writes that load it as text."""
    columns = list(dict.fromkeys(c for c in layout.header if c))
    _read_rows(con, landing_file, layout, columns)
    rows_read = con.execute("select count(*) from _rows").fetchone()[0]
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [fmt.raw_table],
        ).fetchall()
    }
    writes: list[Write] = []
    if not existing:
        body = ", ".join(f"{q(c)} varchar" for c in columns)
        writes.append((
            f"create table raw.{fmt.raw_table} ({body}, source_file varchar, source_row bigint, "
            f"file_sha256 varchar, ingested_at timestamp)",
            [],
        ))
    # A new column in a later delivery is added; a column it no longer has stays, NULL for its rows.
    writes += [
        (f"alter table raw.{fmt.raw_table} add column {q(c)} varchar", [])
        for c in columns
        if existing and c not in existing
    ]
    present = set(columns)
    checks = [
        f"select _source_row, {_literal(first_present(c, present))}, 'missing_value', 'a value is required' "
        f"from _rows where {_file_col(first_present(c, present))} is null"
        for c in fmt.required_columns
        if first_present(c, present)
    ]
    checks += _formula_checks(columns)
    checks += _duplicate_check([_file_col(c) for c in columns], "(whole row)")
    rows_rejected, breakdown = _errors_and_counts(con, checks)
    source_file = landing_file.relative_path.replace("'", "''")
    if rows_rejected:
        writes.append(_rejection_write(landing_file, columns, ingested_at))
    projection = ", ".join(f"{_file_col(c)} as {q(c)}" for c in columns)
    keep = "where _source_row not in (select _source_row from _errors)" if rows_rejected else ""
    writes.append((
        f"""
        insert into raw.{fmt.raw_table} by name
        select {projection}, '{source_file}' as source_file, _source_row as source_row,
               '{landing_file.sha256}' as file_sha256, ?::timestamp as ingested_at
        from _rows {keep}
        """,
        [ingested_at],
    ))
    outcome = _loaded(landing_file, fmt.name, rows_read, rows_rejected)
    outcome.rejections = breakdown
    return outcome, writes


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


def _loaded(landing_file: LandingFile, fmt_name: str, rows_read: int, rows_rejected: int) -> FileOutcome:
    return FileOutcome(
        landing_file.relative_path, fmt_name, "loaded", rows_read, rows_read - rows_rejected, rows_rejected,
        None if rows_rejected == 0 else f"{rows_rejected} row(s) rejected",
    )


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
