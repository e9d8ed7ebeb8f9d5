"""The gate's checks on small hand-made marts, and the atomic publication."""

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from quality.checks import run_gate_checks, schema_conforms
from quality.schemas import agg_school_proficiency_schema
from publication.publish import PublicationError, kept_publications, publish, read_manifest, rollback

EMPTY_SUPPORT_MARTS = (Path(__file__).resolve().parents[1] / "fixtures" / "empty_support_marts.sql").read_text()


def make_build(
    path: Path,
    *,
    unsuppressed_small_cell: bool = False,
) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create schema marts")
    con.execute(EMPTY_SUPPORT_MARTS)
    con.execute(
        "create table raw.file_manifest as select 'abc' as file_sha256, 'a.csv' as source_file, 3 as rows_read, "
        "3 as rows_loaded, 0 as rows_rejected"
    )
    con.execute(
        "create table marts.dim_students as select * from (values ('s1', '1001', 'Ada', 'Lovelace'), "
        "('s2', '1002', 'Alan', 'Turing')) t(student_key, local_student_id, first_name, last_name)"
    )
    con.execute("create table marts.dim_schools as select 'sch1' as school_id, 'North' as school_name, 'K-5' as grade_span")
    con.execute("create table marts.dim_measures as select 'map_math' as measure_id, 'math' as subject")
    con.execute(
        "create table marts.dim_assessment_windows as select 2026 as school_year, 'Fall' as window_name, "
        "date '2025-07-01' as start_date, date '2025-11-30' as end_date"
    )
    rows = "('s1', 'map_math', date '2025-09-10', 'sch1', 201.0), ('s2', 'map_math', date '2025-09-10', 'sch1', 188.0)"
    con.execute(
        f"create table marts.fct_assessment_results as select * from (values {rows}) "
        "t(student_key, measure_id, assessment_date, school_id, scale_score)"
    )
    n_tested, suppressed = ("2", "false") if unsuppressed_small_cell else ("null", "true")
    con.execute(
        f"""create table marts.agg_school_proficiency as select 'sch1' as school_id, 2026 as school_year,
            'Fall' as window_name, 3 as grade_level, 'math' as subject, 'map_math' as measure_id,
            'all' as student_group,
            {n_tested}::bigint as n_students, {n_tested}::bigint as n_tested, null::bigint as n_proficient,
            null::double as pct_proficient, null::double as pct_below_expectation,
            null::double as pct_at_expectation, null::double as pct_above_expectation,
            null::double as mean_scale_score, {suppressed} as is_suppressed"""
    )
    con.execute("create table marts.audit_excluded_results as select 'a.csv' as source_file, 1 as source_row")
    con.execute(
        "create table marts.fct_grade12_sample as select 2026 as school_year, 'Fall' as window_name, "
        "'sch1' as school_id, 1 as grade_level, 'math' as subject, 's1' as student_key"
    )
    con.execute(
        "create table marts.agg_grade12_accountability as select 'school' as aggregation_level, 'sch1' as school_id, "
        "2026 as school_year, 'Fall' as window_name, 1 as grade_level, 'math' as subject, 'map_math' as measure_id, "
        "2 as assessed_n, "
        "null::int as n_proficient, null::double as estimate, null::double as ci_lower, true as is_suppressed"
    )
    con.execute("create table marts.fct_school_counts as select 'sch1' as school_id, 2026 as school_year")
    con.execute("create table marts.fct_class_enrollments as select 'cls1' as class_sourced_id, 's1' as student_key")
    con.execute("create table marts.dim_class_teachers as select 'cls1' as class_sourced_id, 't1' as teacher_sourced_id")
    con.execute(
        "create table marts.fct_school_funding as select 'title_i' as method, 2026 as fiscal_year, "
        "'sch1' as school_id, 900.00::decimal(18,2) as allocation"
    )
    con.execute(
        "create table marts.agg_school_funding as select 'title_i' as method, 2026 as fiscal_year, "
        "'sch1' as school_id, 900.00::decimal(18,2) as allocation"
    )
    con.execute(
        "create table marts.agg_funding_lines as select * from (values "
        "('title_i', 2026, 'reservation', 'administration', 100.00::decimal(18,2), 1000.00::decimal(18,2)), "
        "('title_i', 2026, 'schools', 'schools', 900.00::decimal(18,2), 1000.00::decimal(18,2))) "
        "t(method, fiscal_year, line_type, line_name, amount, appropriation)"
    )
    con.close()
    return path


def test_clean_marts_pass_every_check(tmp_path: Path):
    con = duckdb.connect(str(make_build(tmp_path / "build.duckdb")), read_only=True)
    failed = [r.message for r in run_gate_checks(con, minimum_n=10) if not r.passed]
    assert failed == []


