"""Publish the warehouse to PostgreSQL, with row-level security per reader role.

`publish_postgres` copies every table of the published DuckDB files into PostgreSQL:
district.duckdb into schema `district`, public.duckdb into schema `aggregates`. Readers
never see a partial publication: the tables are loaded into fresh schemas inside one
transaction, which ends by renaming the fresh schemas into place; the replaced schemas
are dropped afterwards, once no reader still uses them.

Who reads what is declared in config/access.csv (user_name, role, scope), for
intervention staff config/caseloads.csv (user_name, local_student_id), and which school
years teachers and intervention staff read in district.yml (`access:`). Each role is a
NOLOGIN group role; each user a LOGIN role (no password is set here) that is a member of
its group. Rows are limited by row-level security policies that look users up in the ACL
tables of schema `acl`, filled at every publication from the published data:

- district_admin: every table of `district`, `aggregates` and `acl`.
- school_leader (scope: a school_id, one line per school): rows of `district` tables
  whose school_id is theirs, dim_students rows of students enrolled at their schools,
  dimension tables without a scope column, and `aggregates`.
- teacher (scope: their roster username, blank for their user_name): a student's rows of
  the school years in which the teacher taught that student (fct_class_enrollments joined
  to dim_class_teachers) and of the school of that class, for school years from the
  current one back `access.teacher_look_back_years`; dim_students rows of those students;
  the reference dimensions; `aggregates`.
- intervention_staff: their caseload students' rows of the school years from the current
  one back `access.caseload_look_back_years` (any school), dim_students rows of the
  caseload, the reference dimensions, and `aggregates`.
- policymaker, public: `aggregates` only; `district` is refused.

The current school year is the latest school year with classes in dim_class_teachers of the
publication being loaded. A student-level table without a school_year column other than
dim_students is not readable by teachers or intervention staff. Any other table of
`district` without a usable scope column (audit_excluded_results, agg_funding_lines,
data_quality_runs) is readable by district administrators only.

access.csv is the whole truth about readers: a user removed from it loses its group at the
next publication, and its login role is dropped when this module created it (such roles
carry MANAGED_ROLE_COMMENT); a role a database administrator created is never dropped.
"""

from __future__ import annotations

import csv
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Literal

import duckdb
import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from pydantic import BaseModel, ValidationError, field_validator

from ingestion.config_loader import ConfigError, ReaderAccessConfig, load_district_yml

DISTRICT_SCHEMA = "district"
AGGREGATES_SCHEMA = "aggregates"
ACL_SCHEMA = "acl"
SCHEMAS = (DISTRICT_SCHEMA, AGGREGATES_SCHEMA, ACL_SCHEMA)
LOADING_SUFFIX = "__loading"
RETIRED_MARK = "__old_"

GROUP_ROLES = {
    "district_admin": "spt_district_admin",
    "school_leader": "spt_school_leader",
    "teacher": "spt_teacher",
    "intervention_staff": "spt_intervention_staff",
    "policymaker": "spt_policymaker",
    "public": "spt_public",
}
# Groups that read the restricted schema at all; the others read `aggregates` only.
DISTRICT_READERS = ("district_admin", "school_leader", "teacher", "intervention_staff")

# One row per student: a school leader sees the students enrolled at their schools, which
# includes students whose current school (this table's school_id) is another one.
STUDENT_TABLE = "dim_students"

# The comment on every login role this module creates: only roles carrying it are dropped
# when their user leaves access.csv, so a role a database administrator made is never touched.
MANAGED_ROLE_COMMENT = "spt reader from access.csv: dropped by the next publication once removed from it"

# Serialises publishers to one database; any fixed number works if nothing else uses it.
PUBLISH_LOCK_KEY = 5_872_301_144

# How long dropping a replaced publication waits for readers still using it.
RETIRE_LOCK_TIMEOUT = "10s"

# Small enough that the server starts parsing early and memory stays flat, large enough
# that per-batch overhead is negligible.
ROWS_PER_BATCH = 32_768


