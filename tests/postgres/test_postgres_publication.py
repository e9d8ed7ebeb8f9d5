"""The PostgreSQL publication of the demo district, against a real server.

Every table arrives whole; each demo user reads exactly the tables and rows of its role
(expected values computed independently in DuckDB from the published file); republishing
never shows a reader a failed or partial table; mistakes in the access files are named by
file, line and column.
"""

from __future__ import annotations

import csv
import shutil
import socket
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
from click.testing import CliRunner

from orchestration.postgres_cli import publish_command
from publication.postgres import AccessConfigError, PostgresPublicationError, load_access_config, publish_postgres

from tests.postgres.conftest import readers_config_dir

# The project's config, with readers who are people of the test district.
CONFIG_DIR = readers_config_dir()

# Tables of the restricted file that the rules below name; any other table is admin-only.
NAMED_DISTRICT_TABLES = {
    "dim_students", "dim_schools", "dim_measures", "dim_assessment_windows", "fct_assessment_results",
    "agg_school_proficiency", "audit_excluded_results", "fct_grade12_sample", "agg_grade12_accountability",
    "fct_school_counts", "fct_school_funding", "agg_school_funding", "agg_funding_lines",
    "fct_class_enrollments", "dim_class_teachers", *{
        "fct_student_growth", "agg_school_growth", "agg_progress_matrix", "fct_progress_monitoring",
        "fct_student_goals", "fct_mtss_tiers", "fct_interventions", "agg_mtss_tiers",
        "agg_intervention_effectiveness", "fct_seb_screenings", "fct_behaviour_incidents",
        "audit_excluded_incidents", "fct_behaviour_patterns", "fct_behaviour_pattern_students",
        "fct_objective_assessments", "audit_excluded_markbook_entries", "fct_student_objective_summary",
    },
}
ACL_TABLES = ("users", "user_schools", "user_students", "user_student_years")

# The access rules, written out by hand.
UNSCOPED_DIMENSIONS = {"dim_measures", "dim_assessment_windows"}
REFERENCE_DIMENSIONS = UNSCOPED_DIMENSIONS | {"dim_schools"}
# Student-level marts that also name the student's school
STUDENT_SCHOOL_TABLES = {
    "fct_student_growth", "fct_progress_monitoring", "fct_student_goals", "fct_mtss_tiers", "fct_interventions",
    "fct_seb_screenings", "fct_behaviour_incidents", "fct_behaviour_pattern_students", "fct_objective_assessments",
    "fct_student_objective_summary",
}
STUDENT_TABLES = {"dim_students", "fct_assessment_results", "fct_grade12_sample", "fct_class_enrollments"} | (
    STUDENT_SCHOOL_TABLES
)
SCHOOL_TABLES = {
    "dim_schools", "fct_assessment_results", "agg_school_proficiency", "fct_grade12_sample",
    "agg_grade12_accountability", "fct_school_counts", "fct_school_funding", "agg_school_funding",
    "fct_class_enrollments", "dim_class_teachers", "agg_school_growth", "agg_progress_matrix", "agg_mtss_tiers",
    "fct_behaviour_patterns", *STUDENT_SCHOOL_TABLES,
}
ADMIN_ONLY = {
    "audit_excluded_results", "agg_funding_lines", "agg_intervention_effectiveness", "audit_excluded_incidents",
    "audit_excluded_markbook_entries",
}
assert ADMIN_ONLY | UNSCOPED_DIMENSIONS | STUDENT_TABLES | SCHOOL_TABLES == NAMED_DISTRICT_TABLES


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


DEMO_ACCESS = read_csv(CONFIG_DIR / "access.csv")
DEMO_CASELOADS = read_csv(CONFIG_DIR / "caseloads.csv")
DEMO_USERS = sorted({line["user_name"] for line in DEMO_ACCESS})


def demo_user(user: str) -> tuple[str, list[str]]:
    lines = [line for line in DEMO_ACCESS if line["user_name"] == user]
    return lines[0]["role"], [line["scope"] for line in lines]


@pytest.fixture(scope="module")
def duck(published_dir: Path):
    con = duckdb.connect()
    con.execute(f"attach '{published_dir / 'district.duckdb'}' as district (read_only)")
    con.execute(f"attach '{published_dir / 'public.duckdb'}' as public (read_only)")
    yield con
    con.close()


def duck_tables(duck, catalog: str) -> list[str]:
    return [
        row[0]
        for row in duck.execute(
            "select table_name from information_schema.tables where table_catalog = ? order by 1", [catalog]
        ).fetchall()
    ]


