"""Check the SQL of the Evidence dashboards against a published public.duckdb, without Node.

Evidence runs each source query (`dashboards/sources/<source>/<name>.sql`) against the
source's database and keeps the result as table `<source>.<name>`; page queries
(```sql <name> fenced blocks in `dashboards/pages/**/*.md`) then run in DuckDB over those
results, may embed other blocks of the same page as `${name}`, and read inputs and URL
parameters as `${inputs.x.value}` and `${params.x}`.

This module does the same with the duckdb Python package: it opens the public file
read-only, stores every source query's result in schema `<source>` of an in-memory
database (with the column types Evidence gives them: numbers DOUBLE, dates TIMESTAMP),
detaches the public file so that pages see only the source results, as in Evidence,
substitutes block references, inputs and parameters, and runs every page block. A block
fails when it does not run, returns no column, or lacks a column that a component of its
page names (`<BarChart data={block} x=... y=...>`, `<Column id=...>` in a `<DataTable>`).
So renaming a published column, or a column in a page query, fails the check.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

DEFAULT_DASHBOARDS_DIR = Path(__file__).resolve().parents[1] / "dashboards"

# Properties of Evidence components whose value is a column of the component's data.
COLUMN_PROPS = frozenset(
    {"x", "y", "y2", "series", "size", "value", "label", "column", "link", "comparison", "sparkline"}
)

_OPENING_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_REFERENCE = re.compile(r"\$\{\s*(?P<expr>[^}]*?)\s*\}")
_BLOCK_NAME = re.compile(r"^[A-Za-z_]\w*$")
_TAG = re.compile(r"<(?P<closing>/?)(?P<name>[A-Z]\w*)(?P<attrs>(?:[^>{}]|\{[^}]*\})*?)(?P<self>/?)>", re.S)
_ATTR = re.compile(r"""(?P<key>[A-Za-z_]\w*)\s*=\s*(?P<value>"[^"]*"|'[^']*'|\{[^}]*\}|[^\s/>]+)""")
_QUOTED = re.compile(r"""["']([^"']+)["']""")


@dataclass(frozen=True)
class QueryFailure:
    """A query that does not run or lacks a column: `page` is the file (a page or a source query)."""

    page: str
    block: str
    error: str

    def __str__(self) -> str:
        return f"{self.page} [{self.block}]: {self.error}"


@dataclass(frozen=True)
class BlockResult:
    """What one query returned, or why it failed."""

    page: str
    block: str
    columns: tuple[str, ...]
    row_count: int
    errors: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.errors


def extract_page_queries(path: Path | str) -> list[tuple[str, str]]:
    """The ```sql <name> blocks of a markdown page, in page order, as (name, sql).

    A block without a name comes back with name ''. Blocks inside a longer fence (an
    example of a page shown inside a page) are text, not queries, and are skipped.
    """
    blocks, _ = _split_fences(Path(path).read_text(encoding="utf-8"))
    queries: list[tuple[str, str]] = []
    for fence, info, body in blocks:
        words = info.split()
        if fence == "```" and words[:1] == ["sql"]:
            queries.append((words[1] if len(words) > 1 else "", body.strip()))
    return queries


def load_source_queries(sources_dir: Path | str) -> dict[str, str]:
    """Every source query under `sources_dir`, keyed as pages name it: '<source>.<file stem>'."""
    queries: dict[str, str] = {}
    for path in sorted(Path(sources_dir).glob("*/*.sql")):
        if path.name == "initialize.sql":
            continue
        queries[f"{path.parent.name}.{path.stem}"] = path.read_text(encoding="utf-8").strip()
    return queries


def input_defaults(page_text: str) -> dict[str, str]:
    """The `defaultValue` of each named input component on a page (Dropdown, ButtonGroup, ...)."""
    defaults: dict[str, str] = {}
    for tag in _TAG.finditer(_split_fences(page_text)[1]):
        attrs = _attributes(tag["attrs"])
        if "name" in attrs and "defaultValue" in attrs:
            defaults[attrs["name"]] = attrs["defaultValue"]
    return defaults


def compile_block(name: str, blocks: dict[str, str], defaults: dict[str, str] | None = None) -> str:
    """The SQL Evidence sends for block `name`: `${block}` replaced by that block's SQL in
    parentheses (recursively), `${inputs.x...}` by the input's default value and
    `${params.x}` by nothing (an empty string inside quotes, NULL outside).
    Raises ValueError for an unknown or circular reference."""
    defaults = defaults or {}

    def expand(current: str, chain: tuple[str, ...]) -> str:
        if current in chain:
            raise ValueError(f"circular reference: {' -> '.join((*chain, current))}")
        if current not in blocks:
            raise ValueError(f"${{{current}}} is not a query on this page")
        sql = blocks[current]

        def replace(match: re.Match) -> str:
            expr = match["expr"]
            if expr.startswith(("inputs.", "params.")):
                quoted = match.start() > 0 and sql[match.start() - 1] in "'\""
                return _default_literal(expr, defaults, quoted)
            if _BLOCK_NAME.match(expr):
                inner = expand(expr, (*chain, current)).rstrip().rstrip(";")
                return f"(\n{inner}\n)"
            raise ValueError(f"cannot substitute ${{{expr}}}")

        return _REFERENCE.sub(replace, sql)

    return expand(name, ())