class AccessConfigError(Exception):
    """access.csv or caseloads.csv has problems; each message names file, line and column."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class PostgresUnavailable(Exception):
    """The PostgreSQL URL is malformed, or the server cannot be reached or refuses the login."""


class PostgresPublicationError(Exception):
    """The publication could not be loaded; the previous one stays in place."""


# ---------------------------------------------------------------------------------------
# Access configuration


ROLE_NAME = re.compile(r"^[a-z][a-z0-9_.\-]*$")
RESERVED_ROLE_NAMES = frozenset({"public", "none", "current_user", "session_user", "current_role", "postgres"})


class AccessEntry(BaseModel):
    """One line of access.csv."""

    user_name: str
    role: Literal["district_admin", "school_leader", "teacher", "intervention_staff", "policymaker", "public"]
    scope: str = ""
    line: int = 0

    @field_validator("user_name")
    @classmethod
    def _role_name(cls, value: str) -> str:
        if not value:
            raise ValueError("a user name is required")
        if not ROLE_NAME.match(value):
            raise ValueError(
                "a user name is lower-case letters, digits, '.', '_' or '-', starting with a letter"
            )
        if len(value.encode()) > 63:
            raise ValueError("a user name is at most 63 characters (PostgreSQL's limit)")
        if value in RESERVED_ROLE_NAMES or value.startswith(("pg_", "spt_")):
            raise ValueError("this name is reserved by PostgreSQL or for the group roles")
        return value

    @property
    def group(self) -> str:
        return GROUP_ROLES[self.role]

    @property
    def teacher_username(self) -> str:
        """The roster username whose classes a teacher sees."""
        return self.scope or self.user_name


class CaseloadEntry(BaseModel):
    """One line of caseloads.csv: a student an intervention staff member works with."""

    user_name: str
    local_student_id: str
    line: int = 0

    @field_validator("user_name", "local_student_id")
    @classmethod
    def _required(cls, value: str) -> str:
        if not value:
            raise ValueError("a value is required")
        if any(ch.isspace() for ch in value):
            raise ValueError("spaces are not allowed")
        return value


@dataclass
class AccessConfig:
    users: list[AccessEntry]
    caseloads: list[CaseloadEntry] = field(default_factory=list)
    access_file: Path | None = None
    caseloads_file: Path | None = None
    # district.yml's `access:` settings (the defaults when the folder has no district.yml)
    years: ReaderAccessConfig = field(default_factory=ReaderAccessConfig)

    def user_roles(self) -> dict[str, str]:
        return {entry.user_name: entry.role for entry in self.users}


def _read_rows(path: Path, model: type[BaseModel], problems: list[str]) -> list:
    """Validate each line of a CSV file; problems name the file, the line and the column."""
    columns = [name for name in model.model_fields if name != "line"]
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return _validated_rows(path, csv.DictReader(handle), model, columns, problems)
    except UnicodeDecodeError as error:
        problems.append(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})")
        return []


def _validated_rows(
    path: Path, reader: csv.DictReader, model: type[BaseModel], columns: list[str], problems: list[str]
) -> list:
    header = reader.fieldnames or []
    missing = [c for c in columns if c not in header]
    unknown = [c for c in header if c not in columns]
    if missing:
        problems.append(f"{path} line 1: missing column(s) {', '.join(missing)} (expected {','.join(columns)})")
    if unknown:
        problems.append(f"{path} line 1: unknown column(s) {', '.join(unknown)} (expected {','.join(columns)})")
    if missing or unknown:
        return []
    rows: list = []
    for record in reader:
        line = reader.line_num
        if not any((value or "").strip() for value in record.values() if isinstance(value, str)):
            continue
        if None in record:
            problems.append(f"{path} line {line}: more values than the {len(columns)} columns")
            continue
        values = {k: (v or "").strip() for k, v in record.items()}
        try:
            rows.append(model.model_validate({**values, "line": line}))
        except ValidationError as error:
            for item in error.errors():
                column = str(item["loc"][0]) if item["loc"] else "?"
                message = item["msg"].removeprefix("Value error, ")
                problems.append(f"{path} line {line}, column {column}: {message} (got '{values.get(column, '')}')")
    return rows


def load_access_config(config_dir: Path) -> AccessConfig:
    """Read and check config_dir/access.csv and, if present, config_dir/caseloads.csv and the
    `access:` settings of config_dir/district.yml (without a district.yml: look-backs of 0).

    Raises AccessConfigError listing every problem (file, line, column), not just the first.
    """
    access_file = Path(config_dir) / "access.csv"
    caseloads_file = Path(config_dir) / "caseloads.csv"
    district_file = Path(config_dir) / "district.yml"
    if not access_file.exists():
        raise AccessConfigError([f"{access_file}: file not found; it lists who may read the PostgreSQL publication"])
    problems: list[str] = []
    years = ReaderAccessConfig()
    if district_file.exists():
        try:
            years = load_district_yml(district_file).access
        except ConfigError as error:
            # The loader names the file without its folder.
            problems += [f"{district_file.parent / problem}" for problem in error.problems]
    users: list[AccessEntry] = _read_rows(access_file, AccessEntry, problems)
    first_line: dict[str, AccessEntry] = {}
    seen: dict[tuple[str, str], int] = {}
    for entry in users:
        where = f"{access_file} line {entry.line}"
        if entry.role == "school_leader" and not entry.scope:
            problems.append(f"{where}, column scope: a school leader needs a school_id (one line per school)")
        if entry.role not in ("school_leader", "teacher") and entry.scope:
            problems.append(f"{where}, column scope: must be blank for role {entry.role} (got '{entry.scope}')")
        earlier = first_line.setdefault(entry.user_name, entry)
        if earlier.role != entry.role:
            problems.append(
                f"{where}, column role: {entry.user_name} already has role {earlier.role} on line {earlier.line}; "
                f"a user has one role"
            )
        elif earlier is not entry and entry.role != "school_leader":
            problems.append(f"{where}, column user_name: {entry.user_name} is already listed on line {earlier.line}")
        key = (entry.user_name, entry.scope)
        if entry.role == "school_leader" and key in seen:
            problems.append(f"{where}, column scope: school {entry.scope} repeats line {seen[key]}")
        seen.setdefault(key, entry.line)

    caseloads: list[CaseloadEntry] = []
    if caseloads_file.exists():
        caseloads = _read_rows(caseloads_file, CaseloadEntry, problems)
        roles = {entry.user_name: entry.role for entry in users}
        listed: dict[tuple[str, str], int] = {}
        for entry in caseloads:
            where = f"{caseloads_file} line {entry.line}"
            if roles.get(entry.user_name) != "intervention_staff":
                problems.append(
                    f"{where}, column user_name: {entry.user_name} is not an intervention_staff user in {access_file.name}"
                )
            key = (entry.user_name, entry.local_student_id)
            if key in listed:
                problems.append(f"{where}, column local_student_id: repeats line {listed[key]}")
            listed.setdefault(key, entry.line)
    if problems:
        raise AccessConfigError(problems)
    return AccessConfig(users, caseloads, access_file, caseloads_file if caseloads_file.exists() else None, years)


# ---------------------------------------------------------------------------------------
# Who reads which table


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, PostgreSQL type)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


ALL_ROWS = "true"
OWN_SCHOOLS = "school_id in (select school_id from {acl}.user_schools where user_name = current_user)"
OWN_STUDENTS = "student_key in (select student_key from {acl}.user_students where user_name = current_user)"
# A teacher's rows: the student, school and school year of one of their classes.
OWN_STUDENT_SCHOOL_YEARS = (
    "(student_key, school_id, school_year) in "
    "(select student_key, school_id, school_year from {acl}.user_student_years where user_name = current_user)"
)
# A caseload's rows, and a teacher's rows of a table that does not name the school.
OWN_STUDENT_YEARS = (
    "(student_key, school_year) in "
    "(select student_key, school_year from {acl}.user_student_years where user_name = current_user)"
)


def district_policies(table: Table, reference_dimensions: frozenset[str]) -> dict[str, str]:
    """The row filter of each group that may read `table` of the district schema.

    A group missing from the result gets no grant on the table. `reference_dimensions` are
    the dimension tables that are also public (schools, measures, windows).
    """
    columns = set(table.column_names)
    has_school, has_student = "school_id" in columns, "student_key" in columns
    has_year = "school_year" in columns
    unscoped_dimension = table.name.startswith("dim_") and not (has_school or has_student)
    policies = {"district_admin": ALL_ROWS}
    if table.name == STUDENT_TABLE or (has_student and not has_school):
        policies["school_leader"] = OWN_STUDENTS
    elif has_school:
        policies["school_leader"] = OWN_SCHOOLS
    elif unscoped_dimension:
        policies["school_leader"] = ALL_ROWS
    for group in ("teacher", "intervention_staff"):
        if table.name == STUDENT_TABLE:
            policies[group] = OWN_STUDENTS
        elif has_student and has_year:
            by_school = group == "teacher" and has_school
            policies[group] = OWN_STUDENT_SCHOOL_YEARS if by_school else OWN_STUDENT_YEARS
        elif has_student:
            # Without a school year the rows cannot be limited to the readable years.
            continue
        elif table.name in reference_dimensions:
            policies[group] = ALL_ROWS
    return policies


# ---------------------------------------------------------------------------------------
# Loading


_DUCKDB_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(39,0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "UUID": "uuid",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),(\d+)\)$")


def postgres_type(duckdb_type: str) -> str | None:
    """The PostgreSQL column type holding the same values as a DuckDB column type, or None."""
    decimal = _DECIMAL.match(duckdb_type)
    if decimal:
        return f"numeric({decimal[1]},{decimal[2]})"
    return _DUCKDB_TYPES.get(duckdb_type)


def _duckdb_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[Table]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'main' order by table_name, ordinal_position",
        [catalog],
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    unsupported = []
    for table, column, data_type in rows:
        mapped = postgres_type(data_type)
        if mapped is None:
            unsupported.append(f"{catalog}.{table}.{column} ({data_type})")
        columns.setdefault(table, []).append((column, mapped))
    if unsupported:
        raise PostgresPublicationError(
            "no PostgreSQL type is mapped for column(s): " + ", ".join(unsupported)
        )
    return [Table(name, tuple(cols)) for name, cols in columns.items()]


# Column types sent in PostgreSQL's binary COPY format, as the big-endian numpy type of one
# value. Binary costs the server about a third less than CSV; a table with any other type
# (numeric, uuid, interval, ...) goes as CSV.
_BINARY_VALUES = {
    "smallint": ">i2",
    "integer": ">i4",
    "bigint": ">i8",
    "real": ">f4",
    "double precision": ">f8",
    "boolean": "u1",
    "date": ">i4",
    "timestamp": ">i8",
    "timestamptz": ">i8",
}
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
_BINARY_TRAILER = b"\xff\xff"
_PG_EPOCH_DAYS = 10_957  # 2000-01-01, PostgreSQL's epoch, in days since 1970-01-01
_PG_EPOCH_MICROSECONDS = _PG_EPOCH_DAYS * 86_400_000_000


def _sends_binary(table: Table) -> bool:
    return all(pg_type == "text" or pg_type in _BINARY_VALUES for _, pg_type in table.columns)


def _values(column: pa.Array, pg_type: str) -> np.ndarray:
    """A column's values as PostgreSQL's binary representation (nulls filled with zero)."""
    if pg_type == "boolean":
        return column.fill_null(False).to_numpy(zero_copy_only=False).astype(np.uint8)
    if pg_type == "date":
        days = column.cast(pa.int32()).fill_null(0).to_numpy()
        return (days - _PG_EPOCH_DAYS).astype(">i4")
    if pg_type in ("timestamp", "timestamptz"):
        microseconds = column.cast(pa.timestamp("us", column.type.tz)).cast(pa.int64()).fill_null(0).to_numpy()
        return (microseconds - _PG_EPOCH_MICROSECONDS).astype(">i8")
    return column.fill_null(0).to_numpy(zero_copy_only=False).astype(_BINARY_VALUES[pg_type])


def _length_and_value(values: np.ndarray) -> np.ndarray:
    """One row per value: its big-endian length (the value's width) followed by the value."""
    rows, width = len(values), values.dtype.itemsize
    fields = np.empty((rows, 4 + width), dtype=np.uint8)
    fields[:, :4] = np.frombuffer(np.array([width], ">i4").tobytes(), np.uint8)
    fields[:, 4:] = values.view(np.uint8).reshape(rows, width)
    return fields


def _per_row(fields: np.ndarray) -> pa.Array:
    """An (rows, width) byte matrix as a binary array of one value per row."""
    rows, width = fields.shape
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), rows, [None, pa.py_buffer(np.ascontiguousarray(fields))])
    return fixed.cast(pa.binary())