def duck_count(duck, catalog: str, table: str, where: str = "true", params: list | None = None) -> int:
    return duck.execute(f"select count(*) from {catalog}.main.{table} where {where}", params or []).fetchone()[0]


def current_school_year(duck) -> int:
    """The latest school year with classes in the published roster."""
    return duck.execute("select max(school_year) from district.main.dim_class_teachers").fetchone()[0]


def reach_of(duck, role: str, scopes: list[str], user: str, look_back: int = 0) -> list[tuple]:
    """(student_key, school_id or None, school_year) whose rows a teacher or intervention staff
    member reads: a teacher their classes' students at that school in the school years from the
    current one back `look_back`; a caseload its students in those years at any school."""
    years = list(range(current_school_year(duck) - look_back, current_school_year(duck) + 1))
    if role == "teacher":
        return duck.execute(
            "select distinct e.student_key, t.school_id, t.school_year from district.main.fct_class_enrollments e "
            "join district.main.dim_class_teachers t on t.school_year = e.school_year and t.class_sourced_id = e.class_sourced_id "
            "where t.teacher_username = ? and t.school_year in (select unnest(?))",
            [scopes[0] or user, years],
        ).fetchall()
    if role == "intervention_staff":
        caseload = [line["local_student_id"] for line in DEMO_CASELOADS if line["user_name"] == user]
        keys = duck.execute(
            "select student_key from district.main.dim_students where local_student_id in (select unnest(?))", [caseload]
        ).fetchall()
        return [(key, None, year) for (key,) in keys for year in years]
    return []


def reached_rows(duck, table: str, reach: list[tuple]) -> int:
    """Rows of a student table within a reach (school_id None: any school)."""
    if not reach:
        return 0
    return duck.execute(
        f"""
        select count(*) from district.main.{table} t
        where exists (
            select 1 from (select unnest(?, recursive := true)) r
            where r.student_key = t.student_key and r.school_year = t.school_year
              and (r.school_id is null or r.school_id = t.school_id)
        )
        """,
        [[{"student_key": k, "school_id": school, "school_year": year} for k, school, year in reach]],
    ).fetchone()[0]


def students_of(duck, role: str, scopes: list[str], user: str) -> set[str]:
    """The student_keys whose dim_students row a user's role reads, computed from the published DuckDB file."""
    if role == "school_leader":
        rows = duck.execute(
            """
            select student_key from district.main.dim_students where school_id in (select unnest($1))
            union select student_key from district.main.fct_assessment_results where school_id in (select unnest($1))
            union select student_key from district.main.fct_grade12_sample where school_id in (select unnest($1))
            union select student_key from district.main.fct_class_enrollments where school_id in (select unnest($1))
            """,
            [scopes],
        ).fetchall()
        return {row[0] for row in rows}
    return {key for key, _, _ in reach_of(duck, role, scopes, user)}


def expected_counts(duck, user: str) -> dict[str, int | None]:
    """Rows each table shows `user`; None where reading it must be refused."""
    role, scopes = demo_user(user)
    students = sorted(students_of(duck, role, scopes, user))
    expected: dict[str, int | None] = {}
    for table in duck_tables(duck, "district"):
        name = f"district.{table}"
        if role == "district_admin":
            expected[name] = duck_count(duck, "district", table)
        elif role in ("policymaker", "public") or table not in NAMED_DISTRICT_TABLES - ADMIN_ONLY:
            expected[name] = None
        elif role == "school_leader" and table == "dim_students":
            expected[name] = duck_count(duck, "district", table, "student_key in (select unnest(?))", [students])
        elif role == "school_leader" and table in SCHOOL_TABLES:
            expected[name] = duck_count(duck, "district", table, "school_id in (select unnest(?))", [scopes])
        elif role == "school_leader" and table in UNSCOPED_DIMENSIONS:
            expected[name] = duck_count(duck, "district", table)
        elif role in ("teacher", "intervention_staff") and table == "dim_students":
            expected[name] = duck_count(duck, "district", table, "student_key in (select unnest(?))", [students])
        elif role in ("teacher", "intervention_staff") and table in STUDENT_TABLES:
            expected[name] = reached_rows(duck, table, reach_of(duck, role, scopes, user))
        elif role in ("teacher", "intervention_staff") and table in REFERENCE_DIMENSIONS:
            expected[name] = duck_count(duck, "district", table)
        else:
            expected[name] = None
    for table in duck_tables(duck, "public"):
        expected[f"aggregates.{table}"] = duck_count(duck, "public", table)
    own_lines = sum(line["user_name"] == user for line in DEMO_ACCESS)
    if role == "district_admin":
        everyone = {line["user_name"] for line in DEMO_ACCESS}
        expected["acl.users"] = len(DEMO_ACCESS)
        expected["acl.user_schools"] = sum(line["role"] == "school_leader" for line in DEMO_ACCESS)
        expected["acl.user_students"] = sum(
            len(students_of(duck, *demo_user(name), name)) for name in everyone
        )
        expected["acl.user_student_years"] = sum(len(reach_of(duck, *demo_user(name), name)) for name in everyone)
    elif role in ("policymaker", "public"):
        expected |= {f"acl.{table}": None for table in ACL_TABLES}
    else:
        expected["acl.users"] = own_lines
        expected["acl.user_schools"] = len(scopes) if role == "school_leader" else 0
        expected["acl.user_students"] = len(students)
        expected["acl.user_student_years"] = len(reach_of(duck, role, scopes, user))
    return expected


