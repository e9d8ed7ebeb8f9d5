from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
from psycopg import sql

from .access import ACL_TABLES, AccessConfig, build_acl_rows, load_access_config, load_acl, readable_years
from .loader import duckdb_tables, load_file
from .names import ACL_SCHEMA, AGGREGATES_SCHEMA, DISTRICT_SCHEMA, LOADING_SUFFIX, PostgresPublicationError, PostgresUnavailable, SCHEMAS, Table
from .policies import end_sessions, ensure_roles, refuse_privileged_users, secure


RETIRED_MARK = "__old_"

# Serialises publishers to one database; any fixed number works if nothing else uses it.
PUBLISH_LOCK_KEY = 5_872_301_144

# How long dropping a replaced publication waits for readers still using it.
RETIRE_LOCK_TIMEOUT = "10s"


# ---------------------------------------------------------------------------------------
# Swapping in and retiring


def _swap_in(cur: psycopg.Cursor) -> None:
    """Rename the loading schemas into place; the replaced ones are renamed aside for dropping."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
    existing = {row[0] for row in cur.execute("select nspname from pg_namespace").fetchall()}
    for schema in SCHEMAS:
        if schema in existing:
            cur.execute(
                sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(schema), sql.Identifier(f"{schema}{RETIRED_MARK}{stamp}")
                )
            )
        cur.execute(
            sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema + LOADING_SUFFIX), sql.Identifier(schema))
        )


def _drop_retired(conn: psycopg.Connection) -> list[str]:
    """Drop replaced publications; one still in use by a long reader is left for next time."""
    pattern = "^(" + "|".join(SCHEMAS) + ")" + RETIRED_MARK
    retired = [row[0] for row in conn.execute("select nspname from pg_namespace where nspname ~ %s", [pattern]).fetchall()]
    if not retired:
        return []
    try:
        with conn.transaction():
            conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(RETIRE_LOCK_TIMEOUT)))
            conn.execute(
                sql.SQL("drop schema {} cascade").format(sql.SQL(", ").join(sql.Identifier(s) for s in retired))
            )
    except psycopg.errors.LockNotAvailable:
        return [f"the replaced schemas {', '.join(retired)} are still in use; they are dropped by the next publication"]
    return []


# ---------------------------------------------------------------------------------------
# Publication


def _connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(url, connect_timeout=10)
    except psycopg.ProgrammingError as error:
        reason = " ".join(str(error).split())
        raise PostgresUnavailable(f"the PostgreSQL URL is not valid: {reason}") from None
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split())
        raise PostgresUnavailable(f"cannot connect to PostgreSQL: {reason}") from None


def publish_postgres(published_dir: Path, url: str, config_dir: Path) -> dict:
    """Publish district.duckdb (schema `district`) and public.duckdb (schema `aggregates`) to PostgreSQL.

    Readers see either the previous publication or the new one in full: everything is loaded
    into fresh schemas and renamed into place in one transaction. Roles, grants, row-level
    security policies and the ACL tables are set from config_dir/access.csv and caseloads.csv.

    Returns {"rows": {"schema.table": rows}, "copy_seconds": {"schema.table": s}, "seconds": s,
    "users": {user_name: role}, "readable": {role: [district tables]}, "warnings": [...]}.
    Raises AccessConfigError, PostgresUnavailable or PostgresPublicationError; on any of them
    the previous publication stays in place.
    """
    started = time.perf_counter()
    published_dir = Path(published_dir)
    config = load_access_config(Path(config_dir))
    # Both files from one publication, even if a newer one is swapped in while this one loads.
    version_dir = (published_dir / "district.duckdb").resolve().parent
    files = {catalog: version_dir / f"{catalog}.duckdb" for catalog in ("district", "public")}
    missing = [str(path) for path in files.values() if not path.exists()]
    if missing:
        raise PostgresPublicationError(f"no publication to load: {', '.join(missing)} not found")

    # One core renders rows while the server parses them on the other.
    duck = duckdb.connect(config={"threads": 1})
    try:
        for catalog, path in files.items():
            duck.execute(f"attach '{path}' as {catalog} (read_only)")
        # Everything that can be checked without the server is checked before it is touched.
        district, aggregates = duckdb_tables(duck, "district"), duckdb_tables(duck, "public")
        years = readable_years(duck, config)
        acl_rows, warnings = build_acl_rows(duck, district, config, years)
        with _connect(url) as conn:
            refuse_privileged_users(conn, config)
            conn.execute("select pg_advisory_lock(%s)", [PUBLISH_LOCK_KEY])
            conn.commit()
            warnings += _drop_retired(conn)
            result = _load_and_swap(conn, duck, config, district, aggregates, acl_rows)
            warnings += result.pop("role_warnings")
            end_sessions(conn, result["dropped_users"])
            result["dropped_users"] = sorted(result["dropped_users"])
            warnings += _drop_retired(conn)
            conn.execute("select pg_advisory_unlock(%s)", [PUBLISH_LOCK_KEY])
            conn.commit()
    except psycopg.Error as error:
        reason = " ".join(str(error).split())
        raise PostgresPublicationError(f"PostgreSQL refused the publication: {reason}") from error
    finally:
        duck.close()
    result["warnings"] = warnings
    result["school_years"] = {"current": years.current, "teacher": list(years.teacher), "caseload": list(years.caseload)}
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _load_and_swap(
    conn: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection,
    config: AccessConfig,
    district: list[Table],
    aggregates: list[Table],
    acl_rows: dict[str, pa.Table],
) -> dict:
    with conn.transaction(), conn.cursor() as cur:
        for schema in SCHEMAS:
            cur.execute(sql.SQL("create schema {}").format(sql.Identifier(schema + LOADING_SUFFIX)))
        district_rows, district_seconds = load_file(cur, duck, "district", district, DISTRICT_SCHEMA + LOADING_SUFFIX)
        public_rows, public_seconds = load_file(cur, duck, "public", aggregates, AGGREGATES_SCHEMA + LOADING_SUFFIX)
        acl_counts = load_acl(cur, ACL_SCHEMA + LOADING_SUFFIX, acl_rows)
        reference_dimensions = frozenset(t.name for t in aggregates if t.name.startswith("dim_"))
        dropped, role_warnings = ensure_roles(cur, config)
        readable = secure(cur, district, aggregates, reference_dimensions)
        # Statistics now, so the first readers' plans (and the policies' subqueries) are sound.
        for schema, tables in ((DISTRICT_SCHEMA, district), (AGGREGATES_SCHEMA, aggregates), (ACL_SCHEMA, ACL_TABLES)):
            for table in tables:
                cur.execute(
                    sql.SQL("analyze {}.{}").format(sql.Identifier(schema + LOADING_SUFFIX), sql.Identifier(table.name))
                )
        _swap_in(cur)
    rows = {f"{DISTRICT_SCHEMA}.{t}": n for t, n in district_rows.items()}
    rows |= {f"{AGGREGATES_SCHEMA}.{t}": n for t, n in public_rows.items()}
    rows |= {f"{ACL_SCHEMA}.{t}": n for t, n in acl_counts.items()}
    copy_seconds = {f"{DISTRICT_SCHEMA}.{t}": round(s, 3) for t, s in district_seconds.items()}
    copy_seconds |= {f"{AGGREGATES_SCHEMA}.{t}": round(s, 3) for t, s in public_seconds.items()}
    return {
        "rows": rows,
        "copy_seconds": copy_seconds,
        "users": config.user_roles(),
        "readable": readable,
        "dropped_users": dropped,
        "role_warnings": role_warnings,
    }
