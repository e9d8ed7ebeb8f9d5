"""config/access.csv and caseloads.csv name people of the demo district, so the demo shows scoping.

The demo district is generated here with the `spt demo` defaults; every teacher of access.csv
must teach a class of its latest school year, and every caseload student be enrolled in it.
"""

from __future__ import annotations

import duckdb
import pytest

from synthetic import generate_district
from orchestration.cli import demo
from publication.postgres import load_access_config
from tests.conftest import CONFIG_DIR


@pytest.fixture(scope="module")
def demo_roster(tmp_path_factory):
    defaults = {p.name: p.default for p in demo.params if p.name in ("students", "schools", "years", "seed")}
    out = tmp_path_factory.mktemp("demo")
    generate_district(out, **defaults)
    con = duckdb.connect()
    roster = out / "landing" / "oneroster"
    con.execute(
        f"""
        create table taught as
        select u.username, u.identifier::varchar as identifier, u.role, s.schoolYear::integer as school_year
        from read_csv('{roster / "enrollments.csv"}', all_varchar = true) e
        join read_csv('{roster / "users.csv"}', all_varchar = true) u on u.sourcedId = e.userSourcedId
        join read_csv('{roster / "classes.csv"}', all_varchar = true) c on c.sourcedId = e.classSourcedId
        join read_csv('{roster / "academicSessions.csv"}', all_varchar = true) s on s.sourcedId = c.termSourcedIds
        """
    )
    yield con
    con.close()


def test_every_demo_teacher_teaches_this_year_and_every_caseload_student_is_enrolled(demo_roster):
    config = load_access_config(CONFIG_DIR)
    latest = demo_roster.execute("select max(school_year) from taught").fetchone()[0]
    teachers = {e.teacher_username for e in config.users if e.role == "teacher"}
    caseload = {c.local_student_id for c in config.caseloads}
    assert len(teachers) == 2 and len(caseload) == 4
    teaching = {row[0] for row in demo_roster.execute(
        "select username from taught where role = 'teacher' and school_year = ?", [latest]
    ).fetchall()}
    enrolled = {row[0] for row in demo_roster.execute(
        "select identifier from taught where role = 'student' and school_year = ?", [latest]
    ).fetchall()}
    assert teachers <= teaching
    assert caseload <= enrolled