def pg_counts(url: str, tables) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table in tables:
            try:
                counts[table] = conn.execute(f"select count(*) from {table}").fetchone()[0]
            except psycopg.errors.InsufficientPrivilege:
                counts[table] = None
    return counts


def all_tables(duck) -> list[str]:
    return (
        [f"district.{t}" for t in duck_tables(duck, "district")]
        + [f"aggregates.{t}" for t in duck_tables(duck, "public")]
        + [f"acl.{t}" for t in ACL_TABLES]
    )


# ---------------------------------------------------------------------------------------
# Every table arrives whole


def test_every_table_arrives_with_the_row_count_of_duckdb(postgres_publication, postgres_server, duck):
    expected = {f"district.{t}": duck_count(duck, "district", t) for t in duck_tables(duck, "district")}
    expected |= {f"aggregates.{t}": duck_count(duck, "public", t) for t in duck_tables(duck, "public")}
    in_postgres = pg_counts(postgres_server.url, expected)
    assert in_postgres == expected
    assert {k: v for k, v in postgres_publication["rows"].items() if not k.startswith("acl.")} == expected
    assert NAMED_DISTRICT_TABLES <= {t.removeprefix("district.") for t in expected}
    assert expected["district.fct_assessment_results"] > 20_000


def test_every_value_arrives_unchanged(postgres_publication, postgres_server, duck):
    """Nulls stay nulls, empty strings stay empty, decimals and doubles keep every digit."""
    differing = []
    with psycopg.connect(postgres_server.url) as conn:
        for catalog, schema in (("district", "district"), ("public", "aggregates")):
            for table in duck_tables(duck, catalog):
                in_duckdb = Counter(duck.execute(f"select * from {catalog}.main.{table}").fetchall())
                in_postgres = Counter(conn.execute(f"select * from {schema}.{table}").fetchall())
                if in_postgres != in_duckdb:
                    differing.append(f"{schema}.{table}: {list((in_duckdb - in_postgres).items())[:2]}")
    assert differing == []


def test_columns_get_postgres_types_of_the_same_meaning(postgres_publication, postgres_server):
    with psycopg.connect(postgres_server.url) as conn:
        types = dict(
            ((table, column), (data_type, precision, scale))
            for table, column, data_type, precision, scale in conn.execute(
                "select table_name, column_name, data_type, numeric_precision, numeric_scale "
                "from information_schema.columns where table_schema = 'district'"
            ).fetchall()
        )
        total = conn.execute("select sum(allocation) from district.fct_school_funding").fetchone()[0]
    assert types["fct_school_funding", "allocation"] == ("numeric", 18, 2)
    assert types["fct_assessment_results", "student_key"][0] == "text"
    assert types["fct_assessment_results", "school_year"][0] == "integer"
    assert types["fct_assessment_results", "source_row"][0] == "bigint"
    assert types["fct_assessment_results", "scale_score"][0] == "double precision"
    assert types["fct_assessment_results", "assessment_date"][0] == "date"
    assert types["fct_assessment_results", "is_proficient"][0] == "boolean"
    assert isinstance(total, Decimal) and total == total.quantize(Decimal("0.01"))


# ---------------------------------------------------------------------------------------
# Who reads what


