"""Every SQL query of the Evidence dashboards runs on a public.duckdb and returns the columns its charts use."""

from pathlib import Path

import duckdb
import pytest

from publication.dashboard_queries import (
    QueryFailure,
    check_pages,
    compile_block,
    extract_page_queries,
    query_page_block,
)

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"

# agg_school_proficiency, in the published column order.
AGG_COLUMNS = (
    "school_id varchar, school_year integer, window_name varchar, grade_level integer, subject varchar, "
    "measure_id varchar, student_group varchar, n_students bigint, n_tested bigint, n_proficient bigint, "
    "pct_proficient double, pct_below_expectation double, pct_at_expectation double, "
    "pct_above_expectation double, mean_scale_score double, is_suppressed boolean"
)

# Adams, 2026 Fall reading: grade 3 has 5 of 10 proficient (50 %), grade 4 has 21 of 30
# (70 %), grade 5 is suppressed. Rolled up: 26 of 40 = 65.0 % (the mean of 50 and 70 would be 60).
AGG_ROWS = """
    ('S1', 2026, 'Fall', 3, 'reading', 'map_reading', 'all', 11, 10, 5, 50.0, 50.0, 30.0, 20.0, 201.5, false),
    ('S1', 2026, 'Fall', 4, 'reading', 'map_reading', 'all', 31, 30, 21, 70.0, 30.0, 50.0, 20.0, 209.0, false),
    ('S1', 2026, 'Fall', 5, 'reading', 'map_reading', 'all', null, null, null, null, null, null, null, null, true),
    ('S1', 2026, 'Fall', 3, 'reading', 'map_reading', 'english_learner', null, null, null, null, null, null, null, null, true),
    ('S1', 2026, 'Fall', 3, 'reading', 'dibels8_composite', 'all', 11, 10, 9, 90.0, 10.0, 60.0, 30.0, 420.0, false),
    ('S1', 2026, 'Winter', 3, 'math', 'map_math', 'all', 11, 10, 4, 40.0, 60.0, 30.0, 10.0, 198.0, false),
    ('S2', 2026, 'Fall', 3, 'reading', 'map_reading', 'all', 20, 20, 10, 50.0, 50.0, 40.0, 10.0, 200.0, false),
    ('S1', 2025, 'Fall', 3, 'reading', 'map_reading', 'all', 12, 12, 12, 100.0, 0.0, 50.0, 50.0, 230.0, false)
"""


