"""Pandera schemas on the raw tables, before dbt.

`raw_schema_checks(con)` validates each raw table of the build database against its schema in
quality/schemas.py, reading it in rowid ranges of RAW_CHUNK_ROWS rows, so memory stays bounded
whatever the table's size. One CheckResult per table, named `raw_<table>_schema`. Failing values
are shown only for columns no person could be recognised by (SHOWN_RAW_VALUES)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
from pandera.errors import SchemaErrors

from ingestion.canonical import LINEAGE_COLUMNS
from ingestion.formats import RESULT_TABLES, ROSTER_TABLES

from . import schemas
from .checks import CheckResult


RAW_CHUNK_ROWS = 250_000


SAMPLE_SIZE = 5


# Failing values are shown only for these raw columns: never a name, birth date or other roster
# field a person could be recognised by.
SHOWN_RAW_VALUES = frozenset(LINEAGE_COLUMNS) | {
    "source_format", "measure_id", "assessment_date", "enrolled_grade", "assessed_grade", "scale_score",
    "standard_error", "percentile", "file_format", "file_size_bytes", "rows_read", "rows_loaded",
    "rows_rejected", "status", "column_name", "reason_code",
}


def read_raw_chunks(
    con: duckdb.DuckDBPyConnection, table: str, chunk_rows: int = RAW_CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """The rows of `table` in rowid ranges of `chunk_rows`, as Arrow-backed frames indexed by rowid.

    An empty table gives one empty frame, so that its columns and types are still checked.
    """
    last = con.execute(f"select max(rowid) from {table}").fetchone()[0]
    if last is None:
        yield _arrow_frame(con.execute(f"select rowid as _rowid, * from {table} limit 0"))
        return
    for start in range(0, last + 1, chunk_rows):
        yield _arrow_frame(
            con.execute(
                f"select rowid as _rowid, * from {table} where rowid >= ? and rowid < ?", [start, start + chunk_rows]
            )
        )


def _arrow_frame(result: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return result.fetch_arrow_table().to_pandas(types_mapper=pd.ArrowDtype).set_index("_rowid")


def raw_table_schemas(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Each raw table's pandera schema; None for a table ingestion always creates but that is missing.

    Result tables are bounded by the measure scales of config.measures when the build has them.
    A OneRoster table exists once a file of it has been delivered, so only those present are listed.
    """
    present = {
        name: columns
        for name, columns in con.execute(
            "select table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_schema = 'raw' group by table_name"
        ).fetchall()
    }
    ranges = _scale_ranges(con)
    tables: dict[str, Any] = {}
    for name in RESULT_TABLES:
        tables[name] = schemas.raw_results_schema(name, ranges) if name in present else None
    for name in ROSTER_TABLES:
        if name in present:
            tables[name] = schemas.raw_roster_schema(name, present[name])
    tables["file_manifest"] = schemas.file_manifest_schema() if "file_manifest" in present else None
    tables["rejected_rows"] = schemas.rejected_rows_schema() if "rejected_rows" in present else None
    return tables


def _scale_ranges(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[float, float]]:
    has_measures = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'config' and table_name = 'measures'"
    ).fetchone()[0]
    if not has_measures:
        return {}
    rows = con.execute(
        "select measure_id, scale_min, scale_max from config.measures "
        "where scale_min is not null and scale_max is not null"
    ).fetchall()
    return {measure: (low, high) for measure, low, high in rows}