def test_demo_access_file_has_a_user_of_every_role_and_leaders_of_distinct_schools():
    roles = Counter(line["role"] for line in DEMO_ACCESS)
    assert set(roles) == {"district_admin", "school_leader", "teacher", "intervention_staff", "policymaker", "public"}
    leader_schools = [line["scope"] for line in DEMO_ACCESS if line["role"] == "school_leader"]
    assert sorted(leader_schools) == ["255901101", "255901102", "255901103"]
    config = load_access_config(CONFIG_DIR)
    assert len(config.caseloads) == len(DEMO_CASELOADS) > 0


@pytest.mark.parametrize("user", DEMO_USERS)
def test_each_demo_user_reads_exactly_the_tables_and_rows_of_its_role(postgres_publication, postgres_server, duck, user):
    expected = expected_counts(duck, user)
    assert pg_counts(postgres_server.url_for(user), expected) == expected


@pytest.mark.parametrize("user", [u for u in DEMO_USERS if demo_user(u)[0] in ("school_leader", "teacher", "intervention_staff")])
def test_restricted_users_see_a_real_part_of_the_results_and_only_their_students(postgres_publication, postgres_server, duck, user):
    role, scopes = demo_user(user)
    students = students_of(duck, role, scopes, user)
    total = duck_count(duck, "district", "fct_assessment_results")
    with psycopg.connect(postgres_server.url_for(user)) as conn:
        results = conn.execute("select count(*) from district.fct_assessment_results").fetchone()[0]
        visible_students = {row[0] for row in conn.execute("select student_key from district.dim_students").fetchall()}
        result_schools = {row[0] for row in conn.execute("select distinct school_id from district.fct_assessment_results").fetchall()}
    assert 0 < results < total
    assert visible_students == students
    if role == "school_leader":
        assert result_schools == set(scopes)


def test_school_leader_of_one_school_sees_only_that_schools_rows(postgres_publication, postgres_server, duck):
    with psycopg.connect(postgres_server.url_for("maria.lopez")) as conn:
        by_school = dict(
            conn.execute("select school_id, count(*) from district.fct_assessment_results group by 1").fetchall()
        )
        schools = conn.execute("select school_id from district.dim_schools").fetchall()
    assert by_school == {"255901101": duck_count(duck, "district", "fct_assessment_results", "school_id = '255901101'")}
    assert schools == [("255901101",)]


def test_intervention_staff_see_exactly_their_caseload(postgres_publication, postgres_server):
    with psycopg.connect(postgres_server.url_for("rita.chen")) as conn:
        ids = sorted(row[0] for row in conn.execute("select local_student_id from district.dim_students").fetchall())
    assert ids == ["4446866", "4463211", "4473413", "9976744"]