def _valid_values(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """A binary array holding each valid value's bytes, and nothing for nulls."""
    offsets = np.zeros(len(values) + 1, np.int32)
    np.cumsum(valid * values.dtype.itemsize, out=offsets[1:])
    data = pa.py_buffer(values[valid].tobytes())
    return pa.BinaryArray.from_buffers(pa.binary(), len(values), [None, pa.py_buffer(offsets), data])


def _binary_rows(batch: pa.RecordBatch, pg_types: tuple[str, ...]) -> pa.Buffer:
    """Render a record batch as the rows of PostgreSQL's binary COPY format, column-wise.

    Each row is a field count, then per field a length (-1 for NULL) and the value's bytes.
    Fixed-width fields and the lengths of variable ones are laid out as byte matrices;
    one join per batch then interleaves them with the variable-length values row by row.
    """
    rows = batch.num_rows
    pieces: list[pa.Array] = []
    fixed: list[np.ndarray] = [np.frombuffer(np.array([batch.num_columns], ">i2").tobytes(), np.uint8)[None, :].repeat(rows, 0)]
    for column, pg_type in zip(batch.columns, pg_types):
        valid = pc.is_valid(column).to_numpy(zero_copy_only=False) if column.null_count else None
        if pg_type == "text":
            text = column.cast(pa.binary())
            lengths = pc.binary_length(text).fill_null(-1).to_numpy(zero_copy_only=False).astype(">i4")
            tail = text.fill_null(b"") if valid is not None else text
        else:
            values = _values(column, pg_type)
            if valid is None:
                fixed.append(_length_and_value(values))
                continue
            lengths = np.where(valid, values.dtype.itemsize, -1).astype(">i4")
            tail = _valid_values(values, valid)
        fixed.append(lengths.view(np.uint8).reshape(rows, 4))
        pieces += [_per_row(np.hstack(fixed)), tail]
        fixed = []
    if fixed:
        pieces.append(_per_row(np.hstack(fixed)))
    joined = pc.binary_join_element_wise(*pieces, b"") if len(pieces) > 1 else pieces[0]
    offsets = np.frombuffer(joined.buffers()[1], np.int32, rows + 1, offset=joined.offset * 4)
    return joined.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def _csv_rows(batch: pa.RecordBatch) -> pa.Buffer:
    """Render a record batch as CSV without a header: NULL unquoted-empty, strings quoted.

    That is exactly what PostgreSQL's CSV COPY reads back: an unquoted empty field is NULL and
    a quoted empty field is the empty string.
    """
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(batch, sink, pa_csv.WriteOptions(include_header=False, batch_size=ROWS_PER_BATCH))
    return sink.getvalue()


def _copy_into(cur: psycopg.Cursor, schema: str, table: Table, batches: Iterable[pa.RecordBatch]) -> int:
    """Bulk-load Arrow batches into an empty table created in this transaction; returns rows."""
    binary = _sends_binary(table)
    pg_types = tuple(pg_type for _, pg_type in table.columns)
    statement = sql.SQL("copy {}.{} ({}) from stdin with (format {}, freeze true)").format(
        sql.Identifier(schema),
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names),
        sql.SQL("binary" if binary else "csv"),
    )
    # The queued writer sends to the server from its own thread while this one renders rows.
    with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        if binary:
            copy.write(_BINARY_HEADER)
        for batch in batches:
            if batch.num_rows:
                copy.write(memoryview(_binary_rows(batch, pg_types) if binary else _csv_rows(batch)))
        if binary:
            copy.write(_BINARY_TRAILER)
    return cur.rowcount


