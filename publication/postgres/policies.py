"""Row-level security: the row filter of each reader group per table, the reader roles,
their grants and policies."""

from __future__ import annotations

from typing import Iterable

import psycopg
from psycopg import sql

from .access import ACL_TABLES, AccessConfig
from .names import AccessConfigError, GROUP_ROLES, LOADING_SUFFIX, SCHEMAS, STUDENT_TABLE, Table


# Groups that read the restricted schema at all; the others read `aggregates` only.
DISTRICT_READERS = ("district_admin", "school_leader", "teacher", "intervention_staff")

# The comment on every login role this module creates: only roles carrying it are dropped
# when their user leaves access.csv, so a role a database administrator made is never touched.
MANAGED_ROLE_COMMENT = "spt reader from access.csv: dropped by the next publication once removed from it"


# ---------------------------------------------------------------------------------------
# Who reads which table




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
# Roles, grants and policies


def refuse_privileged_users(conn: psycopg.Connection, config: AccessConfig) -> None:
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


def ensure_roles(cur: psycopg.Cursor, config: AccessConfig) -> tuple[dict[str, int], list[str]]:
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


def end_sessions(conn: psycopg.Connection, users: dict[str, int]) -> None:
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


def secure(cur: psycopg.Cursor, district: list[Table], aggregates: list[Table], reference_dimensions: frozenset[str]) -> dict[str, list[str]]:
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
    for table in ACL_TABLES:
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
