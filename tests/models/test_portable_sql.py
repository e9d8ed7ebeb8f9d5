"""The SQL models run on any engine dbt targets: engine-only syntax lives in dispatched macros.

DuckDB accepts much that PostgreSQL and Spark do not. Each construct below is DuckDB-only (or
spelled differently on the other engines); it may appear only inside `macros/portable/`, where
each macro dispatches per adapter.
"""

import re
from pathlib import Path

import pytest

from publication.contract import DBT_PROJECT_DIR

ENGINE_ONLY = {
    "qualify": r"\bqualify\b",
    "group by all": r"\bgroup\s+by\s+all\b",
    "order by all": r"\border\s+by\s+all\b",
    "select * exclude": r"\*\s*exclude\s*\(",
    "union by name": r"\bunion\s+(all\s+)?by\s+name\b",
    "strftime": r"\bstrftime\s*\(",
    "strptime": r"\bstrptime\s*\(",
    "try_cast": r"\btry_cast\s*\(",
    "list()": r"(?<![\w.])list\s*\(",
    "struct_pack": r"\bstruct_pack\s*\(",
    "regexp_matches": r"\bregexp_(full_)?matches\s*\(",
    "arg_max / arg_min": r"\barg_(max|min)\s*\(",
    "epoch": r"\bepoch(_ms)?\s*\(",
    "bare datediff": r"(?<![\w.])datediff\s*\(",
    "bare sha256": r"(?<![\w.])sha256\s*\(",
}


def _sql_files() -> list[Path]:
    roots = [DBT_PROJECT_DIR / "models", DBT_PROJECT_DIR / "macros"]
    portable = DBT_PROJECT_DIR / "macros" / "portable"
    return sorted(
        path
        for root in roots
        for path in root.rglob("*.sql")
        if portable not in path.parents
    )


def _code(text: str) -> str:
    """The SQL without Jinja comments and SQL line comments, which may name any function."""
    text = re.sub(r"\{#.*?#\}", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"--[^\n]*", "", text)


def test_there_are_models_to_check():
    files = _sql_files()
    assert len(files) > 50
    assert any(path.name == "stg_oneroster__users.sql" for path in files)


@pytest.mark.parametrize("construct", sorted(ENGINE_ONLY))
def test_no_engine_only_sql_outside_portable_macros(construct):
    pattern = re.compile(ENGINE_ONLY[construct], re.I)
    found = [
        f"{path.relative_to(DBT_PROJECT_DIR)}:{_code(path.read_text())[: match.start()].count(chr(10)) + 1}"
        for path in _sql_files()
        for match in pattern.finditer(_code(path.read_text()))
    ]
    assert found == [], f"{construct} outside macros/portable/: {found}"


def test_the_checker_finds_what_it_looks_for():
    samples = {
        "qualify": "select 1 qualify row_number() over () = 1",
        "bare datediff": "select datediff('day', a, b)",
        "list()": "select list(x) from t",
        "try_cast": "select try_cast(x as double)",
    }
    for construct, sql in samples.items():
        assert re.search(ENGINE_ONLY[construct], _code(sql), re.I), construct
    assert not re.search(ENGINE_ONLY["bare datediff"], "{{ dbt.datediff('a', 'b', 'day') }}")
    assert not re.search(ENGINE_ONLY["qualify"], _code("-- no qualify here\nselect 1"))