def make_public_db(path: Path, *, rename: tuple[str, str] | None = None) -> Path:
    """A tiny public.duckdb with the published tables; `rename` renames one column of agg_school_proficiency."""
    con = duckdb.connect(str(path))
    con.execute(f"create table agg_school_proficiency ({AGG_COLUMNS})")
    con.execute(f"insert into agg_school_proficiency values {AGG_ROWS}")
    if rename:
        con.execute(f"alter table agg_school_proficiency rename column {rename[0]} to {rename[1]}")
    con.execute(
        "create table dim_schools as select * from (values ('S1', 'Adams Elementary', 'K-5', 'sch-S1'), "
        "('S2', 'Baker Elementary', 'K-5', 'sch-S2')) t(school_id, school_name, grade_span, school_sourced_id)"
    )
    con.execute(
        "create table dim_measures as select * from (values "
        "('map_reading', 'NWEA', 'MAP Growth Reading', 'reading', 'RIT', 100.0, 350.0, true, 'percentile', 'nwea_achievement_quintile'), "
        "('map_math', 'NWEA', 'MAP Growth Math', 'math', 'RIT', 100.0, 350.0, true, 'percentile', 'nwea_achievement_quintile'), "
        "('dibels8_composite', 'Amplify', 'DIBELS 8th Edition Composite Score', 'reading', 'composite', 0.0, 1000.0, false, "
        "'scale_score', 'dibels8_benchmark')) "
        "t(measure_id, vendor, assessment_name, subject, score_type, scale_min, scale_max, is_primary, level_basis, descriptor_set)"
    )
    con.execute(
        "create table dim_assessment_windows as select * from (values "
        "(2026, 'Fall', 1, date '2025-07-01', date '2025-11-30'), (2026, 'Winter', 2, date '2025-12-01', date '2026-02-28'), "
        "(2026, 'Spring', 3, date '2026-03-01', date '2026-06-30')) t(school_year, window_name, window_order, start_date, end_date)"
    )
    con.execute(
        "create table agg_grade12_accountability as select * from (values "
        "('school', 'S1', 2026, 'Fall', 1, 'reading', 'map_reading', 46, 32, 32, 0, 0, 19, 59.38, 4.87, 50.0, 67.39, "
        "0.95, 'hypergeometric', 163.1, 1.1, false), "
        "('district', null, 2026, 'Fall', 1, 'reading', 'map_reading', 46, 32, 32, 0, 0, 19, 59.38, 4.87, 49.5, 69.3, "
        "0.95, 't_fpc', 163.1, 1.1, false)) t(aggregation_level, school_id, school_year, window_name, grade_level, "
        "subject, measure_id, population_n, sample_n, assessed_n, missing_n, replacements_used, n_proficient, "
        "estimate, standard_error, ci_lower, ci_upper, confidence_level, ci_method, mean_scale_score, "
        "mean_scale_score_se, is_suppressed)"
    )
    con.execute(
        "create table agg_school_funding as select * from (values ('S1', 2026, 'title_i', 82.6, true, 1715000.00::decimal(18,2)), "
        "('S2', 2026, 'title_i', 28.5, false, 0.00::decimal(18,2))) t(school_id, fiscal_year, method, poverty_rate, is_served, allocation)"
    )
    con.execute(
        "create table agg_funding_lines as select * from (values (2026, 'title_i', 'reservation', 'administration', "
        "85000.00::decimal(18,2), 1800000.00::decimal(18,2)), (2026, 'title_i', 'schools', 'schools', "
        "1715000.00::decimal(18,2), 1800000.00::decimal(18,2))) t(fiscal_year, method, line_type, line_name, amount, appropriation)"
    )
    con.close()
    return path


def test_every_page_query_runs_on_the_published_warehouse(published_dir):
    failures = check_pages(DASHBOARDS, published_dir / "public.duckdb")

    assert failures == []
    rows = query_page_block(DASHBOARDS, published_dir / "public.duckdb", "pages/index.md", "proficiency_by_school_window")
    assert rows, "the demo district should have unsuppressed proficiency for its latest school year"


def test_page_queries_run_on_a_hand_made_public_file(tmp_path):
    public_db = make_public_db(tmp_path / "public.duckdb")

    assert check_pages(DASHBOARDS, public_db) == []


def test_a_renamed_column_is_reported_by_page_file_and_block(tmp_path):
    public_db = make_public_db(tmp_path / "public.duckdb", rename=("n_proficient", "n_proficient_students"))

    failures = check_pages(DASHBOARDS, public_db)

    failing = {(failure.page, failure.block) for failure in failures}
    assert ("sources/warehouse/school_proficiency.sql", "school_proficiency") in failing
    assert ("pages/index.md", "proficiency_by_school_window") in failing
    assert ("pages/index.md", "expectation_by_window") in failing
    assert ("sources/warehouse/schools.sql", "schools") not in failing
    source_error = next(f.error for f in failures if f.block == "school_proficiency")
    assert "n_proficient" in source_error


def test_grades_roll_up_weighted_by_tested_students_for_the_latest_year(tmp_path):
    public_db = make_public_db(tmp_path / "public.duckdb")

    rows = query_page_block(DASHBOARDS, public_db, "pages/index.md", "proficiency_by_school_window")

    adams_fall_reading = [r for r in rows if (r["school_id"], r["window_name"], r["subject"]) == ("S1", "Fall", "reading")]
    assert len(adams_fall_reading) == 1  # the 2025 row and the DIBELS (not primary) row are left out
    assert adams_fall_reading[0]["n_tested"] == 40
    assert adams_fall_reading[0]["n_proficient"] == 26
    assert adams_fall_reading[0]["pct_proficient"] == 65.0
    assert adams_fall_reading[0]["school_link"] == "/schools/S1"


