"""A new roster delivery against the last one: vanished students and shrunken schools block it."""

from __future__ import annotations

import duckdb
import pytest

from quality.roster_checks import RosterRules, latest_deliveries, roster_checks


def _deliver(con, sha: str, day: str, students: list[tuple[str, str, str, str]]) -> None:
    """One delivery of users and enrollments: (student, school, enabledUser, enrollment endDate)."""
    for student, school, enabled, end in students:
        con.execute(
            "insert into raw.oneroster_users values (?, null, ?, 'student', ?, ?::timestamp)",
            [student, enabled, sha, day],
        )
        con.execute(
            "insert into raw.oneroster_enrollments values (?, ?, 'student', null, '2025-08-20', ?, ?, ?::timestamp)",
            [student, school, end, sha, day],
        )


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.oneroster_users (sourcedId varchar, status varchar, enabledUser varchar, role varchar, "
        "file_sha256 varchar, ingested_at timestamp)"
    )
    con.execute(
        "create table raw.oneroster_enrollments (userSourcedId varchar, schoolSourcedId varchar, role varchar, "
        "status varchar, beginDate varchar, endDate varchar, file_sha256 varchar, ingested_at timestamp)"
    )
    # the baseline: 20 students at north, 10 at south; n05 is withdrawn (disabled),
    # n06 left on 2026-01-12 (enrollment ended before the next delivery)
    baseline = [(f"n{i:02d}", "north", "true", "2026-06-30") for i in range(1, 21)]
    baseline += [(f"s{i:02d}", "south", "true", "2026-06-30") for i in range(1, 11)]
    baseline[4] = ("n05", "north", "false", "2026-06-30")
    baseline[5] = ("n06", "north", "true", "2026-01-12")
    _deliver(con, "week1", "2026-01-10 06:00", baseline)
    return con


def _by_name(results):
    return {r.name: r for r in results}


def test_students_missing_with_no_withdrawal_and_a_shrunken_school_block(con):
    # the new export lost n05 and n06 (both explained) and eight of south's ten students
    latest = [(f"n{i:02d}", "north", "true", "2026-06-30") for i in range(1, 21) if i not in (5, 6)]
    latest += [("s01", "south", "true", "2026-06-30"), ("s02", "south", "true", "2026-06-30")]
    _deliver(con, "week2", "2026-01-17 06:00", latest)

    results = _by_name(roster_checks(con, RosterRules()))

    kept, sizes = results["raw_roster_students_kept"], results["raw_roster_school_sizes"]
    assert (kept.passed, kept.blocking, kept.failing_rows) == (False, True, 8)
    assert "8 of the 30 students" in kept.message and "(26.7%; at most 2.0% allowed)" in kept.message
    assert kept.sample == [{"school_sourced_id": "south", "vanished_students": 8}]
    assert "--accept-roster-change" in kept.message
    # south: 10 -> 2; north: 20 -> 18 (10% lost) is within 25%
    assert (sizes.passed, sizes.blocking, sizes.failing_rows) == (False, True, 1)
    assert "south 10 -> 2" in sizes.message and "north" not in sizes.message


def test_an_accepted_change_reports_as_a_warning(con):
    _deliver(con, "week2", "2026-01-17 06:00", [("n01", "north", "true", "2026-06-30")])
    results = roster_checks(con, RosterRules(accepted=True))
    assert [(r.passed, r.blocking) for r in results] == [(False, False), (False, False)]
    assert all("accepted with --accept-roster-change" in r.message for r in results)


def test_the_published_delivery_is_the_baseline(con):
    _deliver(con, "week2", "2026-01-17 06:00", [("n01", "north", "true", "2026-06-30")])
    # the cut delivery was published (accepted): the next run compares with it, and passes
    published = latest_deliveries(con)
    assert published == {"oneroster_users": "week2", "oneroster_enrollments": "week2"}
    results = roster_checks(con, RosterRules(published=published))
    assert all(r.passed and "no new roster delivery" in r.message for r in results)
    # a later full delivery compared with the published cut one: nobody vanished, no school shrank
    _deliver(con, "week3", "2026-01-24 06:00", [(f"n{i:02d}", "north", "true", "2026-06-30") for i in range(1, 21)])
    assert all(r.passed for r in roster_checks(con, RosterRules(published=published)))


def test_a_first_delivery_and_an_unchanged_roster_pass(con):
    assert all(r.passed and "no earlier roster" in r.message for r in roster_checks(con, RosterRules()))
    empty = duckdb.connect()
    assert all(r.passed and "no roster delivered yet" in r.message for r in roster_checks(empty, RosterRules()))
