"""Checks that gate publication: each returns a CheckResult; the blocking ones stop a publish."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from publication import contract

from .schemas import agg_school_proficiency_schema


@dataclass
class CheckResult:
    name: str
    table: str
    passed: bool
    blocking: bool
    message: str
    failing_rows: int = 0
    sample: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "table": self.table,
            "passed": self.passed,
            "blocking": self.blocking,
            "message": self.message,
            "failing_rows": self.failing_rows,
        }


def _sql_check(
    con: duckdb.DuckDBPyConnection,
    name: str,
    table: str,
    failing_sql: str,
    what: str,
    blocking: bool = True,
) -> CheckResult:
    """A check that passes when `failing_sql` returns no rows; a few failing rows are kept as a sample."""
    relation = con.sql(failing_sql)
    columns = relation.columns
    count = con.sql(f"select count(*) from ({failing_sql})").fetchone()[0]
    sample = [dict(zip(columns, row)) for row in con.sql(f"select * from ({failing_sql}) limit 5").fetchall()]
    if count == 0:
        return CheckResult(name, table, True, blocking, f"{table}: {what}: ok")
    return CheckResult(
        name, table, False, blocking, f"{table}: {what}: {count} row(s) fail, e.g. {sample[:2]}", count, sample
    )


def gated_marts() -> dict[str, tuple[str, ...]]:
    """Marts that must never be empty, with their grains, as their YAML declares them (publication.contract)."""
    return {name: mart.grain for name, mart in contract.marts().items() if mart.never_empty}


def table_not_empty(con, table: str, schema: str = "marts") -> CheckResult:
    count = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
    passed = count > 0
    return CheckResult(
        f"{table}_not_empty", table, passed, True,
        f"{table}: {count} rows" if passed else f"{table}: is empty; nothing to publish", 0 if passed else 1,
    )


def files_accounted_for(con) -> CheckResult:
    return _sql_check(
        con, "raw_rows_accounted_for", "raw.file_manifest",
        "select source_file, rows_read, rows_loaded, rows_rejected from raw.file_manifest "
        "where rows_read is distinct from rows_loaded + rows_rejected",
        "rows read = rows loaded + rows rejected for every file",
    )


def files_recorded_once(con) -> CheckResult:
    return _sql_check(
        con, "raw_file_manifest_grain_unique", "raw.file_manifest",
        "select file_sha256, count(*) as n from raw.file_manifest group by file_sha256 having count(*) > 1",
        "one manifest line per file content (sha256)",
    )


def schema_conforms(con, table: str, schema, schema_name: str = "marts") -> CheckResult:
    """Validate a whole table against a pandera schema; every failing rule is reported."""
    import pandera.errors

    frame = con.execute(f"select * from {schema_name}.{table}").df()
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        rules = sorted({f"{c}: {k}" for c, k in zip(cases["column"].fillna("table"), cases["check"].astype(str))})
        sample = cases.head(5).to_dict(orient="records")
        return CheckResult(
            f"{table}_schema", table, False, True,
            f"{table}: {len(cases)} failure(s) of its schema: {'; '.join(rules[:5])}", len(cases), sample,
        )
    return CheckResult(f"{table}_schema", table, True, True, f"{table}: conforms to its schema ({len(frame)} rows)")


def run_raw_checks(con: duckdb.DuckDBPyConnection, roster=None) -> list[CheckResult]:
    """Checks on the raw tables after ingestion: row accounting, one manifest line per file, pandera
    schemas, and the roster against the last publication's (`roster`: quality.roster_checks.RosterRules)."""
    from .raw_checks import raw_schema_checks
    from .roster_checks import RosterRules, roster_checks

    return [
        files_accounted_for(con),
        files_recorded_once(con),
        *raw_schema_checks(con),
        *roster_checks(con, roster or RosterRules()),
    ]


def run_gate_checks(con: duckdb.DuckDBPyConnection, minimum_n: int) -> list[CheckResult]:
    """The SQL and pandera checks that guard the marts before they are published.

    Grains and references are dbt tests (each published mart's YAML carries a uniqueness test on
    its declared grain), which block the build before these run; they are not checked again here.
    """
    results = [table_not_empty(con, table) for table in gated_marts()]
    results.append(schema_conforms(con, "agg_school_proficiency", agg_school_proficiency_schema(minimum_n)))
    return results


def check_catalog(raw_tables: tuple[str, ...], marts: tuple[str, ...]) -> list[tuple[str, str, bool]]:
    """(name, table, blocking) of every check the gate can report: one Dagster asset check each.

    Raw checks name their table `raw.<table>`; the others name a mart.
    """
    catalog = [
        ("raw_rows_accounted_for", "raw.file_manifest", True),
        ("raw_file_manifest_grain_unique", "raw.file_manifest", True),
        *((f"raw_{table}_schema", f"raw.{table}", True) for table in raw_tables),
        ("raw_roster_students_kept", "raw.oneroster_enrollments", True),
        ("raw_roster_school_sizes", "raw.oneroster_enrollments", True),
    ]
    catalog += [(f"{table}_not_empty", table, True) for table in gated_marts()]
    catalog += [("agg_school_proficiency_schema", "agg_school_proficiency", True)]
    catalog += [(f"{mart}_expectations", mart, True) for mart in marts]
    return catalog