def test_expectation_shares_are_weighted_by_tested_students(tmp_path):
    public_db = make_public_db(tmp_path / "public.duckdb")

    rows = query_page_block(DASHBOARDS, public_db, "pages/index.md", "expectation_by_window")

    fall_reading = next(r for r in rows if (r["subject"], r["window_name"]) == ("reading", "Fall"))
    # Adams grade 3 (10 tested: 50/30/20), Adams grade 4 (30: 30/50/20), Baker grade 3 (20: 50/40/10)
    assert fall_reading["n_tested"] == 60
    assert fall_reading["pct_below"] == 40.0  # (500 + 900 + 1000) / 60
    assert fall_reading["pct_at"] == 43.3  # (300 + 1500 + 800) / 60
    assert fall_reading["pct_above"] == 16.7  # (200 + 600 + 200) / 60


def test_a_chart_column_missing_from_its_query_is_reported(tmp_path):
    public_db = make_public_db(tmp_path / "public.duckdb")
    dashboards = tmp_path / "dashboards"
    (dashboards / "sources" / "warehouse").mkdir(parents=True)
    (dashboards / "pages").mkdir()
    (dashboards / "sources" / "warehouse" / "schools.sql").write_text("select school_id, school_name from dim_schools")
    (dashboards / "pages" / "roster.md").write_text(
        "```sql school_list\nselect school_id, school_name as name from warehouse.schools\n```\n\n"
        "<BarChart data={school_list} x=school_name y=school_id />\n"
        "<DataTable data={school_list}>\n    <Column id=name />\n    <Column id=grade_span />\n</DataTable>\n"
    )

    failures = check_pages(dashboards, public_db)

    assert [(f.page, f.block) for f in failures] == [("pages/roster.md", "school_list")] * 2
    assert "'school_name'" in failures[0].error and "<BarChart>" in failures[0].error
    assert "'grade_span'" in failures[1].error and "<Column>" in failures[1].error


def test_block_references_inputs_and_parameters_are_substituted(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "````markdown\n```sql not_a_query\nselect 1\n```\n````\n\n"
        "```sql base\nselect 1 as n -- one\n```\n\n"
        "```sql doubled\nselect n * 2 as n from ${base} where '${inputs.subject.value}' = 'math' "
        "and '${params.school_id}' = ''\n```\n"
    )

    blocks = extract_page_queries(page)
    sql = compile_block("doubled", dict(blocks), {"subject": "math"})

    assert [name for name, _ in blocks] == ["base", "doubled"]
    assert duckdb.sql(sql).fetchall() == [(2,)]
    with pytest.raises(ValueError, match="missing"):
        compile_block("broken", {"broken": "select * from ${missing}"})


def test_the_command_exits_non_zero_when_a_query_fails(tmp_path, capsys):
    from publication.dashboard_queries import main

    good = make_public_db(tmp_path / "good.duckdb")
    bad = make_public_db(tmp_path / "bad.duckdb", rename=("subject", "subject_area"))

    assert main(["--public", str(good)]) == 0
    assert main(["--public", str(bad)]) == 1
    assert "FAIL  pages/index.md [proficiency_by_school_window]" in capsys.readouterr().out


def test_failures_read_as_page_block_and_error():
    assert str(QueryFailure("pages/index.md", "latest_year", "boom")) == "pages/index.md [latest_year]: boom"


def test_accountability_page_charts_the_district_rows(tmp_path):
    public_db = make_public_db(tmp_path / "public.duckdb")

    rows = query_page_block(DASHBOARDS, public_db, "pages/accountability.md", "district_estimates")

    assert [(r["window_name"], r["estimate"], r["ci_method"]) for r in rows] == [("Fall", 59.38, "t_fpc")]


def test_funding_page_lists_the_latest_years_money_lines(tmp_path):
    public_db = make_public_db(tmp_path / "public.duckdb")

    rows = query_page_block(DASHBOARDS, public_db, "pages/funding.md", "money_lines")

    assert sum(r["amount"] for r in rows) == rows[0]["appropriation"] == 1_800_000