def _create_table(cur: psycopg.Cursor, schema: str, table: Table) -> None:
    cur.execute(
        sql.SQL("create table {}.{} ({})").format(
            sql.Identifier(schema),
            sql.Identifier(table.name),
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type)) for name, pg_type in table.columns
            ),
        )
    )


def _load_file(
    cur: psycopg.Cursor, duck: duckdb.DuckDBPyConnection, catalog: str, tables: list[Table], schema: str
) -> tuple[dict[str, int], dict[str, float]]:
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for table in tables:
        _create_table(cur, schema, table)
        started = time.perf_counter()
        reader = duck.execute(f'select * from {catalog}.main."{table.name}"').fetch_record_batch(ROWS_PER_BATCH)
        loaded = _copy_into(cur, schema, table, reader)
        seconds[table.name] = time.perf_counter() - started
        expected = duck.execute(f'select count(*) from {catalog}.main."{table.name}"').fetchone()[0]
        if loaded != expected:
            raise PostgresPublicationError(f"{catalog}.{table.name}: PostgreSQL received {loaded} rows of {expected}")
        rows[table.name] = loaded
    return rows, seconds


# ---------------------------------------------------------------------------------------
# Access lists


@dataclass(frozen=True)
class ReadableYears:
    """The school years teachers and intervention staff read in this publication."""

    current: int | None  # the latest school year with classes in dim_class_teachers
    teacher: tuple[int, ...]
    caseload: tuple[int, ...]