def component_columns(page_text: str) -> dict[str, list[tuple[str, str]]]:
    """Columns that the page's components read from each block: {block: [(component, column)]}."""
    used: dict[str, list[tuple[str, str]]] = {}
    table_data: str | None = None
    for tag in _TAG.finditer(_split_fences(page_text)[1]):
        if tag["closing"]:
            if tag["name"] == "DataTable":
                table_data = None
            continue
        attrs = _attributes(tag["attrs"])
        data = _data_block(attrs.get("data"))
        if tag["name"] == "Column" and table_data and "id" in attrs:
            used.setdefault(table_data, []).append(("Column", attrs["id"]))
        if data is None:
            continue
        if tag["name"] == "DataTable" and not tag["self"]:
            table_data = data
        for key, value in attrs.items():
            if key in COLUMN_PROPS:
                for column in _column_names(value):
                    used.setdefault(data, []).append((tag["name"], column))
        used.setdefault(data, [])
    return used


def run_checks(dashboards_dir: Path | str, public_db: Path | str) -> list[BlockResult]:
    """Run every source query and every page block; one result per query, failed or not."""
    dashboards_dir = Path(dashboards_dir)
    results: list[BlockResult] = []
    con, source_results = _open_sources(dashboards_dir, public_db)
    results.extend(source_results)
    failed_sources = [f"{Path(r.page).parent.name}.{r.block}" for r in source_results if not r.passed]
    try:
        for page in sorted((dashboards_dir / "pages").rglob("*.md")):
            results.extend(_check_page(con, page, dashboards_dir, failed_sources))
    finally:
        con.close()
    return results


def check_pages(dashboards_dir: Path | str, public_db: Path | str) -> list[QueryFailure]:
    """The failures of `run_checks`, one per problem: page (or source file), block and error."""
    return [
        QueryFailure(result.page, result.block, error)
        for result in run_checks(dashboards_dir, public_db)
        for error in result.errors
    ]


def query_page_block(
    dashboards_dir: Path | str, public_db: Path | str, page: str, block: str
) -> list[dict]:
    """The rows that block `block` of `page` (e.g. 'pages/index.md') returns, as dicts."""
    dashboards_dir = Path(dashboards_dir)
    path = dashboards_dir / page
    con, source_results = _open_sources(dashboards_dir, public_db)
    try:
        failed = [str(r.page) for r in source_results if not r.passed]
        if failed:
            raise RuntimeError(f"source queries failed: {', '.join(failed)}")
        text = path.read_text(encoding="utf-8")
        sql = compile_block(block, dict(extract_page_queries(path)), input_defaults(text))
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]
    finally:
        con.close()


def _open_sources(dashboards_dir: Path, public_db: Path | str) -> tuple[duckdb.DuckDBPyConnection, list[BlockResult]]:
    """An in-memory database holding each source query's result as `<source>.<name>`."""
    public_db = Path(public_db)
    if not public_db.is_file():
        raise FileNotFoundError(f"no published file at {public_db}")
    con = duckdb.connect()
    path_literal = str(public_db).replace("'", "''")
    try:
        con.execute(f"attach '{path_literal}' as published (read_only)")
    except duckdb.Error:
        con.close()
        raise
    # source queries run with the published file as the default database, as in Evidence
    con.execute("use published")
    results: list[BlockResult] = []
    for qualified, sql in load_source_queries(dashboards_dir / "sources").items():
        source, name = qualified.split(".", 1)
        file = f"sources/{source}/{name}.sql"
        try:
            con.execute(f'create schema if not exists memory."{source}"')
            query = sql.rstrip().rstrip(";")
            described = con.execute(f"describe (\n{query}\n)").fetchall()
            casts = ", ".join(f'{_evidence_cast(row[0], row[1])} as "{row[0]}"' for row in described)
            con.execute(f'create table memory."{source}"."{name}" as select {casts} from (\n{query}\n)')
            count = con.execute(f'select count(*) from memory."{source}"."{name}"').fetchone()[0]
            errors = () if described else ("returns no column",)
            results.append(BlockResult(file, name, tuple(row[0] for row in described), count, errors))
        except duckdb.Error as error:
            results.append(BlockResult(file, name, (), 0, (_first_line(error),)))
    con.execute("use memory")
    con.execute("detach published")
    return con, results


