"""The public file's disclosure rules on small tables whose coded cells can be worked out by hand."""

from __future__ import annotations

import duckdb
import pytest

from publication.disclosure import PUBLIC_RULES, DisclosureError, copy_public_table


def _coded(con, table: str, rows: str, columns: str, minimum_n: int = 10, order: str = "1"):
    con.execute(f"create table src as select * from (values {rows}) t({columns})")
    for name, kind in con.execute("select column_name, data_type from information_schema.columns where table_name = 'src'").fetchall():
        if kind.startswith("DECIMAL"):
            con.execute(f"alter table src alter {name} type double")
    copy_public_table(con, table, "src", "out", minimum_n)
    cursor = con.execute(f"select * from out order by {order}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


PROFICIENCY_COLUMNS = (
    "school_id, school_year, window_name, grade_level, subject, measure_id, student_group, n_students, n_tested, "
    "n_proficient, pct_proficient, pct_below_expectation, pct_at_expectation, pct_above_expectation, "
    "mean_scale_score, is_suppressed"
)


def test_a_share_of_none_or_all_is_coded_with_its_count_and_a_complementary_share():
    con = duckdb.connect()
    rows = _coded(
        con,
        "agg_school_proficiency",
        "('s1', 2026, 'Fall', 3, 'math', 'map_math', 'all', 20, 20, 20, 100.0, 0.0, 30.0, 70.0, 210.5, false),"
        "('s2', 2026, 'Fall', 3, 'math', 'map_math', 'all', 40, 40, 24, 60.0, 10.0, 40.0, 50.0, 205.0, false),"
        "('s3', 2026, 'Fall', 3, 'math', 'map_math', 'all', 4, null, null, null, null, null, null, null, true)",
        PROFICIENCY_COLUMNS,
        order="school_id",
    )
    all_proficient, ordinary, suppressed = rows
    # 100% proficient and 0% below: each member's result would be known
    assert all_proficient["pct_proficient"] is None and all_proficient["n_proficient"] is None
    assert all_proficient["pct_proficient_band"] == ">95%"
    assert all_proficient["pct_below_expectation"] is None
    assert all_proficient["pct_below_expectation_band"] == "<5%"
    # below = 100 - at - above: the smaller of the other two is hidden as well
    assert all_proficient["pct_at_expectation"] is None
    assert all_proficient["pct_at_expectation_band"] == "complementary"
    assert all_proficient["pct_above_expectation"] == 70.0 and all_proficient["pct_above_expectation_band"] is None
    # cell size and mean of a shown cell are published as they are
    assert (all_proficient["n_tested"], all_proficient["mean_scale_score"]) == (20, 210.5)
    # a cell with no extreme share is unchanged
    assert (ordinary["n_proficient"], ordinary["pct_proficient"], ordinary["pct_below_expectation"]) == (24, 60.0, 10.0)
    assert all(ordinary[c] is None for c in ordinary if c.endswith("_band"))
    # a suppressed cell stays suppressed, with no band
    assert suppressed["is_suppressed"] and all(suppressed[c] is None for c in suppressed if c.endswith("_band"))
    # the band follows its column
    names = list(all_proficient)
    assert names.index("pct_proficient_band") == names.index("pct_proficient") + 1


MTSS_COLUMNS = (
    "school_id, school_year, window_name, subject, grade_level, student_group, n_students, n_tier1, n_tier2, "
    "n_tier3, pct_tier1, pct_tier2, pct_tier3, is_suppressed"
)


def test_tier_counts_under_minimum_n_are_coded_and_protected_by_a_second_tier():
    con = duckdb.connect()
    rows = _coded(
        con,
        "agg_mtss_tiers",
        # 25 / 4 / 1 of 30: tier 2 has 4 students, tier 3 is 3.3%; two hidden tiers protect each other
        "('s1', 2026, 'Fall', 'reading', 3, 'all', 30, 25, 4, 1, 83.3, 13.3, 3.3, false),"
        # 50 / 45 / 5 of 100: only tier 3 is small, so the smaller other tier (45) is hidden too
        "('s2', 2026, 'Fall', 'reading', 3, 'all', 100, 50, 45, 5, 50.0, 45.0, 5.0, false)",
        MTSS_COLUMNS,
        order="school_id",
    )
    two_small, one_small = rows
    assert (two_small["n_tier1"], two_small["pct_tier1"]) == (25, 83.3)
    assert (two_small["n_tier2"], two_small["pct_tier2"], two_small["pct_tier2_band"]) == (None, None, "n<10")
    assert (two_small["n_tier3"], two_small["pct_tier3"], two_small["pct_tier3_band"]) == (None, None, "<5%")
    assert (one_small["n_tier1"], one_small["pct_tier1"], one_small["pct_tier1_band"]) == (50, 50.0, None)
    assert (one_small["n_tier2"], one_small["pct_tier2_band"]) == (None, "complementary")
    assert (one_small["n_tier3"], one_small["pct_tier3_band"]) == (None, "n<10")
    assert two_small["n_students"] == 30 and one_small["n_students"] == 100


GROWTH_COLUMNS = (
    "school_id, school_year, subject, measure_id, grade_level, from_window, to_window, baseline, student_group, "
    "n_students, mean_gain, median_growth_percentile, pct_met_typical_growth, pct_met_stretch_growth, is_suppressed"
)


def test_a_share_coded_in_one_group_cannot_be_recovered_from_the_total_and_the_other_groups():
    con = duckdb.connect()
    cell = "'s1', 2026, 'reading', 'map_reading', 3, 'Fall', 'Spring', 'fall'"
    rows = _coded(
        con,
        "agg_school_growth",
        f"({cell}, 'all', 50, 8.0, 50.0, 50.0, 20.0, false),"
        f"({cell}, 'race_ethnicity:asian', 20, 2.0, 30.0, 0.0, 10.0, false),"
        f"({cell}, 'race_ethnicity:white', 30, 12.0, 60.0, 83.3, 26.7, false),"
        f"({cell}, 'gender:F', 25, 7.0, 48.0, 40.0, 16.0, false),"
        f"({cell}, 'gender:M', 25, 9.0, 52.0, 60.0, 24.0, false),"
        f"({cell}, 'economically_disadvantaged', 15, 6.0, 45.0, 20.0, 13.3, false)",
        GROWTH_COLUMNS,
        order="student_group",
    )
    by_group = {r["student_group"]: r for r in rows}
    typical = {g: (r["pct_met_typical_growth"], r["pct_met_typical_growth_band"]) for g, r in by_group.items()}
    assert typical == {
        "race_ethnicity:asian": (None, "<5%"),  # no Asian student met typical growth
        "all": (None, "complementary"),  # else asian = all - white
        "race_ethnicity:white": (83.3, None),  # the race partition already hides a member
        "gender:F": (None, "complementary"),  # else all = F + M, and asian = (F + M) - white
        "gender:M": (60.0, None),
        "economically_disadvantaged": (20.0, None),  # not part of a partition of 'all'
    }
    # stretch growth has no extreme share: untouched everywhere
    assert {g: r["pct_met_stretch_growth_band"] for g, r in by_group.items()} == dict.fromkeys(by_group)
    assert by_group["all"]["median_growth_percentile"] == 50.0


def test_a_school_estimate_of_none_hides_its_interval_and_the_district_roll_up():
    con = duckdb.connect()
    columns = (
        "aggregation_level, school_id, school_year, window_name, grade_level, subject, measure_id, population_n, "
        "sample_n, assessed_n, missing_n, replacements_used, n_proficient, estimate, standard_error, ci_lower, "
        "ci_upper, confidence_level, ci_method, mean_scale_score, mean_scale_score_se, is_suppressed"
    )
    cell = "2026, 'Spring', 1, 'reading', 'dibels_composite'"
    rows = _coded(
        con,
        "agg_grade12_accountability",
        f"('school', 'a', {cell}, 40, 12, 12, 0, 0, 0, 0.0, 0.0, 0.0, 22.0, 0.95, 'hypergeometric', 300.0, 4.0, false),"
        f"('school', 'b', {cell}, 60, 15, 15, 0, 0, 9, 60.0, 11.0, 35.0, 80.0, 0.95, 'hypergeometric', 320.0, 5.0, false),"
        f"('district', null, {cell}, 100, 27, 27, 0, 0, 9, 36.0, 7.0, 22.0, 50.0, 0.95, 't_fpc', 312.0, 3.0, false)",
        columns,
        order="aggregation_level, school_id",
    )
    district, school_a, school_b = rows
    assert school_a["estimate_band"] == "<5%"
    assert [school_a[c] for c in ("estimate", "n_proficient", "standard_error", "ci_lower", "ci_upper")] == [None] * 5
    assert (school_a["assessed_n"], school_a["mean_scale_score"]) == (12, 300.0)
    assert district["estimate_band"] == "complementary" and district["n_proficient"] is None
    assert (school_b["estimate"], school_b["ci_lower"], school_b["estimate_band"]) == (60.0, 35.0, None)


def test_a_column_without_a_rule_stops_the_copy():
    con = duckdb.connect()
    con.execute("create table src as select 'x' as school_id, 'y' as school_name, 'z' as principal_email")
    with pytest.raises(DisclosureError, match="principal_email"):
        copy_public_table(con, "dim_schools", "src", "out", 10)
    with pytest.raises(DisclosureError, match="no public disclosure rule"):
        copy_public_table(con, "agg_new_mart", "src", "out", 10)


def test_every_share_column_of_the_rules_is_a_percentage_name():
    # shares are percentages of a cell's students; a band sits beside each one
    for table, rules in PUBLIC_RULES.items():
        assert not set(rules.passed) & {c for s in rules.shares for c in s.hidden}, table
        for s in rules.shares:
            assert s.pct.startswith("pct_") or s.pct == "estimate", (table, s.pct)