def readable_years(duck: duckdb.DuckDBPyConnection, config: AccessConfig) -> ReadableYears:
    """The current school year of the attached district publication and the look-backs from it."""
    current = duck.execute("select max(school_year) from district.main.dim_class_teachers").fetchone()[0]
    if current is None:
        return ReadableYears(None, (), ())
    current = int(current)
    return ReadableYears(
        current,
        tuple(range(current - config.years.teacher_look_back_years, current + 1)),
        tuple(range(current - config.years.caseload_look_back_years, current + 1)),
    )


def _acl_rows(
    duck: duckdb.DuckDBPyConnection, tables: list[Table], config: AccessConfig, years: ReadableYears
) -> tuple[dict[str, pa.Table], list[str]]:
    """The rows of the acl tables, computed in DuckDB.

    acl.user_student_years holds, per teacher, the (student, school, school year) of each of
    their classes of the readable years, and per intervention staff member, each caseload
    student with each readable year (school_id null: any school). acl.user_students holds
    the students whose dim_students row a user reads.

    Returns the tables and warnings (teachers without classes in the readable years, caseload
    students not found). Raises AccessConfigError for a school leader's school that is not in
    the district.
    """
    users = pa.table(
        {
            "user_name": [e.user_name for e in config.users],
            "role": [e.role for e in config.users],
            "scope": [e.scope for e in config.users],
            "teacher_username": [e.teacher_username if e.role == "teacher" else None for e in config.users],
            "line": pa.array([e.line for e in config.users], pa.int64()),
        }
    )
    caseloads = pa.table(
        {
            "user_name": pa.array([e.user_name for e in config.caseloads], pa.string()),
            "local_student_id": pa.array([e.local_student_id for e in config.caseloads], pa.string()),
            "line": pa.array([e.line for e in config.caseloads], pa.int64()),
        }
    )
    duck.register("config_users", users)
    duck.register("config_caseloads", caseloads)
    names = {t.name for t in tables}
    needed = {"dim_schools", STUDENT_TABLE, "dim_class_teachers", "fct_class_enrollments"} - names
    if needed:
        raise PostgresPublicationError(f"the district publication lacks table(s) {', '.join(sorted(needed))}")

    unknown_schools = duck.execute(
        "select line, scope from config_users where role = 'school_leader' "
        "and scope not in (select school_id from district.main.dim_schools) order by line"
    ).fetchall()
    if unknown_schools:
        raise AccessConfigError(
            [f"{config.access_file} line {line}, column scope: school {scope} is not in the published district (dim_schools)"
             for line, scope in unknown_schools]
        )

    enrolled_at = " union ".join(
        f'select student_key, school_id from district.main."{t.name}"'
        for t in tables
        if {"student_key", "school_id"} <= set(t.column_names)
    )
    user_schools = duck.execute(
        "select distinct user_name, scope as school_id from config_users where role = 'school_leader' order by all"
    ).fetch_arrow_table()
    duck.execute(
        f"""
        create or replace temp table acl_student_years as
        select distinct u.user_name, e.student_key, t.school_id, t.school_year::integer as school_year
        from config_users u
        join district.main.dim_class_teachers t on t.teacher_username = u.teacher_username
        join district.main.fct_class_enrollments e
          on e.school_year = t.school_year and e.class_sourced_id = t.class_sourced_id
        where u.role = 'teacher' and t.school_year in (select unnest($teacher_years::integer[]))
        union
        select distinct c.user_name, d.student_key, null as school_id, y.school_year
        from config_caseloads c
        join district.main.{STUDENT_TABLE} d on d.local_student_id = c.local_student_id
        cross join (select unnest($caseload_years::integer[]) as school_year) y
        """,
        {"teacher_years": list(years.teacher), "caseload_years": list(years.caseload)},
    )
    user_student_years = duck.execute("select * from acl_student_years order by all").fetch_arrow_table()
    user_students = duck.execute(
        f"""
        select distinct u.user_name, s.student_key
        from config_users u join ({enrolled_at}) s on s.school_id = u.scope
        where u.role = 'school_leader'
        union
        select distinct user_name, student_key from acl_student_years where school_id is not null
        union
        select distinct c.user_name, d.student_key
        from config_caseloads c join district.main.{STUDENT_TABLE} d on d.local_student_id = c.local_student_id
        order by all
        """
    ).fetch_arrow_table()
    duck.execute("drop table acl_student_years")

    warnings = [
        f"{config.access_file} line {line}: teacher {user} has no classes as '{username}' in dim_class_teachers"
        for line, user, username in duck.execute(
            "select line, user_name, teacher_username from config_users where role = 'teacher' "
            "and teacher_username not in (select teacher_username from district.main.dim_class_teachers "
            "where teacher_username is not null) order by line"
        ).fetchall()
    ]
    shown = _years_text(years.teacher)
    warnings += [
        f"{config.access_file} line {line}: teacher {user} has no classes as '{username}' in school year(s) "
        f"{shown} (latest: {latest}); they read no student rows"
        for line, user, username, latest in duck.execute(
            "select u.line, u.user_name, u.teacher_username, max(t.school_year) from config_users u "
            "join district.main.dim_class_teachers t on t.teacher_username = u.teacher_username "
            "where u.role = 'teacher' group by all "
            "having not bool_or(t.school_year in (select unnest($years::integer[]))) order by 1",
            {"years": list(years.teacher)},
        ).fetchall()
    ]
    warnings += [
        f"{config.caseloads_file} line {line}: student {local_id} of {user}'s caseload is not in dim_students"
        for line, user, local_id in duck.execute(
            f"select line, user_name, local_student_id from config_caseloads where local_student_id not in "
            f"(select local_student_id from district.main.{STUDENT_TABLE} where local_student_id is not null) order by line"
        ).fetchall()
    ]
    users_table = users.select(["user_name", "role", "scope"])
    return {
        "users": users_table,
        "user_schools": user_schools,
        "user_students": user_students,
        "user_student_years": user_student_years,
    }, warnings