def test_small_cell_shown_with_two_students_fails_suppression(tmp_path: Path):
    con = duckdb.connect(str(make_build(tmp_path / "build.duckdb", unsuppressed_small_cell=True)), read_only=True)
    result = schema_conforms(con, "agg_school_proficiency", agg_school_proficiency_schema(10))
    assert not result.passed
    assert {c["check"] for c in result.sample} == {"shown_cells_have_at_least_10_tested"}


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "versions" not in p.parts and not p.name.startswith(".")
    }


def test_publish_writes_restricted_public_and_parquet(tmp_path: Path):
    build = make_build(tmp_path / "build.duckdb")
    published = tmp_path / "published"
    publication = publish(build, published, "run-1")
    assert publication.tables["dim_students"] == 2
    con = duckdb.connect(str(published / "public.duckdb"), read_only=True)
    public_tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert "dim_students" not in public_tables and "fct_assessment_results" not in public_tables
    assert "agg_school_proficiency" in public_tables
    district = duckdb.connect(str(published / "district.duckdb"), read_only=True)
    assert district.execute("select count(*) from fct_assessment_results").fetchone()[0] == 2
    assert duckdb.sql(f"select count(*) from '{published / 'parquet' / 'dim_students.parquet'}'").fetchone()[0] == 2
    assert read_manifest(published)["run_id"] == "run-1"


def test_identifying_column_in_a_public_table_stops_publication(tmp_path: Path):
    build = make_build(tmp_path / "build.duckdb")
    published = tmp_path / "published"
    publish(build, published, "run-1")
    before = digest(published)
    con = duckdb.connect(str(build))
    con.execute("alter table marts.agg_school_proficiency add column student_key varchar")
    con.close()
    with pytest.raises(PublicationError, match="agg_school_proficiency.student_key"):
        publish(build, published, "run-2")
    assert digest(published) == before


def test_previous_publications_are_kept_up_to_the_limit(tmp_path: Path):
    build = make_build(tmp_path / "build.duckdb")
    published = tmp_path / "published"
    for run in ("run-1", "run-2", "run-3", "run-4"):
        publish(build, published, run, keep_last=2)
    assert kept_publications(published) == ["run-3", "run-4"]
    assert (published / "versions" / "run-3" / "district.duckdb").exists()
    assert read_manifest(published)["run_id"] == "run-4"
    assert (published / "district.duckdb").resolve() == (published / "versions" / "run-4" / "district.duckdb").resolve()


def test_rollback_restores_the_previous_publication_and_can_go_forward_again(tmp_path: Path):
    build = make_build(tmp_path / "build.duckdb")
    published = tmp_path / "published"
    publish(build, published, "run-1")
    with duckdb.connect(str(build)) as con:
        con.execute("delete from marts.dim_students where student_key = 's2'")
    publish(build, published, "run-2")

    def students() -> int:
        with duckdb.connect(str(published / "district.duckdb"), read_only=True) as con:
            return con.execute("select count(*) from dim_students").fetchone()[0]

    assert students() == 1
    assert rollback(published) == "run-1"
    assert read_manifest(published)["run_id"] == "run-1" and students() == 2
    assert rollback(published, "run-2") == "run-2" and students() == 1
    with pytest.raises(PublicationError, match="run-9 is not kept"):
        rollback(published, "run-9")


def test_rollback_with_nothing_earlier_says_so(tmp_path: Path):
    published = tmp_path / "published"
    publish(make_build(tmp_path / "build.duckdb"), published, "run-1")
    with pytest.raises(PublicationError, match="no publication before run-1"):
        rollback(published)


def test_a_publication_copied_without_its_links_is_adopted(tmp_path: Path):
    build = make_build(tmp_path / "build.duckdb")
    published = tmp_path / "published"
    publish(build, published, "run-1")
    copy = tmp_path / "copy"
    shutil.copytree(published, copy)  # links resolved into plain files and folders
    assert not (copy / "current").is_symlink()
    publish(build, copy, "run-2")
    assert kept_publications(copy) == ["run-1", "run-2"]
    assert rollback(copy) == "run-1"
    assert read_manifest(copy)["run_id"] == "run-1"


def test_schema_rejects_a_percentage_over_100(tmp_path: Path):
    build = make_build(tmp_path / "build.duckdb")
    con = duckdb.connect(str(build))
    con.execute(
        """insert into marts.agg_school_proficiency values
           ('sch1', 2026, 'Fall', 4, 'math', 'map_math', 'all', 30, 25, 20, 104.0, 0.0, 60.0, 40.0, 201.5, false),
           ('sch1', 2026, 'Fall', 5, 'math', 'map_math', 'all', 30, 25, 20, 80.0, 20.0, 60.0, 20.0, 201.5,
            false)"""
    )
    result = schema_conforms(con, "agg_school_proficiency", agg_school_proficiency_schema(10))
    assert not result.passed
    failing = {(c["column"], c["failure_case"]) for c in result.sample}
    assert ("pct_proficient", 104.0) in failing
    assert ("pct_proficient", 80.0) not in failing
