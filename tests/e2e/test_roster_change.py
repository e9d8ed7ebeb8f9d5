"""A roster delivery that lost a school blocks the run, until it is published as a real change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CONFIG_DIR, PipelineRun, spt
from tests.e2e.test_pipeline import folder_digest

pytestmark = pytest.mark.e2e


def test_a_school_missing_from_the_roster_blocks_until_accepted(pipeline_run: PipelineRun, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(pipeline_run.warehouse_dir, warehouse, symlinks=True)
    landing = tmp_path / "landing"
    shutil.copytree(pipeline_run.landing_dir, landing)
    enrollments = landing / "oneroster" / "enrollments.csv"
    with duckdb.connect() as con:
        rows = con.execute(f"select * from read_csv('{enrollments}', all_varchar = true)").df()
    students = rows[rows["role"] == "student"]
    school_sizes = students.groupby("schoolSourcedId")["userSourcedId"].nunique()
    # the smallest school, so that the marts shrink by less than the row-count check allows
    school = school_sizes.idxmin()
    students_at_school = int(school_sizes[school])
    schools_per_student = students.groupby("userSourcedId")["schoolSourcedId"].agg(set)
    left_out = set(schools_per_student[schools_per_student.map(lambda s: s == {school})].index)
    # the SIS export ran with a filter that left one school out, and the students known only there
    rows[(rows["schoolSourcedId"] != school) & ~rows["userSourcedId"].isin(left_out)].to_csv(enrollments, index=False)
    users_file = landing / "oneroster" / "users.csv"
    with duckdb.connect() as con:
        users = con.execute(f"select * from read_csv('{users_file}', all_varchar = true)").df()
    users[~users["sourcedId"].isin(left_out)].to_csv(users_file, index=False)
    moved_away = set(students.loc[students["schoolSourcedId"] == school, "userSourcedId"]) - left_out
    moved_local_ids = set(users.loc[users["sourcedId"].isin(moved_away), "identifier"])
    before = folder_digest(warehouse / "published")
    args = ("run", "--landing", str(landing), "--config", str(CONFIG_DIR), "--warehouse", str(warehouse))

    blocked = spt(*args)

    assert blocked.returncode != 0
    assert "publication blocked" in blocked.stderr
    assert f"{school} {students_at_school:,} -> 0" in blocked.stderr
    assert "--accept-roster-change" in blocked.stderr
    assert folder_digest(warehouse / "published") == before

    accepted = spt(*args, "--accept-roster-change")

    assert accepted.returncode == 0, accepted.stderr[-3000:]
    manifest = json.loads((warehouse / "published" / "manifest.json").read_text())
    sizes = next(c for c in manifest["checks"] if c["name"] == "raw_roster_school_sizes")
    assert (sizes["passed"], sizes["blocking"]) == (False, False)
    assert "accepted with --accept-roster-change" in sizes["message"]
    # the accepted delivery is the next run's baseline
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        latest = con.execute(
            "select arg_max(file_sha256, ingested_at) from raw.oneroster_enrollments"
        ).fetchone()[0]
    assert manifest["roster_deliveries"]["oneroster_enrollments"] == latest
    with duckdb.connect(str(warehouse / "published" / "district.duckdb"), read_only=True) as con:
        assert con.execute(
            "select count(*) from fct_class_enrollments e join dim_schools s on e.school_id = s.school_id "
            "where s.school_sourced_id = ?", [school]
        ).fetchone()[0] == 0
        # results of students who also attended another school, dated while they were at the left-out
        # school, have no school now: they are set aside with the reason, not lost
        no_school = {
            row[0] for row in con.execute(
                "select distinct vendor_student_id from audit_excluded_results where reason = 'no_school_on_date'"
            ).fetchall()
        }
    assert no_school and no_school <= moved_local_ids
