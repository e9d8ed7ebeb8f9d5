"""The marts' Great Expectations suites, on a small hand-made warehouse and on the real pipeline's build."""

from __future__ import annotations

import json

from pathlib import Path

import duckdb
import pytest

from quality.expectations import run_expectations
from publication import contract

MINIMUM_N = 10

MARTS = {
    "dim_schools": """
        select * from (values ('sch1', 'North', 'K-5', 'org1'), ('sch2', 'South', 'K-5', 'org2'))
        t(school_id, school_name, grade_span, school_sourced_id)""",
    "dim_measures": """
        select * from (values ('map_math', 'NWEA', 'MAP Growth Math', 'math', 'RIT', 100.0, 350.0, true,
                               'percentile', 'nwea_achievement_quintile'))
        t(measure_id, vendor, assessment_name, subject, score_type, scale_min, scale_max, is_primary, level_basis,
          descriptor_set)""",
    "dim_assessment_windows": """
        select * from (values (2026, 'Fall', 1, date '2025-08-15', date '2025-10-31'))
        t(school_year, window_name, window_order, start_date, end_date)""",
    "dim_students": """
        select * from (values ('s1', '1001', 'Ada', 'Lovelace', 3, 'sch1'), ('s2', '1002', 'Alan', 'Turing', 1, 'sch2'))
        t(student_key, local_student_id, first_name, last_name, grade_level, school_id)""",
    "fct_assessment_results": """
        select * from (values
            ('s1', 'sch1', 2026, 'Fall', date '2025-09-10', 3, 'math', 'map_math', 201.0, 55.0, true, 'a.csv', 2),
            ('s2', 'sch2', 2026, 'Fall', date '2025-09-11', 1, 'math', 'map_math', 170.0, 40.0, false, 'a.csv', 3))
        t(student_key, school_id, school_year, window_name, assessment_date, enrolled_grade, subject, measure_id,
          scale_score, percentile, is_proficient, source_file, source_row)""",
    "agg_school_proficiency": """
        select school_id, 2026 as school_year, 'Fall' as window_name, 3 as grade_level, 'math' as subject,
               'map_math' as measure_id, student_group, n_students, n_tested, n_proficient,
               pct_proficient::double as pct_proficient, pct_below_expectation::double as pct_below_expectation,
               pct_at_expectation::double as pct_at_expectation, pct_above_expectation::double as pct_above_expectation,
               mean_scale_score::double as mean_scale_score, is_suppressed
        from (values
            ('sch1', 'all', 12, 12, 6, 50.0, 25.0, 25.0, 50.0, 201.5, false),
            ('sch2', 'all', null, null, null, null, null, null, null, null, true))
        t(school_id, student_group, n_students, n_tested, n_proficient, pct_proficient, pct_below_expectation,
          pct_at_expectation, pct_above_expectation, mean_scale_score, is_suppressed)""",
    "audit_excluded_results": """
        select * from (values ('a.csv', 4, 'V9', 'map_math', date '2025-09-10', 'student_not_in_roster'))
        t(source_file, source_row, vendor_student_id, measure_id, assessment_date, reason)""",
    "fct_grade12_sample": """
        select * from (values ('sch2', 2026, 'Fall', 1, 'math', 'map_math', 's2', 1, false, 'all', 1.5,
                               date '2025-09-01'))
        t(school_id, school_year, window_name, grade_level, subject, measure_id, student_key, sample_order,
          is_replacement, stratum, design_weight, draw_date)""",
    "agg_grade12_accountability": """
        select aggregation_level, school_id, 2026 as school_year, 'Fall' as window_name, 1 as grade_level,
               'math' as subject, 'map_math' as measure_id, population_n, sample_n, assessed_n, 0 as missing_n,
               0 as replacements_used, n_proficient, estimate::double as estimate,
               standard_error::double as standard_error, ci_lower::double as ci_lower, ci_upper::double as ci_upper,
               0.95::double as confidence_level, ci_method, mean_scale_score::double as mean_scale_score,
               null::double as mean_scale_score_se,
               is_suppressed
        from (values
            ('school', 'sch1', 40, 12, 12, 6, 50.0, 10.0, 30.0, 70.0, 'hypergeometric', 180.0, false),
            ('school', 'sch2', 20, 4, 4, null, null, null, null, null, null, null, true),
            ('district', null, 60, 16, 16, null, null, null, null, null, null, null, true))
        t(aggregation_level, school_id, population_n, sample_n, assessed_n, n_proficient, estimate, standard_error,
          ci_lower, ci_upper, ci_method, mean_scale_score, is_suppressed)""",
    "fct_school_counts": """
        select * from (values ('sch1', 2026, 400, 120, 80, null, null, 5, 30, 40),
                              ('sch2', 2026, 300, 200, 150, null, null, 2, 20, 35))
        t(school_id, school_year, enrollment, economically_disadvantaged, direct_certification, supplied_enrollment,
          supplied_low_income_public, low_income_private, english_learners, students_with_disabilities)""",
    "fct_school_funding": """
        select school_id, 2026 as fiscal_year, 'title_i' as method, poverty_rate,
               allocation::decimal(18,2) as allocation, allocation::decimal(18,2) as allocation_public,
               0.00::decimal(18,2) as allocation_private, 500.0 as per_child_amount
        from (values ('sch1', 30.0, 600.00), ('sch2', 66.7, 300.00)) t(school_id, poverty_rate, allocation)""",
    "agg_school_funding": """
        select school_id, 2026 as fiscal_year, 'title_i' as method, poverty_rate, true as is_served,
               allocation::decimal(18,2) as allocation
        from (values ('sch1', 30.0, 600.00), ('sch2', 66.7, 300.00)) t(school_id, poverty_rate, allocation)""",
    "agg_funding_lines": """
        select 2026 as fiscal_year, method, line_type, line_name, amount::decimal(18,2) as amount,
               appropriation::decimal(18,2) as appropriation
        from (values ('title_i', 'reservation', 'administration', 100.00, 1000.00),
                     ('title_i', 'schools', 'schools', 900.00, 1000.00),
                     ('title_i', 'unallocated', 'unallocated', 0.00, 1000.00))
        t(method, line_type, line_name, amount, appropriation)""",
    "fct_class_enrollments": """
        select * from (values (2026, 'cls1', 'Math 3', 'sch1', 3, 's1', date '2025-08-20', date '2026-06-10'))
        t(school_year, class_sourced_id, class_title, school_id, grade_level, student_key, begin_date, end_date)""",
    "dim_class_teachers": """
        select * from (values (2026, 'cls1', 'sch1', 't1', 'tteacher'))
        t(school_year, class_sourced_id, school_id, teacher_sourced_id, teacher_username)""",
}


