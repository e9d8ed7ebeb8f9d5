"""Roster completeness: a new roster delivery is compared with the roster of the last publication.

A OneRoster delivery is a full snapshot, so a file cut short by an export job (or a filter left
on in the SIS) silently drops students: their results become `student not in the roster` and
every aggregate shrinks. Two blocking raw checks compare the latest delivery of enrollments and
users with the baseline, which is the delivery the last publication was built from (recorded in
its manifest as `roster_deliveries`), or the delivery before the latest when that is unknown:

- `raw_roster_students_kept`: students enrolled in the baseline who are in neither the latest
  users nor the latest enrollments, although nothing withdrew them (their user was enabled and not
  `tobedeleted`, and their last enrollment had not ended by the day of the new delivery), must
  be at most `publication.roster.max_vanished_share` of the baseline's students;
- `raw_roster_school_sizes`: no school may lose more than `publication.roster.max_school_loss` of
  its enrolled students between the baseline and the latest delivery.

A real change (a school closing, a mid-year transfer of a programme) is published with
`spt run --accept-roster-change`: the checks still run and report, as warnings. The accepted
delivery becomes the baseline of the next run, because the publication records it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from .checks import CheckResult

USERS = "raw.oneroster_users"
ENROLLMENTS = "raw.oneroster_enrollments"
ACCEPT_ENV = "SPT_ACCEPT_ROSTER_CHANGE"


@dataclass(frozen=True)
class RosterRules:
    max_vanished_share: float = 0.02
    max_school_loss: float = 0.25
    accepted: bool = False
    # file_sha256 of the deliveries the last publication was built from, by raw table
    published: dict | None = None


def latest_deliveries(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The file_sha256 of the current (most recently ingested) delivery of each roster table."""
    out = {}
    for table in (USERS, ENROLLMENTS):
        row = con.execute(f"select arg_max(file_sha256, ingested_at) from {table}").fetchone()
        if row and row[0]:
            out[table.removeprefix("raw.")] = row[0]
    return out


def _baseline(con, table: str, rules: RosterRules) -> str | None:
    """The delivery to compare the latest with: the published one if it is still in raw, else the one before."""
    published = (rules.published or {}).get(table.removeprefix("raw."))
    if published and con.execute(f"select count(*) from {table} where file_sha256 = ?", [published]).fetchone()[0]:
        return published
    row = con.execute(
        f"""select file_sha256 from (select file_sha256, max(ingested_at) as delivered_at from {table} group by 1)
            order by delivered_at desc limit 1 offset 1"""
    ).fetchone()
    return row[0] if row else None


def roster_checks(con: duckdb.DuckDBPyConnection, rules: RosterRules) -> list[CheckResult]:
    tables = {r[0] for r in con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()}
    if not {USERS, ENROLLMENTS} <= tables:
        return [
            CheckResult(name, ENROLLMENTS, True, True, f"{ENROLLMENTS}: no roster delivered yet")
            for name in ("raw_roster_students_kept", "raw_roster_school_sizes")
        ]
    latest = latest_deliveries(con)
    base_users, base_enrollments = _baseline(con, USERS, rules), _baseline(con, ENROLLMENTS, rules)
    if base_enrollments is None or base_enrollments == latest.get("oneroster_enrollments"):
        what = "no earlier roster to compare with" if base_enrollments is None else "no new roster delivery"
        return [
            CheckResult(name, ENROLLMENTS, True, True, f"{ENROLLMENTS}: {what}")
            for name in ("raw_roster_students_kept", "raw_roster_school_sizes")
        ]
    params = {
        "latest_enrollments": latest["oneroster_enrollments"],
        "base_enrollments": base_enrollments,
        "latest_users": latest.get("oneroster_users"),
        "base_users": base_users,
    }
    con.execute(
        f"""
        create or replace temp table _roster_compare as
        with base as (
            select userSourcedId as student, schoolSourcedId as school,
                   max(try_cast(endDate as date)) over (partition by userSourcedId) as last_end
            from {ENROLLMENTS}
            where file_sha256 = $base_enrollments and role = 'student'
              and coalesce(status, 'active') <> 'tobedeleted'
        ),
        latest as (
            select distinct userSourcedId as student, schoolSourcedId as school
            from {ENROLLMENTS}
            where file_sha256 = $latest_enrollments and role = 'student'
              and coalesce(status, 'active') <> 'tobedeleted'
        ),
        delivered as (
            select max(ingested_at)::date as day from {ENROLLMENTS} where file_sha256 = $latest_enrollments
        ),
        withdrawn as (
            select sourcedId as student from {USERS}
            where file_sha256 = $base_users
              and (lower(coalesce(enabledUser, 'true')) = 'false' or status = 'tobedeleted')
        ),
        still_listed as (
            select sourcedId as student from {USERS} where file_sha256 = $latest_users
            union select student from latest
        )
        select distinct b.student, b.school,
               b.student not in (select student from still_listed where student is not null)
               and b.student not in (select student from withdrawn where student is not null)
               and (b.last_end is null or b.last_end >= (select day from delivered)) as vanished
        from base b
        """,
        params,
    )
    results = [_vanished(con, rules), _school_sizes(con, rules, latest["oneroster_enrollments"])]
    con.execute("drop table _roster_compare")
    return results


