"""The raw tables' schemas, on small hand-made raw schemas and on the real pipeline's build."""

from __future__ import annotations

import duckdb
import pytest

from ingestion.formats import RESULT_TABLES, ROSTER_TABLES
from ingestion.load import ensure_raw_schema
from quality.raw_checks import raw_schema_checks, validate_raw_table
from quality.schemas import raw_results_schema

SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_C = "c" * 64
LOADED_AT = "timestamp '2026-01-15 08:00:00'"
# the columns the hand-made rows give; the other canonical columns stay NULL
RESULT_FIELDS = (
    "(source_format, vendor_student_id, state_student_id, school_ref, school_name, measure_id, assessment_date, "
    "assessment_time, reported_period, enrolled_grade, assessed_grade, scale_score, standard_error, percentile, "
    "vendor_level, source_file, source_row, file_sha256, ingested_at)"
)


def result_row(source_row: int = 2, sha: str = SHA_A, score: float = 201.0, measure: str = "map_math") -> str:
    return (
        f"('nwea_map_combined', 'V1', 'S1', 'sch1', 'North', '{measure}', date '2025-09-10', time '09:30:00', "
        f"'Fall 2025-2026', 3, 3, {score}, 3.1, 55.0, 'Average', 'nwea/combo.csv', {source_row}, '{sha}', {LOADED_AT})"
    )


@pytest.fixture
def con():
    """A raw schema as ingestion leaves it after loading three clean files, and its measure scales."""
    con = duckdb.connect()
    ensure_raw_schema(con)
    con.execute(f"insert into raw.nwea_map_results {RESULT_FIELDS} values {result_row(2)}, {result_row(3)}")
    con.execute(
        f"insert into raw.mclass_dibels8_results {RESULT_FIELDS} values ('mclass_dibels8_benchmark', 'V2', null, 'sch1', 'North', "
        "'dibels8_composite', date '2025-09-12', null, 'BOY', 1, 1, 410.0, null, 60.0, 'At Benchmark', "
        f"'mclass/bm.csv', 2, '{SHA_B}', {LOADED_AT})"
    )
    con.execute(
        "create table raw.oneroster_users (sourcedId varchar, givenName varchar, familyName varchar, "
        "identifier varchar, role varchar, email varchar, source_file varchar, source_row bigint, "
        "file_sha256 varchar, ingested_at timestamp)"
    )
    con.execute(
        "insert into raw.oneroster_users values ('u1', 'Ada', 'Lovelace', '1001', 'student', null, "
        f"'oneroster/users.csv', 2, '{SHA_C}', {LOADED_AT})"
    )
    con.execute(
        "insert into raw.file_manifest values "
        f"('{SHA_A}', 'nwea/combo.csv', 'nwea_map_combined', 900, 3, 2, 1, 'loaded', '1 row(s) rejected', "
        f"{LOADED_AT}), "
        f"('{SHA_B}', 'mclass/bm.csv', 'mclass_dibels8_benchmark', 500, 1, 1, 0, 'loaded', null, {LOADED_AT}), "
        f"('{SHA_C}', 'oneroster/users.csv', 'oneroster_users', 100, 1, 1, 0, 'loaded', null, {LOADED_AT})"
    )
    con.execute(
        f"insert into raw.rejected_rows values ('nwea/combo.csv', 4, '{SHA_A}', 'TestRITScore', 'missing_value', "
        f"'nwea/combo.csv row 4 column ''TestRITScore'': a value is required', '{{}}', {LOADED_AT})"
    )
    con.execute("create schema config")
    con.execute(
        "create table config.measures as select * from (values ('map_math', 100.0, 350.0), "
        "('dibels8_composite', 0.0, 1000.0)) t(measure_id, scale_min, scale_max)"
    )
    yield con
    con.close()


def by_name(con) -> dict:
    return {check.name: check for check in raw_schema_checks(con)}