@pytest.fixture
def con():
    """A build database whose marts meet every expectation, with two schools and one measure."""
    con = duckdb.connect()
    con.execute("create schema marts")
    for mart, select in MARTS.items():
        con.execute(f"create table marts.{mart} as {select}")
    con.execute((Path(__file__).resolve().parents[1] / "fixtures" / "empty_support_marts.sql").read_text())
    yield con
    con.close()


def check_of(con, mart: str, published_dir=None, **options):
    (result,) = run_expectations(con, published_dir, MINIMUM_N, marts=[mart], **options)
    assert result.name == f"{mart}_expectations"
    return result


def failures(result) -> dict[str, int]:
    return {f["expectation"]: f["unexpected_count"] for f in result.sample}


def test_a_clean_warehouse_meets_every_suite(con):
    results = run_expectations(con, None, MINIMUM_N)

    assert [r.name for r in results] == [f"{mart}_expectations" for mart in contract.published()]
    assert [r.message for r in results if not r.passed] == []
    assert all(r.blocking for r in results)


def test_a_rule_a_dbt_test_states_is_left_to_dbt(con):
    # the grain and the student reference of fct_assessment_results are dbt tests
    # (tests/models/test_dbt_carries_the_rules.py shows them failing); the suite does not repeat them
    con.execute(
        "insert into marts.fct_assessment_results select * from marts.fct_assessment_results where student_key = 's1'"
    )
    con.execute("update marts.fct_assessment_results set student_key = 's9' where student_key = 's2'")

    assert check_of(con, "fct_assessment_results").passed


