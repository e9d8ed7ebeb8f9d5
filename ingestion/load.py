"""Bulk load of landing files into the `raw` schema, one transaction per file.

Each file is identified by its content hash: a file already recorded in
raw.file_manifest is not loaded again. Every data row of a file is either loaded or
rejected with a reason naming the file, row and column, and the manifest records
rows_read = rows_loaded + rows_rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .canonical import MANIFEST_DDL, REJECTED_ROWS_DDL, results_table_ddl
from .files import LandingFile, header_delimiter, read_header, scan_landing
from .formats import RESULT_TABLES, ResultFormat, RosterFormat, detect_format
from .formats.base import q

GRADE_SQL = """
case
    when {x} is null then null
    when upper({x}) in ('K', 'KG', 'KF', 'KH', 'KINDERGARTEN', '0', '00') then 0
    when upper({x}) in ('PK', 'PREK', 'PRE-K', 'P', '-1') then -1
    else try_cast({x} as integer)
end
"""


@dataclass
class FileOutcome:
    source_file: str
    file_format: str | None
    status: str  # loaded | rejected | already_loaded
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None


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


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(MANIFEST_DDL)
    con.execute(REJECTED_ROWS_DDL)
    for table in RESULT_TABLES:
        con.execute(results_table_ddl(table))


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> IngestSummary:
    """Load every new file under `landing_dir`; files already loaded are skipped."""
    ensure_raw_schema(con)
    summary = IngestSummary()
    known = {
        row[0]
        for row in con.execute(
            "select file_sha256 from raw.file_manifest where status in ('loaded', 'rejected')"
        ).fetchall()
    }
    for landing_file in scan_landing(landing_dir):
        if landing_file.sha256 in known:
            outcome = FileOutcome(landing_file.relative_path, None, "already_loaded")
        else:
            outcome = ingest_file(con, landing_file)
            known.add(landing_file.sha256)
        summary.files.append(outcome)
        if on_file:
            on_file(outcome)
    return summary


Write = tuple[str, list]


def ingest_file(con: duckdb.DuckDBPyConnection, landing_file: LandingFile) -> FileOutcome:
    """Load one file: its rows, its rejections and its manifest line are written in one transaction.

    The file is first read and checked in temporary tables; only the writes to `raw` happen in
    the transaction, so a run killed at any point leaves each file wholly loaded or not at all.
    """
    ingested_at = datetime.now(timezone.utc).replace(tzinfo=None)
    header = read_header(landing_file.path)
    fmt = detect_format(header) if header else None
    try:
        if not header:
            outcome, writes = _reject_file(landing_file, None, 0, "empty_file", "the file is empty", ingested_at)
        elif fmt is None:
            outcome, writes = _reject_file(
                landing_file, None, _count_rows(con, landing_file.path), "unknown_layout",
                f"no known export layout has this header (first columns: {', '.join(header[:5])})",
                ingested_at,
            )
        elif missing := [c for c in fmt.required_columns if c not in header]:
            outcome, writes = _reject_file(
                landing_file, fmt.name, _count_rows(con, landing_file.path), "missing_columns",
                f"{fmt.description or fmt.name} is missing required column(s): {', '.join(missing)}",
                ingested_at,
            )
        elif isinstance(fmt, ResultFormat):
            outcome, writes = _prepare_results(con, landing_file, fmt, header, ingested_at)
        else:
            outcome, writes = _prepare_roster(con, landing_file, fmt, header, ingested_at)
        _commit(con, writes + [_manifest_write(landing_file, outcome, ingested_at)])
    except (duckdb.Error, pa.ArrowException) as error:
        reason = f"the file could not be loaded: {str(error).splitlines()[0]}"
        outcome, writes = _reject_file(
            landing_file, fmt.name if fmt else None, _count_rows(con, landing_file.path), "unreadable_file",
            reason, ingested_at,
        )
        _commit(con, writes + [_manifest_write(landing_file, outcome, ingested_at)])
    finally:
        con.execute("drop view if exists _long; drop table if exists _rows; drop table if exists _errors")
    return outcome


def _commit(con: duckdb.DuckDBPyConnection, writes: list[Write]) -> None:
    con.execute("begin transaction")
    try:
        for sql, params in writes:
            con.execute(sql, params)
        con.execute("commit")
    except duckdb.Error:
        con.execute("rollback")
        raise


def _read_rows(con, path: Path, header: list[str], columns: list[str], typed: str = "") -> None:
    """Read the file's `columns` as trimmed text (plus any `typed` expressions over them) into `_rows`.

    Arrow's CSV reader parses on every core and returns the records in file order, so each record
    gets `_source_row`, its row number as a spreadsheet shows it (the header is row 1). The header
    is the one already parsed: nothing is sniffed and the file is read once.
    """
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=header_delimiter(path), newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=columns,
            column_types={c: pa.string() for c in columns},
            strings_can_be_null=False,
        ),
    )
    table = table.append_column("_source_row", pa.array(np.arange(2, table.num_rows + 2, dtype=np.int64)))
    trimmed = ", ".join(f"nullif(trim({q(c)}), '') as {q(c)}" for c in columns)
    extra = f", {typed}" if typed else ""
    con.register("_arrow_rows", table)
    try:
        con.execute(
            f"create or replace temp table _rows as select *{extra} from ("
            f"select _source_row, {trimmed} from _arrow_rows)"
        )
    finally:
        con.unregister("_arrow_rows")


def _count_rows(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    try:
        path_literal = str(path).replace("'", "''")
        return con.execute(
            f"select count(*) from read_csv('{path_literal}', header = true, all_varchar = true, "
            f"auto_detect = true, ignore_errors = true)"
        ).fetchone()[0]
    except duckdb.Error:
        with open(path, "rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)


def _measure_branches(fmt: ResultFormat, header: list[str]) -> list[str]:
    """One SELECT over `_rows` per measure block: the wide file becomes one row per measure score."""
    present = set(header)

    def text(column: str | None) -> str:
        return q(column) if column and column in present else "null::varchar"

    base = (
        "_source_row, vendor_student_id, state_student_id, school_ref, school_name, reported_period, "
        "assessment_date, assessment_time, enrolled_grade, assessed_grade, standard_error"
    )
    if fmt.measure_expr:
        score = fmt.columns["scale_score"]
        return [
            f"select {base}, _measure_id as measure_id, {text(score)} as score_text, "
            f"'{score}' as score_column, {text(fmt.columns.get('percentile'))} as percentile_text, "
            f"{text(fmt.columns.get('vendor_level'))} as vendor_level from _rows"
        ]
    branches = []
    for block in fmt.measures:
        if block.score not in present:
            continue
        score_literal = block.score.replace("'", "''")
        branches.append(
            f"select {base}, '{block.measure_id}' as measure_id, {q(block.score)} as score_text, "
            f"'{score_literal}' as score_column, {text(block.percentile)} as percentile_text, "
            f"{text(block.level)} as vendor_level from _rows where {q(block.score)} is not null"
        )
    return branches


REJECTION_MESSAGE_SQL = """
    '{file} row ' || e._source_row || ' column ''' || e.column_name || ''': ' ||
    case e.reason_code
        when 'missing_value' then 'a value is required'
        when 'unparseable_date' then 'cannot read ''' || e.bad_value || ''' as a date'
        when 'unparseable_number' then 'cannot read ''' || e.bad_value || ''' as a number'
        when 'unparseable_grade' then 'cannot read ''' || e.bad_value || ''' as a grade level'
        else e.reason_code
    end
"""


def _prepare_results(con, landing_file: LandingFile, fmt: ResultFormat, header, ingested_at):
    """Read and check an assessment export; return its outcome and the writes that load it."""
    present = set(header)
    wanted = sorted(
        {c for c in fmt.columns.values() if c in present}
        | {c for b in fmt.measures for c in (b.score, b.percentile, b.level) if c and c in present}
        | ({"Subject"} if fmt.measure_expr and "Subject" in present else set())
    )
    cols = fmt.columns

    def text(canonical: str) -> str:
        name = cols.get(canonical)
        return q(name) if name and name in present else "null::varchar"

    date_formats = "[" + ", ".join(f"'{f}'" for f in fmt.date_formats) + "]"
    measure = f", {fmt.measure_expr} as _measure_id" if fmt.measure_expr else ""
    # Every field the row's measures share is typed once per file row, in the reading pass.
    _read_rows(
        con, landing_file.path, header, wanted,
        typed=f"""
            {text('vendor_student_id')} as vendor_student_id,
            {text('state_student_id')} as state_student_id,
            {text('school_ref')} as school_ref,
            {text('school_name')} as school_name,
            {text('reported_period')} as reported_period,
            try_strptime({text('assessment_date')}, {date_formats})::date as assessment_date,
            try_strptime({text('assessment_time')}, ['%H:%M:%S', '%I:%M:%S %p', '%H:%M'])::time as assessment_time,
            {GRADE_SQL.format(x=text('enrolled_grade'))} as enrolled_grade,
            {GRADE_SQL.format(x=text('assessed_grade'))} as assessed_grade,
            try_cast({text('standard_error')} as double) as standard_error
            {measure}
        """,
    )
    rows_read = con.execute("select count(*) from _rows").fetchone()[0]
    con.execute(
        f"""
        create or replace temp view _long as
        select
            * exclude (percentile_text),
            try_cast(replace(score_text, ',', '') as double) as scale_score,
            try_cast(percentile_text as double) as percentile
        from ({' union all '.join(_measure_branches(fmt, header))})
        """
    )

    def row_error(canonical: str, reason: str, condition: str) -> str:
        return (
            f"select _source_row, '{cols.get(canonical, '')}' as column_name, '{reason}' as reason_code, "
            f"{text(canonical)} as bad_value from _rows where {condition}"
        )

    date_text = text("assessment_date")
    checks = [
        row_error("vendor_student_id", "missing_value", "vendor_student_id is null"),
        row_error("assessment_date", "missing_value", f"{date_text} is null"),
        row_error("assessment_date", "unparseable_date", f"{date_text} is not null and assessment_date is null"),
        "select _source_row, score_column, 'unparseable_number', score_text from _long "
        "where scale_score is null and score_text is not null",
        "select _source_row, score_column, 'missing_value', null::varchar from _long where score_text is null",
    ]
    for grade in ("enrolled_grade", "assessed_grade"):
        if cols.get(grade) in present:
            checks.append(row_error(grade, "unparseable_grade", f"{text(grade)} is not null and {grade} is null"))
    con.execute(f"create or replace temp table _errors as select distinct * from ({' union all '.join(checks)})")
    rows_rejected = con.execute("select count(distinct _source_row) from _errors").fetchone()[0]
    source_file = landing_file.relative_path.replace("'", "''")
    writes: list[Write] = []
    if rows_rejected:
        record = ", ".join(f"{q(c)} := _rows.{q(c)}" for c in wanted)
        writes.append((
            f"""
            insert into raw.rejected_rows
            select
                '{source_file}', e._source_row, '{landing_file.sha256}', e.column_name, e.reason_code,
                {REJECTION_MESSAGE_SQL.format(file=source_file)},
                to_json(struct_pack({record}))::varchar,
                ?::timestamp
            from _errors e
            join _rows on _rows._source_row = e._source_row
            """,
            [ingested_at],
        ))
    keep = "where _source_row not in (select _source_row from _errors)" if rows_rejected else ""
    writes.append((
        f"""
        insert into raw.{fmt.raw_table} by name
        select
            '{fmt.name}' as source_format,
            vendor_student_id, state_student_id, school_ref, school_name, measure_id, assessment_date,
            assessment_time, reported_period, enrolled_grade,
            coalesce(assessed_grade, enrolled_grade) as assessed_grade,
            scale_score, standard_error, percentile, vendor_level,
            '{source_file}' as source_file, _source_row as source_row,
            '{landing_file.sha256}' as file_sha256, ?::timestamp as ingested_at
        from _long
        {keep}
        """,
        [ingested_at],
    ))
    return _loaded(landing_file, fmt.name, rows_read, rows_rejected), writes


def _prepare_roster(con, landing_file: LandingFile, fmt: RosterFormat, header, ingested_at):
    """Read and check a roster table; return its outcome and the writes that load it as text."""
    columns = [c for c in header if c]
    _read_rows(con, landing_file.path, header, columns)
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
    missing_checks = " union all ".join(
        f"select _source_row, '{c}' as column_name from _rows where {q(c)} is null" for c in fmt.required_columns
    )
    con.execute(f"create or replace temp table _errors as {missing_checks}")
    rows_rejected = con.execute("select count(distinct _source_row) from _errors").fetchone()[0]
    source_file = landing_file.relative_path.replace("'", "''")
    if rows_rejected:
        writes.append((
            f"""
            insert into raw.rejected_rows
            select '{source_file}', e._source_row, '{landing_file.sha256}', e.column_name, 'missing_value',
                   '{source_file} row ' || e._source_row || ' column ''' || e.column_name
                   || ''': a value is required',
                   to_json(s)::varchar, ?::timestamp
            from _errors e join _rows s on s._source_row = e._source_row
            """,
            [ingested_at],
        ))
    projection = ", ".join(q(c) for c in columns)
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
    return _loaded(landing_file, fmt.name, rows_read, rows_rejected), writes


def _loaded(landing_file: LandingFile, fmt_name: str, rows_read: int, rows_rejected: int) -> FileOutcome:
    return FileOutcome(
        landing_file.relative_path, fmt_name, "loaded", rows_read, rows_read - rows_rejected, rows_rejected,
        None if rows_rejected == 0 else f"{rows_rejected} row(s) rejected",
    )


def _reject_file(landing_file: LandingFile, fmt_name, rows, reason_code, reason, ingested_at):
    """A file rejected whole: every one of its rows counts as rejected, for one reason."""
    outcome = FileOutcome(landing_file.relative_path, fmt_name, "rejected", rows, 0, rows, f"{reason_code}: {reason}")
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