def _years_text(years: tuple[int, ...]) -> str:
    return ", ".join(str(year) for year in years) if years else "none (no classes in dim_class_teachers)"


_ACL_TABLES = (
    Table("users", (("user_name", "text"), ("role", "text"), ("scope", "text"))),
    Table("user_schools", (("user_name", "text"), ("school_id", "text"))),
    Table("user_students", (("user_name", "text"), ("student_key", "text"))),
    Table(
        "user_student_years",
        (("user_name", "text"), ("student_key", "text"), ("school_id", "text"), ("school_year", "integer")),
    ),
)


def _load_acl(cur: psycopg.Cursor, schema: str, acl_rows: dict[str, pa.Table]) -> dict[str, int]:
    rows = {}
    for table in _ACL_TABLES:
        _create_table(cur, schema, table)
        rows[table.name] = _copy_into(cur, schema, table, acl_rows[table.name].to_batches(ROWS_PER_BATCH))
        key = sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names[:2])
        cur.execute(sql.SQL("create index on {}.{} ({})").format(sql.Identifier(schema), sql.Identifier(table.name), key))
    return rows


# ---------------------------------------------------------------------------------------
# Roles, grants and policies


def _refuse_privileged_users(conn: psycopg.Connection, config: AccessConfig) -> None:
    """Row-level security does not hold back superusers or roles that bypass it."""
    privileged = {
        row[0] for row in conn.execute("select rolname from pg_roles where rolsuper or rolbypassrls").fetchall()
    }
    problems = [
        f"{config.access_file} line {e.line}, column user_name: {e.user_name} is a superuser or bypasses "
        f"row-level security in PostgreSQL; give the role {e.role} to another user"
        for e in config.users
        if e.user_name in privileged
    ]
    if problems:
        raise AccessConfigError(problems)