def _result(name: str, passed: bool, rules: RosterRules, message: str, failing: int, sample: list[dict]) -> CheckResult:
    if not passed and rules.accepted:
        return CheckResult(name, ENROLLMENTS, False, False, f"{message} (accepted with --accept-roster-change)", failing, sample)
    if not passed:
        message += "; if the change is real, publish it with `spt run --accept-roster-change`"
    return CheckResult(name, ENROLLMENTS, passed, True, message, failing, sample)


def _vanished(con, rules: RosterRules) -> CheckResult:
    base, vanished = con.execute(
        "select count(distinct student), count(distinct student) filter (where vanished) from _roster_compare"
    ).fetchone()
    share = vanished / base if base else 0.0
    by_school = con.execute(
        """select school as school_sourced_id, count(distinct student) as vanished_students
           from _roster_compare where vanished group by 1 order by 2 desc, 1 limit 5"""
    ).fetchall()
    sample = [{"school_sourced_id": s, "vanished_students": n} for s, n in by_school]
    passed = share <= rules.max_vanished_share
    message = (
        f"{ENROLLMENTS}: {vanished:,} of the {base:,} students of the last roster are missing from the new delivery "
        f"with no withdrawal ({share:.1%}; at most {rules.max_vanished_share:.1%} allowed)"
    )
    if vanished and not passed:
        message += "; most at " + ", ".join(f"{s} ({n})" for s, n in by_school)
    return _result("raw_roster_students_kept", passed, rules, message, vanished, sample)


def _school_sizes(con, rules: RosterRules, latest: str) -> CheckResult:
    rows = con.execute(
        f"""
        with sizes as (
            select school, count(distinct student) as before from _roster_compare group by 1
        ),
        now as (
            select schoolSourcedId as school, count(distinct userSourcedId) as after
            from {ENROLLMENTS}
            where file_sha256 = $latest and role = 'student'
              and coalesce(status, 'active') <> 'tobedeleted'
            group by 1
        )
        select s.school, s.before, coalesce(n.after, 0) as after
        from sizes s left join now n using (school)
        where coalesce(n.after, 0) < s.before * (1 - {float(rules.max_school_loss)})
        order by 1 - coalesce(n.after, 0) / s.before desc, 1
        """,
        {"latest": latest},
    ).fetchall()
    sample = [{"school_sourced_id": s, "students_before": b, "students_now": a} for s, b, a in rows[:5]]
    if not rows:
        message = f"{ENROLLMENTS}: no school lost more than {rules.max_school_loss:.0%} of its students"
        return _result("raw_roster_school_sizes", True, rules, message, 0, [])
    message = (
        f"{ENROLLMENTS}: {len(rows)} school(s) lost more than {rules.max_school_loss:.0%} of their students since the "
        "last roster: " + ", ".join(f"{s} {b:,} -> {a:,}" for s, b, a in rows[:5])
    )
    return _result("raw_roster_school_sizes", False, rules, message, len(rows), sample)