def test_policymaker_and_public_are_refused_the_district_schema(postgres_publication, postgres_server):
    for user in ("paul.grant", "dashboard.reader"):
        with psycopg.connect(postgres_server.url_for(user), autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for schema district"):
                conn.execute("select count(*) from district.agg_school_proficiency")
            assert conn.execute("select count(*) from aggregates.dim_schools").fetchone()[0] == 3


def test_every_district_table_forces_row_level_security(postgres_publication, postgres_server, duck):
    with psycopg.connect(postgres_server.url) as conn:
        flags = conn.execute(
            "select c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'district' and c.relkind = 'r'"
        ).fetchall()
        logins = dict(conn.execute("select rolname, rolcanlogin from pg_roles where rolname like 'spt\\_%'").fetchall())
    assert sorted(name for name, _, _ in flags) == duck_tables(duck, "district")
    assert all(enabled and forced for _, enabled, forced in flags)
    assert logins == {
        "spt_district_admin": False, "spt_school_leader": False, "spt_teacher": False,
        "spt_intervention_staff": False, "spt_policymaker": False, "spt_public": False,
    }


def test_a_user_removed_from_access_csv_loses_access_at_the_next_publication(
    postgres_publication, postgres_server, published_dir, tmp_path
):
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    with open(config / "access.csv", "a") as handle:
        handle.write("temp.viewer,policymaker,\n")
    publish_postgres(published_dir, postgres_server.url, config)
    assert pg_counts(postgres_server.url_for("temp.viewer"), ["aggregates.dim_schools"]) == {"aggregates.dim_schools": 3}

    # a role a database administrator made is left alone, even when it is not in access.csv
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute('create role "dba.made" login')
    open_session = psycopg.connect(postgres_server.url_for("temp.viewer"), autocommit=True)
    assert open_session.execute("select count(*) from aggregates.dim_schools").fetchone()[0] == 3

    result = publish_postgres(published_dir, postgres_server.url, CONFIG_DIR)

    assert result["dropped_users"] == ["temp.viewer"]
    with pytest.raises(psycopg.OperationalError, match='role "temp.viewer" does not exist'):
        psycopg.connect(postgres_server.url_for("temp.viewer"))
    # the session open while it was removed was ended, not left reading
    with pytest.raises(psycopg.OperationalError):
        open_session.execute("select count(*) from aggregates.dim_schools")
    open_session.close()
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        roles = {row[0] for row in conn.execute("select rolname from pg_roles").fetchall()}
        conn.execute('drop role "dba.made"')
    assert "dba.made" in roles and "temp.viewer" not in roles


def visible_by_school_year(url: str, table: str) -> dict[tuple[str, int], int]:
    with psycopg.connect(url) as conn:
        return dict(
            ((school, year), n)
            for school, year, n in conn.execute(f"select school_id, school_year, count(*) from district.{table} group by 1, 2")
        )


def test_a_teacher_reads_only_this_years_classes_and_with_a_look_back_last_years_at_that_school(
    postgres_publication, postgres_server, published_dir, duck, tmp_path
):
    teacher = "hazel.murphy001"
    current = current_school_year(duck)
    (school,) = {row[0] for row in duck.execute(
        "select distinct school_id from district.main.dim_class_teachers where teacher_username = ?", [teacher]
    ).fetchall()}
    this_year = reach_of(duck, "teacher", [""], teacher)
    with_last_year = reach_of(duck, "teacher", [""], teacher, look_back=1)
    former = {k for k, _, _ in with_last_year} - {k for k, _, _ in this_year}
    # former students with rows at other schools or in other years: what must stay hidden
    former_elsewhere = duck.execute(
        "select count(*) from district.main.fct_assessment_results "
        "where student_key in (select unnest(?)) and (school_id <> ? or school_year <> ?)",
        [sorted(former), school, current - 1],
    ).fetchone()[0]
    assert len(former) > 5 and former_elsewhere > 0

    # by default (look-back 0): this year's classes only
    url = postgres_server.url_for(teacher)
    results = visible_by_school_year(url, "fct_assessment_results")
    assert set(results) == {(school, current)}
    assert sum(results.values()) == reached_rows(duck, "fct_assessment_results", this_year)
    with psycopg.connect(url) as conn:
        visible = {row[0] for row in conn.execute("select student_key from district.dim_students")}
    assert visible == {k for k, _, _ in this_year} and not visible & former

    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    district = (config / "district.yml").read_text()
    assert "teacher_look_back_years: 0" in district
    (config / "district.yml").write_text(district.replace("teacher_look_back_years: 0", "teacher_look_back_years: 1"))
    try:
        result = publish_postgres(published_dir, postgres_server.url, config)
        assert result["school_years"]["teacher"] == [current - 1, current]
        tables = {t: visible_by_school_year(url, t) for t in ("fct_assessment_results", "fct_behaviour_incidents", "fct_seb_screenings")}
        with psycopg.connect(url) as conn:
            visible = {row[0] for row in conn.execute("select student_key from district.dim_students")}
    finally:
        publish_postgres(published_dir, postgres_server.url, CONFIG_DIR)
    for table, by_school_year in tables.items():
        # last year's teacher reads last year's rows, at that school, and nothing else
        assert set(by_school_year) <= {(school, current - 1), (school, current)}, table
        assert sum(by_school_year.values()) == reached_rows(duck, table, with_last_year), table
    assert former <= visible
    assert sum(tables["fct_assessment_results"].values()) > sum(results.values())


# ---------------------------------------------------------------------------------------
# Readers never see a partial publication


def test_readers_polling_through_two_republications_never_fail_nor_see_a_partial_table(
    postgres_publication, postgres_server, published_dir, duck
):
    teacher_students = sorted(students_of(duck, "teacher", [""], "hazel.murphy001"))
    expected = {
        "dana.whitfield": {
            "district.fct_assessment_results": duck_count(duck, "district", "fct_assessment_results"),
            "district.dim_students": duck_count(duck, "district", "dim_students"),
            "aggregates.agg_school_proficiency": duck_count(duck, "public", "agg_school_proficiency"),
        },
        "hazel.murphy001": {
            "district.fct_assessment_results": reached_rows(
                duck, "fct_assessment_results", reach_of(duck, "teacher", [""], "hazel.murphy001")
            ),
            "district.dim_students": len(teacher_students),
        },
    }
    stop = threading.Event()
    reads: list[tuple[float, str, str, int]] = []
    failures: list[str] = []

    def poll(user: str) -> None:
        with psycopg.connect(postgres_server.url_for(user), autocommit=True) as conn:
            while not stop.is_set():
                for table in expected[user]:
                    try:
                        rows = conn.execute(f"select count(*) from {table}").fetchone()[0]
                    except psycopg.Error as error:
                        failures.append(f"{user} {table}: {error}")
                        continue
                    reads.append((time.monotonic(), user, table, rows))

    readers = [threading.Thread(target=poll, args=(user,)) for user in expected]
    for reader in readers:
        reader.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        for _ in range(2):
            publish_postgres(published_dir, postgres_server.url, CONFIG_DIR)
        finished = time.monotonic()
        time.sleep(0.3)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)

    assert failures == []
    wrong = [(user, table, rows) for _, user, table, rows in reads if rows != expected[user][table]]
    assert wrong == []
    assert sum(started < at < finished for at, *_ in reads) > 20
    assert {user for at, user, *_ in reads if at > finished} == set(expected)
    with psycopg.connect(postgres_server.url) as conn:
        leftovers = conn.execute(
            "select nspname from pg_namespace where nspname like '%\\_\\_loading' or nspname like '%\\_\\_old\\_%'"
        ).fetchall()
    assert leftovers == []