def _ensure_roles(cur: psycopg.Cursor, config: AccessConfig) -> tuple[dict[str, int], list[str]]:
    """Create missing group and user roles, make each user a member of exactly its group, and
    drop the login roles this module created for users no longer in access.csv.

    access.csv is the whole truth about membership of the spt_ groups: a member it does not
    list with that group is removed from it. Returns the dropped users and warnings (a
    removed user's role that could not be dropped, because it owns objects or holds grants).
    """
    existing = {row[0] for row in cur.execute("select rolname from pg_roles").fetchall()}
    for group in GROUP_ROLES.values():
        if group not in existing:
            cur.execute(sql.SQL("create role {} nologin").format(sql.Identifier(group)))
    wanted = config.user_roles()
    for user, role in wanted.items():
        if user not in existing:
            cur.execute(sql.SQL("create role {} login").format(sql.Identifier(user)))
            cur.execute(sql.SQL("comment on role {} is {}").format(sql.Identifier(user), sql.Literal(MANAGED_ROLE_COMMENT)))
    memberships = cur.execute(
        "select m.rolname, g.rolname from pg_auth_members a "
        "join pg_roles g on g.oid = a.roleid join pg_roles m on m.oid = a.member "
        "where g.rolname = any(%s)",
        [list(GROUP_ROLES.values())],
    ).fetchall()
    current = set(memberships)
    for member, group in current:
        # Anyone no longer listed with this group loses it, so removing a line revokes access.
        if GROUP_ROLES.get(wanted.get(member, "")) != group:
            cur.execute(sql.SQL("revoke {} from {}").format(sql.Identifier(group), sql.Identifier(member)))
    for user, role in wanted.items():
        if (user, GROUP_ROLES[role]) not in current:
            cur.execute(sql.SQL("grant {} to {}").format(sql.Identifier(GROUP_ROLES[role]), sql.Identifier(user)))
    return _drop_removed_users(cur, set(wanted))


def _drop_removed_users(cur: psycopg.Cursor, listed: set[str]) -> tuple[dict[str, int], list[str]]:
    """Drop the login roles this module created whose users are no longer in access.csv.

    Returns the dropped users with their former role ids (their open sessions are ended
    once the publication commits) and warnings.
    """
    managed = dict(
        cur.execute(
            "select r.rolname, r.oid::bigint from pg_roles r join pg_shdescription d "
            "on d.objoid = r.oid and d.classoid = 'pg_authid'::regclass "
            "where d.description = %s order by 1",
            [MANAGED_ROLE_COMMENT],
        ).fetchall()
    )
    dropped, warnings = {}, []
    for user, oid in managed.items():
        if user in listed:
            continue
        try:
            with cur.connection.transaction():
                cur.execute(sql.SQL("drop role {}").format(sql.Identifier(user)))
            dropped[user] = oid
        except psycopg.errors.DependentObjectsStillReferenced as error:
            reason = " ".join(str(error).split())
            warnings.append(
                f"{user} is no longer in access.csv and has lost its group, but its login role was kept: {reason}"
            )
    return dropped, warnings


def _end_sessions(conn: psycopg.Connection, users: dict[str, int]) -> None:
    """End the open sessions of dropped users, so none keeps reading after its role is gone."""
    if users:
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where usesysid::bigint = any(%s) and pid <> pg_backend_pid()",
            [list(users.values())],
        )
        conn.commit()


def _grant_schema(cur: psycopg.Cursor, schema: str, groups: Iterable[str]) -> None:
    cur.execute(sql.SQL("revoke all on schema {} from public").format(sql.Identifier(schema)))
    for group in groups:
        cur.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), sql.Identifier(group)))


def _secure_table(cur: psycopg.Cursor, schema: str, table: str, policies: dict[str, str], acl_schema: str) -> None:
    """Enable and force row-level security on a table, with one select policy per group."""
    target = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    cur.execute(sql.SQL("revoke all on {} from public").format(target))
    cur.execute(sql.SQL("alter table {} enable row level security").format(target))
    cur.execute(sql.SQL("alter table {} force row level security").format(target))
    for role, condition in policies.items():
        group = GROUP_ROLES[role]
        cur.execute(
            sql.SQL("create policy {} on {} for select to {} using ({})").format(
                sql.Identifier(f"{role}_rows"),
                target,
                sql.Identifier(group),
                sql.SQL(condition.format(acl=sql.Identifier(acl_schema).as_string(cur))),
            )
        )
        cur.execute(sql.SQL("grant select on {} to {}").format(target, sql.Identifier(group)))


