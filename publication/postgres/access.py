"""Who reads the PostgreSQL publication: access.csv and caseloads.csv, the school years
teachers and intervention staff read, and the ACL rows computed from the published data."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import psycopg
import pyarrow as pa
from psycopg import sql
from pydantic import BaseModel, ValidationError, field_validator

from definitions import ConfigError, ReaderAccessConfig, load_district_yml

from .loader import ROWS_PER_BATCH, copy_into, create_table
from .names import AccessConfigError, GROUP_ROLES, PostgresPublicationError, STUDENT_TABLE, Table


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


def build_acl_rows(
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


ACL_TABLES = (
    Table("users", (("user_name", "text"), ("role", "text"), ("scope", "text"))),
    Table("user_schools", (("user_name", "text"), ("school_id", "text"))),
    Table("user_students", (("user_name", "text"), ("student_key", "text"))),
    Table(
        "user_student_years",
        (("user_name", "text"), ("student_key", "text"), ("school_id", "text"), ("school_year", "integer")),
    ),
)


def load_acl(cur: psycopg.Cursor, schema: str, acl_rows: dict[str, pa.Table]) -> dict[str, int]:
    rows = {}
    for table in ACL_TABLES:
        create_table(cur, schema, table)
        rows[table.name] = copy_into(cur, schema, table, acl_rows[table.name].to_batches(ROWS_PER_BATCH))
        key = sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names[:2])
        cur.execute(sql.SQL("create index on {}.{} ({})").format(sql.Identifier(schema), sql.Identifier(table.name), key))
    return rows