def test_an_orphan_school_id_fails_referential_integrity(con):
    con.execute("update marts.agg_school_funding set school_id = 'sch9' where school_id = 'sch2'")

    result = check_of(con, "agg_school_funding")

    assert failures(result) == {"school_id is in dim_schools": 1}
    assert result.sample[0]["examples"] == ["sch9"]


def test_an_orphan_student_no_dbt_test_checks_is_found_by_sql(con):
    # fct_class_enrollments has no dbt relationships test on student_key, so the suite checks it
    con.execute("update marts.fct_class_enrollments set student_key = 's9' where student_key = 's1'")

    result = check_of(con, "fct_class_enrollments")

    assert failures(result) == {"every student_key is in dim_students": 1}
    assert "[student_key values not in dim_students (SQL)]" in result.message


def test_a_percentage_of_101_fails(con):
    con.execute("update marts.agg_school_proficiency set pct_proficient = 101 where school_id = 'sch1'")

    result = check_of(con, "agg_school_proficiency")

    assert failures(result) == {"pct_proficient within 0-100": 1}
    assert result.failing_rows == 1


def test_a_grade12_estimate_above_100_and_a_confidence_level_of_1_fail(con):
    con.execute(
        "update marts.agg_grade12_accountability set estimate = 100.5, ci_upper = 101.0, confidence_level = 1.0 "
        "where school_id = 'sch1'"
    )

    result = check_of(con, "agg_grade12_accountability")

    assert failures(result) == {
        "estimate within 0-100": 1,
        "ci_upper within 0-100": 1,
        "confidence_level within 0-1 (exclusive)": 1,
    }


def test_a_suppressed_cell_showing_counts_fails(con):
    con.execute("update marts.agg_school_proficiency set n_tested = 3, n_students = 3 where is_suppressed")

    result = check_of(con, "agg_school_proficiency")

    assert failures(result) == {
        "n_students is null where is_suppressed == True": 1,
        "n_tested is null where is_suppressed == True": 1,
    }


def test_an_unsuppressed_cell_with_fewer_tested_than_the_minimum_fails(con):
    con.execute("update marts.agg_school_proficiency set n_tested = 8 where not is_suppressed")

    result = check_of(con, "agg_school_proficiency")

    assert failures(result) == {"n_tested at least 10 where is_suppressed == False": 1}


def test_an_unsuppressed_cell_without_a_tested_count_fails(con):
    con.execute("update marts.agg_school_proficiency set n_tested = null where not is_suppressed")

    result = check_of(con, "agg_school_proficiency")

    assert failures(result) == {"n_tested is never null where is_suppressed == False": 1}


def test_a_grade12_school_cell_below_the_minimum_shown_fails(con):
    con.execute(
        "update marts.agg_grade12_accountability set is_suppressed = false, n_proficient = 2, estimate = 50.0 "
        "where school_id = 'sch2'"
    )

    result = check_of(con, "agg_grade12_accountability")

    assert failures(result) == {
        'is_suppressed is true where aggregation_level == "school" and assessed_n < 10': 1
    }


def test_proficient_count_above_tested_count_fails(con):
    con.execute("update marts.agg_school_proficiency set n_proficient = 13 where not is_suppressed")

    result = check_of(con, "agg_school_proficiency")

    assert failures(result) == {"n_tested >= n_proficient": 1}