def _check_page(
    con: duckdb.DuckDBPyConnection, path: Path, dashboards_dir: Path, failed_sources: list[str]
) -> list[BlockResult]:
    page = path.relative_to(dashboards_dir).as_posix()
    text = path.read_text(encoding="utf-8")
    queries = extract_page_queries(path)
    blocks: dict[str, str] = {}
    results: list[BlockResult] = []
    for name, sql in queries:
        if not name:
            results.append(BlockResult(page, "(unnamed)", (), 0, ("an sql block needs a name: ```sql <name>",)))
        elif name in blocks:
            results.append(BlockResult(page, name, (), 0, ("two sql blocks have this name",)))
        else:
            blocks[name] = sql
    defaults = input_defaults(text)
    used = component_columns(text)
    for unknown in sorted(set(used) - set(blocks)):
        message = f"a component uses data={{{unknown}}}, which is not a query on this page"
        results.append(BlockResult(page, unknown, (), 0, (message,)))
    for name in blocks:
        try:
            sql = compile_block(name, blocks, defaults)
        except ValueError as error:
            results.append(BlockResult(page, name, (), 0, (str(error),)))
            continue
        try:
            cursor = con.execute(sql)
            columns = tuple(d[0] for d in cursor.description or ())
            row_count = len(cursor.fetchall())
        except duckdb.Error as error:
            message = _first_line(error)
            broken = [s for s in failed_sources if re.search(rf"\b{re.escape(s)}\b", sql)]
            if broken:
                message += f" (its source query failed: {', '.join(broken)})"
            results.append(BlockResult(page, name, (), 0, (message,)))
            continue
        errors = [] if columns else ["returns no column"]
        for component, column in used.get(name, []):
            if column not in columns:
                errors.append(
                    f"<{component}> uses column {column!r}, which the query does not return"
                    f" (it returns {', '.join(columns)})"
                )
        results.append(BlockResult(page, name, columns, row_count, tuple(dict.fromkeys(errors))))
    return results


def _split_fences(text: str) -> tuple[list[tuple[str, str, str]], str]:
    """Fenced blocks of a markdown text as (fence, info string, body), and the text outside them."""
    blocks: list[tuple[str, str, str]] = []
    prose: list[str] = []
    fence: str | None = None
    info = ""
    body: list[str] = []
    for line in text.splitlines():
        if fence is None:
            match = _OPENING_FENCE.match(line)
            if match:
                fence, info, body = match["fence"], match["info"], []
            else:
                prose.append(line)
            continue
        stripped = line.strip()
        closes = (
            stripped
            and set(stripped) == {fence[0]}
            and len(stripped) >= len(fence)
            and len(line) - len(line.lstrip(" ")) <= 3
        )
        if closes:
            blocks.append((fence, info, "\n".join(body)))
            fence = None
        else:
            body.append(line)
    return blocks, "\n".join(prose)


def _evidence_cast(column: str, column_type: str) -> str:
    """The type a column has once Evidence stored it: numbers DOUBLE, dates TIMESTAMP."""
    quoted = f'"{column}"'
    upper = column_type.upper()
    if upper == "BOOLEAN":
        return quoted
    if upper == "DATE" or upper.startswith("TIMESTAMP"):
        return f"cast({quoted} as timestamp)"
    if upper.startswith("DECIMAL") or upper in {
        "DOUBLE", "FLOAT", "TINYINT", "UTINYINT", "SMALLINT", "USMALLINT",
        "INTEGER", "UINTEGER", "BIGINT", "UBIGINT", "HUGEINT",
    }:
        return f"cast({quoted} as double)"
    if upper == "VARCHAR":
        return quoted
    return f"cast({quoted} as varchar)"


def _default_literal(expr: str, defaults: dict[str, str], quoted: bool) -> str:
    parts = expr.split(".")
    value = defaults.get(parts[1]) if parts[0] == "inputs" and len(parts) > 1 else None
    if quoted:
        return (value or "").replace("'", "''")
    if value is None:
        return "null"
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    return "'" + value.replace("'", "''") + "'"


def _attributes(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR.finditer(text):
        value = match["value"]
        if value[:1] in "\"'" and value[-1:] == value[:1]:
            value = value[1:-1]
        attrs[match["key"]] = value
    return attrs


def _data_block(value: str | None) -> str | None:
    if not value or not value.startswith("{"):
        return None
    match = re.match(r"\{\s*([A-Za-z_]\w*)", value)
    return match[1] if match else None


def _column_names(value: str) -> list[str]:
    if value.startswith("{"):
        # a list of columns, y={['a', 'b']}; any other expression is not checked
        return _QUOTED.findall(value) if value[1:].lstrip().startswith("[") else []
    return [value] if value and value not in {"true", "false"} else []


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m publication.dashboard_queries",
        description="Run every dashboard query against a published public.duckdb.",
    )
    parser.add_argument("--public", required=True, type=Path, help="path to the published public.duckdb")
    parser.add_argument(
        "--dashboards", type=Path, default=DEFAULT_DASHBOARDS_DIR, help="the Evidence project (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if not args.public.is_file():
        parser.error(f"no file at {args.public}")
    results = run_checks(args.dashboards, args.public)
    for result in results:
        if result.passed:
            rows = "row" if result.row_count == 1 else "rows"
            print(f"ok    {result.page} [{result.block}]: {len(result.columns)} columns, {result.row_count} {rows}")
        for error in result.errors:
            print(f"FAIL  {result.page} [{result.block}]: {error}")
    failed = sum(1 for result in results if not result.passed)
    print(f"{len(results)} queries checked, {failed} with errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