def _secure(cur: psycopg.Cursor, district: list[Table], aggregates: list[Table], reference_dimensions: frozenset[str]) -> dict[str, list[str]]:
    """Grants and policies on the loading schemas; returns the district tables each role may read."""
    district_schema, aggregates_schema, acl_schema = (s + LOADING_SUFFIX for s in SCHEMAS)
    district_groups = [GROUP_ROLES[r] for r in DISTRICT_READERS]
    _grant_schema(cur, district_schema, district_groups)
    _grant_schema(cur, acl_schema, district_groups)
    _grant_schema(cur, aggregates_schema, GROUP_ROLES.values())
    readable: dict[str, list[str]] = {role: [] for role in GROUP_ROLES}
    for table in district:
        policies = district_policies(table, reference_dimensions)
        _secure_table(cur, district_schema, table.name, policies, acl_schema)
        for role in policies:
            readable[role].append(table.name)
    own_rows = "user_name = current_user"
    for table in _ACL_TABLES:
        _secure_table(
            cur, acl_schema, table.name,
            {role: ALL_ROWS if role == "district_admin" else own_rows for role in DISTRICT_READERS},
            acl_schema,
        )
    for table in aggregates:
        target = sql.SQL("{}.{}").format(sql.Identifier(aggregates_schema), sql.Identifier(table.name))
        cur.execute(sql.SQL("revoke all on {} from public").format(target))
        cur.execute(
            sql.SQL("grant select on {} to {}").format(
                target, sql.SQL(", ").join(sql.Identifier(g) for g in GROUP_ROLES.values())
            )
        )
    return readable


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
        district, aggregates = _duckdb_tables(duck, "district"), _duckdb_tables(duck, "public")
        years = readable_years(duck, config)
        acl_rows, warnings = _acl_rows(duck, district, config, years)
        with _connect(url) as conn:
            _refuse_privileged_users(conn, config)
            conn.execute("select pg_advisory_lock(%s)", [PUBLISH_LOCK_KEY])
            conn.commit()
            warnings += _drop_retired(conn)
            result = _load_and_swap(conn, duck, config, district, aggregates, acl_rows)
            warnings += result.pop("role_warnings")
            _end_sessions(conn, result["dropped_users"])
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
        district_rows, district_seconds = _load_file(cur, duck, "district", district, DISTRICT_SCHEMA + LOADING_SUFFIX)
        public_rows, public_seconds = _load_file(cur, duck, "public", aggregates, AGGREGATES_SCHEMA + LOADING_SUFFIX)
        acl_counts = _load_acl(cur, ACL_SCHEMA + LOADING_SUFFIX, acl_rows)
        reference_dimensions = frozenset(t.name for t in aggregates if t.name.startswith("dim_"))
        dropped, role_warnings = _ensure_roles(cur, config)
        readable = _secure(cur, district, aggregates, reference_dimensions)
        # Statistics now, so the first readers' plans (and the policies' subqueries) are sound.
        for schema, tables in ((DISTRICT_SCHEMA, district), (AGGREGATES_SCHEMA, aggregates), (ACL_SCHEMA, _ACL_TABLES)):
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


# ---------------------------------------------------------------------------------------
# A private PostgreSQL server for tests and benchmarks


@dataclass
class TemporaryServer:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only, with trust logins."""

    url: str
    port: int
    directory: Path
    bin_dir: Path
    run_as: tuple[str, ...]

    def url_for(self, user: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{self.url.rsplit('/', 1)[1]}"

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        subprocess.run(
            [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True, text=True, timeout=120,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def find_postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def install_postgres() -> Path:
    """Install Debian's postgresql package when initdb is missing; returns its bin folder.

    Raises RuntimeError saying why when it cannot be installed (not root, no apt-get, no package).
    """
    found = find_postgres_bin()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError("PostgreSQL is not installed and cannot be installed here: run `apt-get install -y postgresql` as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    result = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    if result.returncode != 0:
        # A new machine has no package lists yet.
        subprocess.run(["apt-get", "update"], capture_output=True, text=True, env=env, timeout=900)
        result = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    found = find_postgres_bin()
    if result.returncode != 0 or not found:
        tail = " ".join(result.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"installing PostgreSQL with apt-get failed: {tail}")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_temporary_server(durable: bool = True, install: bool = True) -> TemporaryServer:
    """Start a private PostgreSQL server on a free 127.0.0.1 port; stop it with `.stop()`.

    initdb refuses to run as root, so as root the cluster belongs to the `postgres` OS user.
    `durable=False` turns off fsync and full-page writes, for throw-away test clusters only.
    Raises RuntimeError with the server's own words when it cannot start.
    """
    bin_dir = install_postgres() if install else find_postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's initdb and pg_ctl were not found")
    as_root = os.geteuid() == 0
    # As root, the postgres user must reach the folder: /tmp, not a private TMPDIR.
    directory = Path(tempfile.mkdtemp(prefix="spt-postgres-", dir="/tmp" if as_root else None))
    run_as: tuple[str, ...] = ()
    if as_root:
        import pwd

        owner = pwd.getpwnam("postgres")
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        run_as = ("runuser", "-u", "postgres", "--")
    data = directory / "data"
    initdb = subprocess.run(
        [*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
         "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
        capture_output=True, text=True, timeout=300,
    )
    if initdb.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {initdb.stderr.strip()}")
    settings = ["-c listen_addresses=127.0.0.1", f"-k {directory}", "-c max_wal_size=4GB"]
    if not durable:
        settings += ["-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=off"]
    log = directory / "server.log"
    for _ in range(3):
        port = _free_port()
        started = subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
             "-o", " ".join([f"-p {port}", *settings]), "start"],
            capture_output=True, text=True, timeout=120,
        )
        if started.returncode == 0:
            break
    else:
        reason = log.read_text()[-2000:] if log.exists() else started.stderr
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {reason.strip()}")
    server = TemporaryServer(f"postgresql://postgres@127.0.0.1:{port}/spt", port, directory, bin_dir, run_as)
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        conn.execute("create database spt")
    return server