def test_an_identifying_column_in_a_public_table_fails(con):
    con.execute("alter table marts.agg_school_funding add column student_key varchar")

    result = check_of(con, "agg_school_funding")

    assert failures(result) == {"no identifying column in a public table": 1}
    assert result.sample[0]["examples"] == ["student_key"]


def test_identifying_columns_are_allowed_in_restricted_tables(con):
    assert check_of(con, "dim_students").passed


def test_a_row_count_that_halves_against_the_previous_publication_fails(con, tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"run_id": "r1", "tables": {"agg_school_proficiency": 4}}))

    result = check_of(con, "agg_school_proficiency", tmp_path)

    assert failures(result) == {"row count changes by less than 50% of the previous publication's 4": 1}
    assert result.sample[0]["examples"] == ["2"]


def test_a_row_count_within_the_tolerance_passes_and_the_tolerance_can_be_tightened(con, tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"run_id": "r1", "tables": {"agg_school_proficiency": 3}}))

    assert check_of(con, "agg_school_proficiency", tmp_path).passed
    assert not check_of(con, "agg_school_proficiency", tmp_path, row_count_tolerance=0.2).passed


def test_a_first_publication_has_no_row_count_to_compare_with(con, tmp_path):
    assert check_of(con, "agg_school_proficiency", tmp_path).passed


def test_funding_lines_a_cent_off_the_appropriation_fail(con):
    con.execute("update marts.agg_funding_lines set amount = 100.01 where line_name = 'administration'")

    result = check_of(con, "agg_funding_lines")

    assert failures(result) == {"lines_total_cents = appropriation_cents": 1}
    assert result.sample[0]["examples"] == ["(100001, 100000)"]


def test_a_formula_without_an_appropriation_is_not_summed_against_one(con):
    con.execute(
        "insert into marts.agg_funding_lines values (2026, 'weighted', 'schools', 'schools', 0.00, null), "
        "(2026, 'weighted', 'unallocated', 'unallocated', 0.00, null)"
    )

    assert check_of(con, "agg_funding_lines").passed


def test_a_negative_allocation_fails(con):
    con.execute("update marts.fct_school_funding set allocation = -1.00 where school_id = 'sch2'")

    result = check_of(con, "fct_school_funding")

    assert failures(result) == {"allocation at least 0": 1}


def test_a_mart_missing_from_the_build_fails(con):
    con.execute("drop table marts.dim_class_teachers")

    result = check_of(con, "dim_class_teachers")

    assert not result.passed
    assert result.message == "dim_class_teachers: missing from the build's marts"


def test_a_column_an_expectation_needs_that_is_missing_fails_with_the_reason(con):
    con.execute("alter table marts.agg_school_funding drop column poverty_rate")

    result = check_of(con, "agg_school_funding")

    assert failures(result) == {"poverty_rate within 0-100": 1}
    assert 'The column "poverty_rate" in BatchData does not exist.' in result.sample[0]["examples"][0]


def test_the_real_publication_meets_every_suite(pipeline_run):
    con = duckdb.connect(str(pipeline_run.warehouse_dir / "build.duckdb"), read_only=True)
    try:
        minimum_n = con.execute("select minimum_n from config.district").fetchone()[0]
        results = run_expectations(con, pipeline_run.published_dir, minimum_n)
    finally:
        con.close()

    assert [r.message for r in results if not r.passed] == []
    assert len(results) == len(contract.published())


def test_the_audit_of_set_aside_results_may_grow_with_a_redelivery(con, tmp_path):
    # a re-delivered file sets aside every one of its rows as a duplicate: no row-count limit here
    # (the hand-made audit table has a handful of rows against 1,000 before)
    (tmp_path / "manifest.json").write_text(json.dumps({"run_id": "r1", "tables": {"audit_excluded_results": 1000}}))
    assert check_of(con, "audit_excluded_results", tmp_path).passed
