"""How a landing file's text becomes typed values, in DuckDB SQL: numbers (with a decimal comma
only where a layout declares one), dates, times, school years, and the formula test."""

from __future__ import annotations

from .formats.base import q


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


def file_column(name: str) -> str:
    """The quoted name under which a file column is held in `_rows` (apart from canonical names)."""
    return q("~" + name)


def sql_literal(value: str | None) -> str:
    return "null::varchar" if value is None else "'" + value.replace("'", "''") + "'"


def date_sql(text: str, formats: tuple[str, ...]) -> str:
    patterns = "[" + ", ".join(sql_literal(f) for f in formats) + "]"
    return f"try_strptime({text}, {patterns})::date"
