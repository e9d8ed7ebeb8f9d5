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


def ingest_file(con: duckdb.DuckDBPyConnection, landing_file: LandingFile) -> FileOutcome:
    """Load one file in one transaction: its rows, its rejections and its manifest line."""
    ingested_at = datetime.now(timezone.utc).replace(tzinfo=None)
    header = read_header(landing_file.path)
    fmt = detect_format(header) if header else None
    con.execute("begin transaction")
    try:
        if not header:
            outcome = _reject_file(con, landing_file, None, 0, "empty_file", "the file is empty", ingested_at)
        elif fmt is None:
            rows = _count_rows(con, landing_file.path)
            outcome = _reject_file(
                con, landing_file, None, rows, "unknown_layout",
                f"no known export layout has this header (first columns: {', '.join(header[:5])})",
                ingested_at,
            )
        else:
            missing = [c for c in fmt.required_columns if c not in header]
            if missing:
                rows = _count_rows(con, landing_file.path)
                outcome = _reject_file(
                    con, landing_file, fmt.name, rows, "missing_columns",
                    f"{fmt.description or fmt.name} is missing required column(s): {', '.join(missing)}",
                    ingested_at,
                )
            elif isinstance(fmt, ResultFormat):
                outcome = _load_results(con, landing_file, fmt, header, ingested_at)
            else:
                outcome = _load_roster(con, landing_file, fmt, header, ingested_at)
        _record_manifest(con, landing_file, outcome, ingested_at)
        con.execute("commit")
    except duckdb.Error as error:
        con.execute("rollback")
        con.execute("begin transaction")
        rows = _count_rows(con, landing_file.path)
        reason = f"the file could not be loaded: {str(error).splitlines()[0]}"
        outcome = _reject_file(con, landing_file, fmt.name if fmt else None, rows, "unreadable_file", reason, ingested_at)
        _record_manifest(con, landing_file, outcome, ingested_at)
        con.execute("commit")
    return outcome


def _read_csv_sql(path: Path, header: list[str], columns: list[str]) -> str:
    """Read the file as text with the header we already parsed: no type sniffing, no second pass.

    `_source_row` is the record's row number as a spreadsheet shows it (the header is row 1).
    """
    projection = ", ".join(q(c) for c in columns)
    path_literal = str(path).replace("'", "''")
    delimiter = "\t" if header_delimiter(path) == "\t" else ","
    names = ", ".join("'" + c.replace("'", "''") + "': 'VARCHAR'" for c in header)
    return (
        f"select {projection}, (row_number() over ()) + 1 as _source_row "
        f"from read_csv('{path_literal}', header = true, auto_detect = false, delim = '{delimiter}', "
        f"quote = '\"', escape = '\"', columns = {{{names}}})"
    )


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


def _text(column: str) -> str:
    return f"nullif(trim({q(column)}), '')"


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


def _load_results(con, landing_file: LandingFile, fmt: ResultFormat, header, ingested_at) -> FileOutcome:
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
    trimmed = ", ".join(f"nullif(trim({q(c)}), '') as {q(c)}" for c in wanted)
    measure = f", {fmt.measure_expr} as _measure_id" if fmt.measure_expr else ""
    # One pass over the file: trimmed text plus every field the row's measures share, typed once.
    con.execute(
        f"""
        create or replace temp table _rows as
        with src as (select {trimmed}, _source_row from ({_read_csv_sql(landing_file.path, header, wanted)}))
        select
            *,
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
        from src
        """
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
    if rows_rejected:
        record = ", ".join(f"{q(c)} := _rows.{q(c)}" for c in wanted)
        con.execute(
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
        )
    keep = "where _source_row not in (select _source_row from _errors)" if rows_rejected else ""
    con.execute(
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
    )
    con.execute("drop view _long; drop table _rows; drop table _errors")
    return FileOutcome(
        landing_file.relative_path, fmt.name, "loaded", rows_read, rows_read - rows_rejected, rows_rejected,
        None if rows_rejected == 0 else f"{rows_rejected} row(s) rejected",
    )


def _load_roster(con, landing_file: LandingFile, fmt: RosterFormat, header, ingested_at) -> FileOutcome:
    columns = [c for c in header if c]
    con.execute(f"create or replace temp table _src as {_read_csv_sql(landing_file.path, header, columns)}")
    rows_read = con.execute("select count(*) from _src").fetchone()[0]
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [fmt.raw_table],
        ).fetchall()
    }
    if not existing:
        body = ", ".join(f"{q(c)} varchar" for c in columns)
        con.execute(
            f"create table raw.{fmt.raw_table} ({body}, source_file varchar, source_row bigint, "
            f"file_sha256 varchar, ingested_at timestamp)"
        )
    else:
        for column in columns:
            if column not in existing:
                con.execute(f"alter table raw.{fmt.raw_table} add column {q(column)} varchar")
    missing_checks = " union all ".join(
        f"select _source_row, '{c}' as column_name from _src where {_text(c)} is null"
        for c in fmt.required_columns
    )
    con.execute(f"create or replace temp table _errors as {missing_checks}")
    source_file = landing_file.relative_path.replace("'", "''")
    con.execute(
        f"""
        insert into raw.rejected_rows
        select '{source_file}', e._source_row, '{landing_file.sha256}', e.column_name, 'missing_value',
               '{source_file} row ' || e._source_row || ' column ''' || e.column_name || ''': a value is required',
               to_json(s)::varchar, ?::timestamp
        from _errors e join _src s on s._source_row = e._source_row
        """,
        [ingested_at],
    )
    projection = ", ".join(f"{_text(c)} as {q(c)}" for c in columns)
    con.execute(
        f"""
        insert into raw.{fmt.raw_table} by name
        select {projection}, '{source_file}' as source_file, _source_row as source_row,
               '{landing_file.sha256}' as file_sha256, ?::timestamp as ingested_at
        from _src where _source_row not in (select _source_row from _errors)
        """,
        [ingested_at],
    )
    rows_rejected = con.execute("select count(distinct _source_row) from _errors").fetchone()[0]
    con.execute("drop table _src; drop table _errors")
    return FileOutcome(
        landing_file.relative_path, fmt.name, "loaded", rows_read, rows_read - rows_rejected, rows_rejected,
        None if rows_rejected == 0 else f"{rows_rejected} row(s) rejected",
    )


def _reject_file(con, landing_file: LandingFile, fmt_name, rows, reason_code, reason, ingested_at) -> FileOutcome:
    con.execute(
        "insert into raw.rejected_rows values (?, null, ?, null, ?, ?, null, ?)",
        [landing_file.relative_path, landing_file.sha256, reason_code, f"{landing_file.relative_path}: {reason}",
         ingested_at],
    )
    return FileOutcome(landing_file.relative_path, fmt_name, "rejected", rows, 0, rows, f"{reason_code}: {reason}")


def _record_manifest(con, landing_file: LandingFile, outcome: FileOutcome, ingested_at) -> None:
    con.execute(
        "insert into raw.file_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            landing_file.sha256, landing_file.relative_path, outcome.file_format, landing_file.size_bytes,
            outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected, outcome.status, outcome.reason,
            ingested_at,
        ],
    )