def copy_publication(published_dir: Path, to: Path) -> Path:
    to.mkdir()
    shutil.copy(published_dir / "district.duckdb", to / "district.duckdb")
    shutil.copy(published_dir / "public.duckdb", to / "public.duckdb")
    return to


def test_a_publication_that_fails_midway_leaves_the_previous_one_in_place(
    postgres_publication, postgres_server, published_dir, duck, tmp_path
):
    """PostgreSQL text cannot hold a NUL character: the server refuses the last file's table
    after every district table was already loaded."""
    broken = copy_publication(published_dir, tmp_path / "published")
    with duckdb.connect(str(broken / "public.duckdb")) as con:
        con.execute("create table zz_notes as select 'a' || chr(0) || 'b' as note")
    before = pg_counts(postgres_server.url, all_tables(duck))

    with pytest.raises(PostgresPublicationError, match="PostgreSQL refused the publication: .*0x00"):
        publish_postgres(broken, postgres_server.url, CONFIG_DIR)

    assert pg_counts(postgres_server.url, all_tables(duck)) == before
    with psycopg.connect(postgres_server.url) as conn:
        schemas = {row[0] for row in conn.execute("select nspname from pg_namespace").fetchall()}
    assert {"district", "aggregates", "acl"} <= schemas
    assert not {s for s in schemas if "__" in s}


def test_a_column_type_without_a_postgres_equivalent_is_named_before_loading(postgres_server, published_dir, tmp_path):
    broken = copy_publication(published_dir, tmp_path / "published")
    with duckdb.connect(str(broken / "public.duckdb")) as con:
        con.execute("create table score_lists as select [1, 2, 3] as scores")
    with pytest.raises(PostgresPublicationError, match=r"public\.score_lists\.scores \(INTEGER\[\]\)"):
        publish_postgres(broken, postgres_server.url, CONFIG_DIR)


# ---------------------------------------------------------------------------------------
# Access-file mistakes


def write_config(folder: Path, access: str, caseloads: str | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "access.csv").write_text(access)
    if caseloads is not None:
        (folder / "caseloads.csv").write_text(caseloads)
    return folder