@dataclass
class _SchemaFailures:
    rows_checked: int = 0
    failing_rows: int = 0
    rows_by_rule: Counter = field(default_factory=Counter)
    table_rules: set[str] = field(default_factory=set)
    sample: list[dict] = field(default_factory=list)

    def add(self, cases: pd.DataFrame, chunk: pd.DataFrame) -> None:
        # A frame-wide check reports each failing row once per column: its rule is the table's.
        frame_wide = cases["schema_context"].eq("DataFrameSchema")
        checks = cases["check"].astype(str)
        rules = ("table: " + checks).where(frame_wide, cases["column"].astype(str) + ": " + checks)
        row_level = cases.assign(rule=rules, frame_wide=frame_wide)[cases["index"].notna()]
        # A failure without a row concerns the whole table; a missing column is named by its case.
        missing_column = (" " + cases["failure_case"].astype(str)).where(frame_wide, "")
        self.table_rules.update((rules + missing_column)[cases["index"].isna()])
        self.failing_rows += row_level["index"].nunique()
        self.rows_by_rule.update(row_level.groupby("rule")["index"].nunique().to_dict())
        for case in row_level.drop_duplicates(["rule", "index"]).head(SAMPLE_SIZE - len(self.sample)).itertuples():
            self.sample.append(_raw_failure(case, chunk))

    def message(self, table: str) -> str:
        if not (self.failing_rows or self.table_rules):
            return f"{table}: {self.rows_checked:,} rows conform to its schema"
        rules = [f"{rule} (whole table)" for rule in sorted(self.table_rules)]
        rules += [f"{rule} ({count:,} rows)" for rule, count in sorted(self.rows_by_rule.items())]
        return f"{table}: {self.failing_rows:,} of {self.rows_checked:,} rows fail its schema: {'; '.join(rules)}"


def _raw_failure(case, chunk: pd.DataFrame) -> dict:
    """Where a failing row is (rowid, file and row in the file), and its value when it is safe to show."""
    row = chunk.loc[case.index]
    failure = {"rule": case.rule, "rowid": int(case.index)}
    if "source_file" in chunk.columns and not pd.isna(row["source_file"]):
        failure["source_file"] = row["source_file"]
    if "source_row" in chunk.columns and not pd.isna(row["source_row"]):
        failure["source_row"] = int(row["source_row"])
    if not case.frame_wide and case.column in SHOWN_RAW_VALUES:
        failure["value"] = None if pd.isna(case.failure_case) else str(case.failure_case)
    return failure


def validate_raw_table(
    con: duckdb.DuckDBPyConnection, table: str, schema, chunk_rows: int = RAW_CHUNK_ROWS
) -> CheckResult:
    """Validate raw.`table` against `schema` chunk by chunk; every failing rule is named with its row count."""
    name, qualified = f"raw_{table}_schema", f"raw.{table}"
    if schema is None:
        return CheckResult(name, qualified, False, True, f"{qualified}: the table is missing from the build", 1)
    failures = _SchemaFailures()
    for chunk in read_raw_chunks(con, f'raw."{table}"', chunk_rows):
        failures.rows_checked += len(chunk)
        try:
            schema.validate(chunk, lazy=True)
        except SchemaErrors as errors:
            failures.add(errors.failure_cases, chunk)
    if failures.table_rules:
        failures.failing_rows = failures.rows_checked
    passed = not (failures.failing_rows or failures.table_rules)
    return CheckResult(
        name, qualified, passed, True, failures.message(qualified), failures.failing_rows, failures.sample
    )


def raw_schema_checks(con: duckdb.DuckDBPyConnection, chunk_rows: int = RAW_CHUNK_ROWS) -> list[CheckResult]:
    """One blocking CheckResult per raw table, named `raw_<table>_schema`.

    A roster table no delivery has brought yet (roles.csv exists only in OneRoster 1.2) passes
    with a message saying so, so that every catalogued check reports on every run.
    """
    schemas_by_table = raw_table_schemas(con)
    results = [validate_raw_table(con, table, schema, chunk_rows) for table, schema in schemas_by_table.items()]
    for table in ROSTER_TABLES:
        if table not in schemas_by_table:
            results.append(CheckResult(
                f"raw_{table}_schema", f"raw.{table}", True, True, f"raw.{table}: no file of this table delivered yet", 0,
            ))
    return results