def test_a_clean_raw_schema_passes_every_table_check(con):
    checks = by_name(con)

    # every result table ingestion creates is checked, empty or not
    assert set(checks) == {f"raw_{t}_schema" for t in RESULT_TABLES} | {f"raw_{t}_schema" for t in ROSTER_TABLES} | {
        "raw_file_manifest_schema",
        "raw_rejected_rows_schema",
    }
    # a roster table no file has brought passes, saying so
    assert checks["raw_oneroster_roles_schema"].message == "raw.oneroster_roles: no file of this table delivered yet"
    assert [c.message for c in checks.values() if not c.passed] == []
    assert all(c.blocking for c in checks.values())
    assert checks["raw_nwea_map_results_schema"].message == "raw.nwea_map_results: 2 rows conform to its schema"


def test_a_result_row_numbered_as_the_header_row_fails_its_table(con):
    con.execute(f"insert into raw.nwea_map_results {RESULT_FIELDS} values {result_row(1)}")

    check = by_name(con)["raw_nwea_map_results_schema"]

    assert not check.passed
    assert check.failing_rows == 1
    assert "source_row: greater_than_or_equal_to(2) (1 rows)" in check.message
    assert check.sample == [
        {
            "rule": "source_row: greater_than_or_equal_to(2)",
            "rowid": 2,
            "source_file": "nwea/combo.csv",
            "source_row": 1,
            "value": "1",
        }
    ]


def test_a_file_hash_that_is_not_64_hex_characters_fails(con):
    con.execute(
        f"insert into raw.nwea_map_results {RESULT_FIELDS} values {result_row(4, sha='ABC123')}, {result_row(5, sha=SHA_A[:-1])}"
    )

    check = by_name(con)["raw_nwea_map_results_schema"]

    assert not check.passed
    assert check.failing_rows == 2
    assert "file_sha256: str_matches('^[0-9a-f]{64}$') (2 rows)" in check.message


def test_a_manifest_line_whose_rows_read_are_not_loaded_plus_rejected_fails(con):
    con.execute("update raw.file_manifest set rows_read = 4 where source_file = 'nwea/combo.csv'")

    check = by_name(con)["raw_file_manifest_schema"]

    assert not check.passed
    assert check.failing_rows == 1
    assert "table: rows_read_equals_loaded_plus_rejected (1 rows)" in check.message


def test_a_manifest_line_with_rejections_but_no_reason_fails(con):
    con.execute("update raw.file_manifest set reason = null where source_file = 'nwea/combo.csv'")

    check = by_name(con)["raw_file_manifest_schema"]

    assert check.failing_rows == 1
    assert "rejections_have_a_reason (1 rows)" in check.message


def test_a_rejected_row_without_reason_code_or_message_fails(con):
    con.execute(
        f"insert into raw.rejected_rows values ('nwea/combo.csv', 5, '{SHA_A}', 'TestRITScore', null, null, null, "
        f"{LOADED_AT}), ('nwea/combo.csv', 6, '{SHA_A}', 'TestRITScore', 'missing_value', '', null, {LOADED_AT})"
    )

    check = by_name(con)["raw_rejected_rows_schema"]

    assert not check.passed
    assert check.failing_rows == 2
    assert "reason_code: not_nullable (1 rows)" in check.message
    assert "message: str_length(1, None) (1 rows)" in check.message


def test_a_file_rejected_whole_may_have_no_row_number_but_a_row_rejection_names_its_column(con):
    con.execute(
        f"insert into raw.rejected_rows values ('bad.csv', null, '{SHA_B}', null, 'unknown_layout', "
        f"'bad.csv: no known export layout', null, {LOADED_AT}), "
        f"('nwea/combo.csv', 7, '{SHA_A}', null, 'missing_value', 'a value is required', null, {LOADED_AT})"
    )

    check = by_name(con)["raw_rejected_rows_schema"]

    assert check.failing_rows == 1
    assert check.message.endswith("table: row_rejection_names_its_column (1 rows)")


def test_a_score_outside_its_measure_scale_fails_and_an_unconfigured_measure_is_not_bounded(con):
    con.execute(
        f"insert into raw.nwea_map_results {RESULT_FIELDS} values {result_row(4, score=351.0)}, {result_row(5, score=99.0)}, "
        f"{result_row(6, score=9999.0, measure='map_science')}"
    )

    check = by_name(con)["raw_nwea_map_results_schema"]

    assert check.failing_rows == 2
    assert "table: scale_score_within_the_measure_scale (2 rows)" in check.message