@pytest.mark.parametrize(
    ("access", "caseloads", "problem"),
    [
        (
            "user_name,role,scope\ndana.whitfield,district_admin,\nmaria.lopez,princpal,255901101\n",
            None,
            "access.csv line 3, column role: Input should be 'district_admin'",
        ),
        (
            "user_name,role,scope\nmaria.lopez,school_leader,\n",
            None,
            "access.csv line 2, column scope: a school leader needs a school_id",
        ),
        (
            "user_name,role,scope\npaul.grant,policymaker,255901101\n",
            None,
            "access.csv line 2, column scope: must be blank for role policymaker",
        ),
        (
            "user_name,role,scope\nMaria Lopez,district_admin,\n",
            None,
            "access.csv line 2, column user_name: a user name is lower-case letters",
        ),
        (
            "user_name,role,scope\nann.lee,teacher,\nann.lee,public,\n",
            None,
            "access.csv line 3, column role: ann.lee already has role teacher on line 2",
        ),
        (
            "user_name,role\nann.lee,teacher\n",
            None,
            "access.csv line 1: missing column(s) scope",
        ),
        (
            "user_name,role,scope\nrita.chen,intervention_staff,\nann.lee,teacher,\n",
            "user_name,local_student_id\nrita.chen,4446866\nann.lee,4463211\nrita.chen,\n",
            "caseloads.csv line 3, column user_name: ann.lee is not an intervention_staff user in access.csv",
        ),
        (
            "user_name,role,scope\nrita.chen,intervention_staff,\n",
            "user_name,local_student_id\nrita.chen,4446866\nrita.chen,\n",
            "caseloads.csv line 3, column local_student_id: a value is required",
        ),
    ],
)
def test_a_bad_access_line_is_reported_with_file_line_and_column(tmp_path, access, caseloads, problem):
    config = write_config(tmp_path / "config", access, caseloads)
    with pytest.raises(AccessConfigError) as raised:
        load_access_config(config)
    assert any(problem in message and str(config) in message for message in raised.value.problems), raised.value.problems


def test_a_school_leader_of_a_school_not_in_the_district_is_reported_and_nothing_changes(
    postgres_publication, postgres_server, published_dir, tmp_path
):
    config = write_config(tmp_path / "config", "user_name,role,scope\nmaria.lopez,school_leader,255909999\n")
    before = pg_counts(postgres_server.url_for("maria.lopez"), ["district.fct_assessment_results"])
    with pytest.raises(AccessConfigError) as raised:
        publish_postgres(published_dir, postgres_server.url, config)
    assert raised.value.problems == [
        f"{config / 'access.csv'} line 2, column scope: school 255909999 is not in the published district (dim_schools)"
    ]
    assert pg_counts(postgres_server.url_for("maria.lopez"), ["district.fct_assessment_results"]) == before


def test_a_superuser_listed_in_access_csv_is_refused(postgres_publication, postgres_server, published_dir, tmp_path):
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        admin.execute("drop role if exists \"ops.super\"")
        admin.execute("create role \"ops.super\" login superuser")
    config = write_config(tmp_path / "config", "user_name,role,scope\nops.super,teacher,\n")
    with pytest.raises(AccessConfigError) as raised:
        publish_postgres(published_dir, postgres_server.url, config)
    assert raised.value.problems == [
        f"{config / 'access.csv'} line 2, column user_name: ops.super is a superuser or bypasses "
        "row-level security in PostgreSQL; give the role teacher to another user"
    ]


# ---------------------------------------------------------------------------------------
# The command


def test_publish_command_prints_rows_per_table_and_the_rate_of_the_largest(postgres_publication, postgres_server, pipeline_run):
    result = CliRunner().invoke(
        publish_command,
        ["--warehouse", str(pipeline_run.warehouse_dir), "--config", str(CONFIG_DIR)],
        env={"SPT_POSTGRES_URL": postgres_server.url},
    )
    assert result.exit_code == 0, result.output
    largest, rows = max(postgres_publication["rows"].items(), key=lambda item: item[1])
    assert f"largest table {largest}: {rows:,} rows copied in" in result.stdout
    assert "rows/s" in result.stdout
    assert "district.dim_students" in result.stdout and "aggregates.dim_schools" in result.stdout


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--postgres", "postgresql://postgres@127.0.0.1:{closed_port}/spt"], "cannot connect to PostgreSQL"),
        (["--postgres", "127.0.0.1:5432/spt"], "the PostgreSQL URL is not valid"),
        ([], "no PostgreSQL URL"),
    ],
)
def test_publish_command_exits_2_with_one_line_on_a_bad_or_unreachable_server(pipeline_run, args, reason):
    args = [arg.format(closed_port=closed_port()) for arg in args]
    result = CliRunner().invoke(
        publish_command, [*args, "--warehouse", str(pipeline_run.warehouse_dir)], env={"SPT_POSTGRES_URL": None}
    )
    assert result.exit_code == 2
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_publish_command_exits_2_naming_the_bad_access_line(postgres_server, pipeline_run, tmp_path):
    config = write_config(tmp_path / "config", "user_name,role,scope\nmaria.lopez,princpal,255901101\n")
    result = CliRunner().invoke(
        publish_command,
        ["--postgres", postgres_server.url, "--warehouse", str(pipeline_run.warehouse_dir), "--config", str(config)],
    )
    assert result.exit_code == 2
    assert f"{config / 'access.csv'} line 2, column role" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------
