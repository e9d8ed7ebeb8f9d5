"""The row checks of a file being loaded: each a query giving the rejected rows with their column,
reason code and message (formulas, duplicates, dates outside the calendar or in the future),
and the write of the rejections."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from .files import LandingFile
from .formats.base import q
from .value_sql import FORMULA_SQL, file_column, sql_literal

if TYPE_CHECKING:
    from .load import IngestRules
    from .outcome import Write


ERROR_COLUMNS = "_source_row, column_name, reason_code, detail"


def formula_checks(columns: list[str], source: str = "_rows") -> list[str]:
    return [
        f"select _source_row, {sql_literal(c)}, 'formula_injection', "
        f"'the text starts like a spreadsheet formula, so it is not loaded' from {source} "
        f"where {file_column(c)} is not null and {FORMULA_SQL.format(x=file_column(c))}"
        for c in columns
    ]


def duplicate_checks(expressions: list[str], label: str) -> list[str]:
    """Rows repeating an earlier row of the same file exactly (on the SQL `expressions`)."""
    if not expressions:
        return []
    key = ", ".join(expressions)
    return [
        f"""
        select _source_row, {sql_literal(label)}, 'duplicate_row',
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


def calendar_checks(value: str, column: str, source: str, rules: IngestRules, observed: bool) -> list[str]:
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


def errors_and_counts(con, checks: list[str]) -> tuple[int, dict[tuple[str, str], int]]:
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


def rejection_write(landing_file: LandingFile, record_columns: list[str], ingested_at) -> Write:
    source_file = landing_file.relative_path.replace("'", "''")
    record = ", ".join(f"{q(c)} := _rows.{file_column(c)}" for c in record_columns) or "_row := null"
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