def test_percentiles_grades_and_standard_errors_have_plausible_bounds(con):
    con.execute(
        f"insert into raw.mclass_dibels8_results {RESULT_FIELDS} values ('mclass_dibels8_benchmark', 'V3', null, 'sch1', 'North', "
        "'dibels8_composite', date '2025-09-12', null, 'BOY', 13, 1, 410.0, -1.0, 101.0, 'At Benchmark', "
        f"'mclass/bm.csv', 3, '{SHA_B}', {LOADED_AT})"
    )

    check = by_name(con)["raw_mclass_dibels8_results_schema"]

    assert check.failing_rows == 1
    for rule in ("enrolled_grade: in_range(-1, 12)", "percentile: in_range(0, 100)",
                 "standard_error: greater_than_or_equal_to(0)"):
        assert f"{rule} (1 rows)" in check.message


def test_a_result_from_a_format_that_loads_elsewhere_fails(con):
    con.execute(f"insert into raw.nwea_map_results {RESULT_FIELDS} values {result_row(4)}")
    con.execute("update raw.nwea_map_results set source_format = 'mclass_dibels8_benchmark' where source_row = 4")

    check = by_name(con)["raw_nwea_map_results_schema"]

    assert check.failing_rows == 1
    assert "source_format: isin(['nwea_map_2013_assessment_results', 'nwea_map_assessment_results', 'nwea_map_combined']) (1 rows)" in check.message


def test_a_column_stored_with_another_type_fails_the_whole_table(con):
    con.execute("alter table raw.file_manifest alter rows_read type varchar")

    check = by_name(con)["raw_file_manifest_schema"]

    assert not check.passed
    assert check.failing_rows == 3
    assert "rows_read: dtype('int64[pyarrow]') (3 rows)" in check.message


def test_a_missing_lineage_column_fails_every_row_of_the_table(con):
    con.execute("alter table raw.nwea_map_results drop column file_sha256")

    check = by_name(con)["raw_nwea_map_results_schema"]

    assert not check.passed
    assert check.failing_rows == 2
    assert "table: column_in_dataframe file_sha256 (whole table)" in check.message


def test_a_missing_result_table_fails(con):
    con.execute("drop table raw.mclass_dibels8_results")

    check = by_name(con)["raw_mclass_dibels8_results_schema"]

    assert not check.passed
    assert check.message == "raw.mclass_dibels8_results: the table is missing from the build"


def test_a_roster_row_missing_a_required_value_is_reported_by_file_and_row_without_its_values(con):
    con.execute(
        "insert into raw.oneroster_users values ('u2', null, 'Hopper', '1002', 'student', 'g@example.org', "
        f"'oneroster/users.csv', 3, '{SHA_C}', {LOADED_AT})"
    )

    check = by_name(con)["raw_oneroster_users_schema"]

    assert check.failing_rows == 1
    assert "givenName: not_nullable (1 rows)" in check.message
    assert check.sample == [
        {"rule": "givenName: not_nullable", "rowid": 1, "source_file": "oneroster/users.csv", "source_row": 3}
    ]
    assert "Hopper" not in check.message


def test_failures_are_counted_across_chunks(con):
    con.execute(
        f"insert into raw.nwea_map_results {RESULT_FIELDS} values {result_row(1)}, {result_row(4)}, {result_row(1)}, "
        f"{result_row(5)}, {result_row(1)}"
    )
    schema = raw_results_schema("nwea_map_results", {"map_math": (100.0, 350.0)})

    check = validate_raw_table(con, "nwea_map_results", schema, chunk_rows=2)

    assert check.failing_rows == 3
    assert check.message.startswith("raw.nwea_map_results: 3 of 7 rows fail its schema")
    assert [s["rowid"] for s in check.sample] == [2, 4, 6]


def test_the_real_pipeline_build_passes_every_raw_schema(pipeline_run):
    con = duckdb.connect(str(pipeline_run.warehouse_dir / "build.duckdb"), read_only=True)
    try:
        checks = raw_schema_checks(con)
    finally:
        con.close()

    assert [c.message for c in checks if not c.passed] == []
    assert {"raw_nwea_map_results_schema", "raw_mclass_dibels8_results_schema", "raw_file_manifest_schema",
            "raw_rejected_rows_schema", "raw_oneroster_users_schema"} <= {c.name for c in checks}