# Edge values through both COPY formats


EDGE_ROWS = """
    ('plain', 1::tinyint, 1::smallint, 1::integer, 1::bigint, 7::uinteger, 1.5::float, 1.5::double, true,
     date '2024-02-29', timestamp '2024-02-29 12:34:56.789012', timestamptz '2024-02-29 12:34:56.5+00'),
    ('', -128, -32768, -2147483648, -9223372036854775808, 0, -0.25, '-inf'::double, false,
     date '1999-12-31', timestamp '1969-07-20 20:17:40', timestamptz '1999-12-31 23:59:59+00'),
    (null, null, null, null, null, null, null, null, null, null, null, null),
    ('naïve "quoted", comma' || chr(10) || 'second line \\N', 127, 32767, 2147483647, 9223372036854775807,
     4294967295, 16777216::float, 1e-300, null, date '0001-01-01', timestamp '2000-01-01 00:00:00', null)
"""
EDGE_COLUMNS = "(label, tiny, small, whole, big, unsigned, single, dbl, flag, day, moment, instant)"


def test_edge_values_of_every_type_arrive_unchanged_in_binary_and_in_csv(postgres_server, published_dir, tmp_path):
    """Binary COPY carries text, integers, floats, booleans, dates and timestamps; a table with
    a decimal, hugeint, uuid or time column goes as CSV. Both keep nulls, empty strings, quotes,
    line breaks, extremes and dates before 2000."""
    edges = copy_publication(published_dir, tmp_path / "published")
    with duckdb.connect(str(edges / "district.duckdb")) as con:
        con.execute(f"create table edge_binary as select * from (values {EDGE_ROWS}) v{EDGE_COLUMNS}")
        con.execute(
            "create table edge_csv as select *, "
            "(small::double / 100)::decimal(18,2) as amount, "
            "case when tiny is null then null else big::hugeint * 1000 end as huge, "
            "case when tiny is null then null else uuid '123e4567-e89b-12d3-a456-426614174000' end as id, "
            "case when tiny is null then null else time '12:34:56.5' end as at "
            "from edge_binary"
        )
        expected = {
            table: Counter(con.execute(f"select * from {table}").fetchall()) for table in ("edge_binary", "edge_csv")
        }
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        admin.execute("drop database if exists spt_edges")
        admin.execute("create database spt_edges")
    url = postgres_server.url.rsplit("/", 1)[0] + "/spt_edges"
    publish_postgres(edges, url, CONFIG_DIR)
    with psycopg.connect(url) as conn:
        formats = dict(
            conn.execute(
                "select table_name, string_agg(data_type, ',' order by ordinal_position) from information_schema.columns "
                "where table_schema = 'district' and table_name like 'edge%' group by 1"
            ).fetchall()
        )
        arrived = {table: Counter(conn.execute(f"select * from district.{table}").fetchall()) for table in expected}
    assert formats["edge_csv"].endswith("numeric,numeric,uuid,time without time zone")
    assert arrived == expected


def test_spt_run_also_publishes_to_postgres_when_the_config_names_the_url_variable(
    postgres_server, pipeline_run, tmp_path, monkeypatch
):
    import yaml

    from tests.conftest import run_pipeline

    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    district = yaml.safe_load((config / "district.yml").read_text())
    district["publication"]["postgres_url_env"] = "SPT_TEST_POSTGRES_URL"
    (config / "district.yml").write_text(yaml.safe_dump(district))
    warehouse = tmp_path / "warehouse"
    shutil.copytree(pipeline_run.warehouse_dir, warehouse, symlinks=True)
    with psycopg.connect(postgres_server.url, autocommit=True) as con:
        con.execute("create database run_target")
    target = postgres_server.url.rsplit("/", 1)[0] + "/run_target"
    monkeypatch.setenv("SPT_TEST_POSTGRES_URL", target)

    result = run_pipeline(pipeline_run.landing_dir, warehouse, config)

    assert result.returncode == 0, result.stderr[-3000:]
    with duckdb.connect(str(warehouse / "published" / "district.duckdb"), read_only=True) as duck_con:
        expected = duck_con.execute("select count(*) from fct_assessment_results").fetchone()[0]
    with psycopg.connect(target) as con:
        assert con.execute("select count(*) from district.fct_assessment_results").fetchone()[0] == expected
