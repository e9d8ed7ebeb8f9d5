"""Great Expectations suites on every mart that is published, gating publication (the raw
tables' pandera schemas are quality.raw_checks).

`run_expectations(con, published_dir, minimum_n)` runs one Great Expectations suite per mart of
the published marts (publication.contract), on pandas frames pulled from the build database's `marts`
schema, and returns one CheckResult per mart named `<mart>_expectations`. Every expectation
protects published numbers, so every result is blocking. What each suite sees:

- every mart: its row count (a one-row frame) against the count in the previous publication's
  manifest;
- a public mart: its column names in the build, none of them identifying;
- the aggregates and dimensions (small: one row per school, measure, cell or funding line) are
  pulled whole and validated value by value;
- the student-level marts (STUDENT_LEVEL_MARTS) are never pulled whole: a reference to a
  dimension that no dbt test checks is checked by SQL (a frame of the keys missing from the
  dimension, one row per key with its row count, expected empty; at most PROBLEM_ROWS_LIMIT rows
  pulled), and their column values on a repeatable reservoir sample of at most SAMPLE_ROWS rows.

No suite repeats a dbt test: grains (the contract requires a uniqueness test on each), not-null
columns and references that the mart's YAML tests are dbt's, which checks every row and blocks the
build before the suites run (publication.contract.dbt_tests lists them; each Expect names the dbt
test that would carry it). The suites keep what dbt does not state: suppression, shares and
their bands, ranges across columns, row counts against the last publication, identifying columns
and funding to the cent.

Great Expectations is imported inside run_expectations (its import takes several seconds), with
an ephemeral context and anonymous usage statistics switched off."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from publication import contract
from publication.publish import IDENTIFYING_COLUMNS, read_manifest

from . import schemas
from .checks import CheckResult
from .raw_checks import SAMPLE_SIZE


SAMPLE_ROWS = 100_000


ROW_COUNT_EXEMPT = frozenset({"audit_excluded_results"})


SAMPLE_SEED = 20_240_901


PROBLEM_ROWS_LIMIT = 10_000


STUDENT_LEVEL_MARTS = (
    "dim_students",
    "fct_assessment_results",
    "audit_excluded_results",
    "fct_grade12_sample",
    "fct_class_enrollments",
    "fct_student_growth",
    "fct_progress_monitoring",
    "fct_mtss_tiers",
    "fct_seb_screenings",
    "fct_objective_assessments",
)


@dataclass(frozen=True)
class Expect:
    """One expectation in words (`description`) and in Great Expectations' terms: `kind` names a
    class of great_expectations.expectations, `kwargs` its arguments."""

    description: str
    kind: str
    kwargs: dict = field(default_factory=dict)
    # the dbt test that states the same rule (publication.contract.dbt_tests); when the mart's
    # YAML has it, dbt checks it and the suite leaves it out
    dbt_test: tuple[str, ...] | None = None


@dataclass
class Batch:
    """A frame and the expectations it must meet; `name` says what the frame is."""

    name: str
    frame: pd.DataFrame
    expectations: list[Expect]


def not_null(column: str) -> Expect:
    return Expect(
        f"{column} is never null", "ExpectColumnValuesToNotBeNull", {"column": column}, ("not_null", column)
    )


def between(column: str, low=None, high=None, when: str | None = None, strict: bool = False) -> Expect:
    """Values of `column` from `low` to `high` (either may be open); nulls are not counted."""
    exclusive = " (exclusive)" if strict else ""
    words = (
        f"within {low}-{high}{exclusive}" if low is not None and high is not None
        else f"at least {low}" if low is not None else f"at most {high}"
    )
    kwargs = {"column": column, "min_value": low, "max_value": high, "strict_min": strict, "strict_max": strict}
    return _conditional(Expect(f"{column} {words}", "ExpectColumnValuesToBeBetween", kwargs), when)


def in_set(column: str, values, what: str, when: str | None = None) -> Expect:
    kwargs = {"column": column, "value_set": sorted(values)}
    return _conditional(Expect(f"{column} {what}", "ExpectColumnValuesToBeInSet", kwargs), when)


def null_when(column: str, when: str) -> Expect:
    return _conditional(Expect(f"{column} is null", "ExpectColumnValuesToBeNull", {"column": column}), when)


def at_least(larger: str, smaller: str) -> Expect:
    """`larger` >= `smaller` on every row where both are present."""
    return Expect(
        f"{larger} >= {smaller}",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": larger, "column_B": smaller, "or_equal": True, "ignore_row_if": "either_value_is_missing"},
    )


def equal(column_a: str, column_b: str) -> Expect:
    return Expect(
        f"{column_a} = {column_b}",
        "ExpectColumnPairValuesToBeEqual",
        {"column_A": column_a, "column_B": column_b, "ignore_row_if": "either_value_is_missing"},
    )


def no_rows(what: str) -> Expect:
    return Expect(what, "ExpectTableRowCountToEqual", {"value": 0})


def _conditional(expect: Expect, when: str | None) -> Expect:
    if when is None:
        return expect
    return Expect(
        f"{expect.description} where {when}", expect.kind,
        {**expect.kwargs, "row_condition": when, "condition_parser": "pandas"},
    )


@dataclass(frozen=True)
class Build:
    """What the suites read: the build connection, its dimensions' keys and the gate's settings."""

    con: duckdb.DuckDBPyConnection
    minimum_n: int
    school_ids: frozenset
    measure_ids: frozenset
    previous_counts: dict
    row_count_tolerance: float

    def frame(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def problems(self, sql: str) -> pd.DataFrame:
        """The rows of `sql` (each one a problem), at most PROBLEM_ROWS_LIMIT of them."""
        return self.frame(f"select * from ({sql}) limit {PROBLEM_ROWS_LIMIT}")

    def sample(self, mart: str) -> pd.DataFrame:
        return self.frame(
            f"select * from marts.{mart} using sample reservoir({SAMPLE_ROWS} rows) repeatable ({SAMPLE_SEED})"
        )


def _values_batch(build: Build, mart: str, expectations: list[Expect]) -> Batch:
    carried = contract.dbt_tests(mart)
    expectations = [e for e in expectations if e.dbt_test is None or e.dbt_test not in carried]
    if mart in STUDENT_LEVEL_MARTS:
        return Batch(f"a sample of at most {SAMPLE_ROWS:,} rows", build.sample(mart), expectations)
    return Batch("all rows", build.frame(f"select * from marts.{mart}"), expectations)


def _orphans(build: Build, mart: str, column: str, dimension: str, key: str) -> Batch | None:
    """Values of `column` not in `dimension`; None when the mart's dbt relationships test checks it."""
    if ("relationships", column, dimension, key) in contract.dbt_tests(mart):
        return None
    sql = (
        f"select f.{column}, count(*) as rows from marts.{mart} f "
        f"where f.{column} is not null and not exists "
        f"(select 1 from marts.{dimension} d where d.{key} = f.{column}) group by f.{column}"
    )
    return Batch(
        f"{column} values not in {dimension} (SQL)",
        build.problems(sql),
        [no_rows(f"every {column} is in {dimension}")],
    )


def _in_dimensions(build: Build, school: bool = True, measure: bool = False) -> list[Expect]:
    checks = []
    if school:
        check = in_set("school_id", build.school_ids, "is in dim_schools")
        checks.append(replace(check, dbt_test=("relationships", "school_id", "dim_schools", "school_id")))
    if measure:
        check = in_set("measure_id", build.measure_ids, "is in dim_measures")
        checks.append(replace(check, dbt_test=("relationships", "measure_id", "dim_measures", "measure_id")))
    return checks


def _percent(*columns: str) -> list[Expect]:
    return [between(c, 0, 100) for c in columns]


def _not_negative(*columns: str) -> list[Expect]:
    return [between(c, 0) for c in columns]


def _grade(column: str) -> Expect:
    return between(column, *schemas.GRADE_RANGE)


def _dim_schools(build: Build) -> list[Batch]:
    return [_values_batch(build, "dim_schools", [not_null("school_id"), not_null("school_name")])]


def _dim_measures(build: Build) -> list[Batch]:
    return [
        _values_batch(
            build, "dim_measures",
            [
                not_null("measure_id"),
                at_least("scale_max", "scale_min"),
                in_set("level_basis", {"scale_score", "percentile", "vendor_level"}, "is scale_score, percentile or vendor_level"),
            ],
        )
    ]


def _dim_assessment_windows(build: Build) -> list[Batch]:
    return [
        _values_batch(
            build, "dim_assessment_windows",
            [not_null("window_name"), between("school_year", 1990, 2100), at_least("end_date", "start_date")],
        )
    ]


def _dim_students(build: Build) -> list[Batch]:
    return [
        _values_batch(build, "dim_students", [not_null("student_key"), _grade("grade_level")]),
        _orphans(build, "dim_students", "school_id", "dim_schools", "school_id"),
    ]


def _fct_assessment_results(build: Build) -> list[Batch]:
    mart = "fct_assessment_results"
    values = [not_null(c) for c in ("student_key", "school_id", "measure_id", "assessment_date")]
    values += [_grade("enrolled_grade"), *_percent("percentile")]
    return [
        _values_batch(build, mart, values),
        _orphans(build, mart, "student_key", "dim_students", "student_key"),
        _orphans(build, mart, "school_id", "dim_schools", "school_id"),
        _orphans(build, mart, "measure_id", "dim_measures", "measure_id"),
    ]


def _audit_excluded_results(build: Build) -> list[Batch]:
    return [
        _values_batch(
            build, "audit_excluded_results",
            [not_null("reason"), not_null("source_file"), between("source_row", 2)],
        )
    ]


def _agg_school_proficiency(build: Build) -> list[Batch]:
    figures = schemas.COUNTS + schemas.SHARES + ("mean_scale_score",)
    expectations = [
        *_in_dimensions(build, measure=True),
        *_not_negative(*schemas.COUNTS),
        *_percent(*schemas.SHARES),
        at_least("n_tested", "n_proficient"),
        *[null_when(c, "is_suppressed == True") for c in figures],
        _conditional(not_null("n_tested"), "is_suppressed == False"),
        between("n_tested", build.minimum_n, when="is_suppressed == False"),
    ]
    return [_values_batch(build, "agg_school_proficiency", expectations)]


def _fct_grade12_sample(build: Build) -> list[Batch]:
    mart = "fct_grade12_sample"
    return [
        _values_batch(
            build, mart, [not_null("student_key"), between("sample_order", 1), between("design_weight", 1)]
        ),
        _orphans(build, mart, "student_key", "dim_students", "student_key"),
        _orphans(build, mart, "school_id", "dim_schools", "school_id"),
        _orphans(build, mart, "measure_id", "dim_measures", "measure_id"),
    ]


def _agg_grade12_accountability(build: Build) -> list[Batch]:
    shown_only = ("n_proficient", "estimate", "standard_error", "ci_lower", "ci_upper", "mean_scale_score")
    expectations = [
        *_in_dimensions(build, measure=True),
        in_set("aggregation_level", {"school", "district"}, "is school or district"),
        *_percent("estimate", "ci_lower", "ci_upper"),
        *_not_negative("standard_error", "population_n", "sample_n", "assessed_n"),
        between("confidence_level", 0, 1, strict=True),
        at_least("population_n", "sample_n"),
        at_least("sample_n", "assessed_n"),
        at_least("assessed_n", "n_proficient"),
        at_least("estimate", "ci_lower"),
        at_least("ci_upper", "estimate"),
        *[null_when(c, "is_suppressed == True") for c in shown_only],
        in_set(
            "is_suppressed", {True}, "is true",
            when=f'aggregation_level == "school" and assessed_n < {int(build.minimum_n)}',
        ),
    ]
    return [_values_batch(build, "agg_grade12_accountability", expectations)]


def _fct_school_counts(build: Build) -> list[Batch]:
    counts = (
        "enrollment", "economically_disadvantaged", "direct_certification", "supplied_enrollment",
        "supplied_low_income_public", "low_income_private", "english_learners", "students_with_disabilities",
    )
    return [_values_batch(build, "fct_school_counts", [*_in_dimensions(build), *_not_negative(*counts)])]


def _fct_school_funding(build: Build) -> list[Batch]:
    expectations = [
        *_in_dimensions(build),
        *_percent("poverty_rate"),
        *_not_negative("allocation", "allocation_public", "allocation_private", "per_child_amount"),
    ]
    return [_values_batch(build, "fct_school_funding", expectations)]


def _agg_school_funding(build: Build) -> list[Batch]:
    expectations = [*_in_dimensions(build), *_percent("poverty_rate"), *_not_negative("allocation")]
    return [_values_batch(build, "agg_school_funding", expectations)]


def _agg_funding_lines(build: Build) -> list[Batch]:
    # DuckDB sums the DECIMAL(18,2) amounts exactly; compared as whole cents, equal means to the cent.
    totals = build.frame(
        """
        with lines as (
            select method, fiscal_year,
                   cast(sum(amount) * 100 as bigint) as lines_total_cents,
                   cast(max(appropriation) * 100 as bigint) as appropriation_cents,
                   cast(sum(case when line_type = 'schools' then amount end) * 100 as bigint) as schools_line_cents
            from marts.agg_funding_lines group by method, fiscal_year),
        schools as (
            select method, fiscal_year, cast(sum(allocation) * 100 as bigint) as schools_allocated_cents
            from marts.agg_school_funding group by method, fiscal_year)
        select lines.*, schools.schools_allocated_cents
        from lines left join schools using (method, fiscal_year)
        """
    )
    return [
        _values_batch(
            build, "agg_funding_lines",
            [
                in_set(
                    "line_type", {"reservation", "schools", "unallocated"}, "is reservation, schools or unallocated"
                ),
                *_not_negative("amount", "appropriation"),
            ],
        ),
        Batch(
            "lines summed per method and fiscal year (SQL)",
            totals,
            [
                equal("lines_total_cents", "appropriation_cents"),
                equal("schools_line_cents", "schools_allocated_cents"),
            ],
        ),
    ]


def _fct_class_enrollments(build: Build) -> list[Batch]:
    mart = "fct_class_enrollments"
    return [
        _values_batch(
            build, mart, [not_null("class_sourced_id"), not_null("student_key"), _grade("grade_level"),
                          at_least("end_date", "begin_date")],
        ),
        _orphans(build, mart, "student_key", "dim_students", "student_key"),
        _orphans(build, mart, "school_id", "dim_schools", "school_id"),
    ]


def _dim_class_teachers(build: Build) -> list[Batch]:
    return [
        _values_batch(
            build, "dim_class_teachers", [*_in_dimensions(build), not_null("class_sourced_id"),
                                          not_null("teacher_sourced_id")],
        )
    ]


def _suppressed(build: Build, figures: tuple[str, ...], count: str) -> list[Expect]:
    """A suppressed row shows no figure; a shown row has at least the minimum n in `count`."""
    return [
        *[null_when(c, "is_suppressed == True") for c in figures],
        _conditional(not_null(count), "is_suppressed == False"),
        between(count, build.minimum_n, when="is_suppressed == False"),
    ]


def _fct_student_growth(build: Build) -> list[Batch]:
    mart = "fct_student_growth"
    values = [
        not_null("student_key"), not_null("measure_id"), between("growth_percentile", 1, 99),
        between("growth_percentile_order1", 1, 99), in_set("n_priors", {1, 2}, "is 1 or 2"),
    ]
    wrong_gain = build.problems(
        f"select student_key, measure_id, school_year, from_window, to_window from marts.{mart} "
        "where abs(gain - (end_score - start_score)) > 1e-9"
    )
    return [
        _values_batch(build, mart, values),
        Batch("gains that are not the end score less the start score (SQL)", wrong_gain,
              [no_rows("gain = end_score - start_score")]),
        _orphans(build, mart, "student_key", "dim_students", "student_key"),
    ]


def _agg_school_growth(build: Build) -> list[Batch]:
    figures = ("mean_gain", "median_growth_percentile", "pct_met_typical_growth", "pct_met_stretch_growth")
    values = [
        *_in_dimensions(build, measure=True), between("median_growth_percentile", 1, 99),
        *_percent("pct_met_typical_growth", "pct_met_stretch_growth"),
        *_suppressed(build, figures, "n_students"),
    ]
    return [_values_batch(build, "agg_school_growth", values)]


def _agg_progress_matrix(build: Build) -> list[Batch]:
    values = [*_in_dimensions(build), *_suppressed(build, (), "n_students"),
              null_when("n_students", "is_suppressed == True")]
    # within one matrix row (or column), a single hidden cell could be recovered from the total
    lone = build.problems(
        """
        select school_id, school_year, subject, grade_level, student_group, from_window, to_window, line, level
        from (
            select *, 'from' as line, from_level as level from marts.agg_progress_matrix
            union all
            select *, 'to' as line, to_level as level from marts.agg_progress_matrix
        )
        group by all
        having count(*) filter (where is_suppressed) = 1 and count(*) > 1
        """
    )
    return [
        _values_batch(build, "agg_progress_matrix", values),
        Batch("matrix rows or columns with one hidden cell (SQL)", lone,
              [no_rows("no matrix row or column hides exactly one cell")]),
    ]


def _fct_progress_monitoring(build: Build) -> list[Batch]:
    mart = "fct_progress_monitoring"
    values = [
        not_null("student_key"), not_null("measure_id"), between("n_points", 1),
        in_set("decision", {"change_intervention", "raise_goal", "continue", "insufficient_data"}, "is a decision"),
        in_set("goal_status", {"met", "on_track", "off_track"}, "is a goal status"),
        in_set("rate_of_improvement_method", {"ols", "tukey"}, "is ols or tukey"),
    ]
    return [_values_batch(build, mart, values), _orphans(build, mart, "student_key", "dim_students", "student_key")]


def _fct_student_goals(build: Build) -> list[Batch]:
    mart = "fct_student_goals"
    return [
        _values_batch(build, mart, [not_null("goal_id"), not_null("student_key"), between("n_points", 0)]),
        _orphans(build, mart, "student_key", "dim_students", "student_key"),
    ]


def _fct_mtss_tiers(build: Build) -> list[Batch]:
    mart = "fct_mtss_tiers"
    values = [
        not_null("student_key"), in_set("tier", {1, 2, 3}, "is 1, 2 or 3"),
        in_set("tier_change", {"up", "down", "same", "new"}, "is up, down, same or new"),
        null_when("previous_tier", "tier_change == 'new'"),
    ]
    return [_values_batch(build, mart, values), _orphans(build, mart, "student_key", "dim_students", "student_key")]


def _fct_interventions(build: Build) -> list[Batch]:
    mart = "fct_interventions"
    values = [
        not_null("intervention_id"), not_null("student_key"), in_set("tier", {2, 3}, "is 2 or 3"),
        in_set("response", {"responding", "not_responding", "insufficient_data"}, "is a response"),
        at_least("end_date", "start_date"),
    ]
    return [
        _values_batch(build, mart, values),
        _orphans(build, mart, "student_key", "dim_students", "student_key"),
        _orphans(build, mart, "school_id", "dim_schools", "school_id"),
    ]


def _agg_mtss_tiers(build: Build) -> list[Batch]:
    shares = ("pct_tier1", "pct_tier2", "pct_tier3")
    figures = ("n_tier1", "n_tier2", "n_tier3", *shares)
    values = [*_in_dimensions(build), *_percent(*shares), *_suppressed(build, figures, "n_students")]
    return [_values_batch(build, "agg_mtss_tiers", values)]


def _agg_intervention_effectiveness(build: Build) -> list[Batch]:
    values = [not_null("intervention_name"), *_percent("pct_responding"),
              *_suppressed(build, ("pct_responding",), "n_students")]
    return [_values_batch(build, "agg_intervention_effectiveness", values)]


def _fct_seb_screenings(build: Build) -> list[Batch]:
    mart = "fct_seb_screenings"
    values = [not_null("student_key"), not_null("measure_id"), *_percent("percentile")]
    return [
        _values_batch(build, mart, values),
        _orphans(build, mart, "student_key", "dim_students", "student_key"),
        _orphans(build, mart, "measure_id", "dim_measures", "measure_id"),
    ]


def _fct_behaviour_incidents(build: Build) -> list[Batch]:
    mart = "fct_behaviour_incidents"
    return [
        _values_batch(build, mart, [not_null("incident_id"), not_null("student_key")]),
        _orphans(build, mart, "student_key", "dim_students", "student_key"),
    ]


def _fct_behaviour_patterns(build: Build) -> list[Batch]:
    values = [
        in_set("pattern", {"none", "specific_students", "class_wide", "school_wide"}, "is a pattern"),
        between("share_from_top_students", 0, 1),
    ]
    return [_values_batch(build, "fct_behaviour_patterns", values)]


def _fct_behaviour_pattern_students(build: Build) -> list[Batch]:
    return [_values_batch(build, "fct_behaviour_pattern_students", [not_null("student_key"), between("n_incidents", 1)])]


def _fct_objective_assessments(build: Build) -> list[Batch]:
    mart = "fct_objective_assessments"
    values = [not_null("student_key"), not_null("descriptor_value"), not_null("descriptor_rank"), not_null("is_secured")]
    return [_values_batch(build, mart, values), _orphans(build, mart, "student_key", "dim_students", "student_key")]


def _fct_student_objective_summary(build: Build) -> list[Batch]:
    values = [not_null("student_key"), at_least("n_objectives", "n_secured"), *_percent("pct_secured")]
    return [_values_batch(build, "fct_student_objective_summary", values)]


def _audit_excluded_records(mart: str):
    def suite(build: Build) -> list[Batch]:
        return [_values_batch(build, mart, [not_null("reason"), not_null("source_file"), between("source_row", 2)])]

    return suite


MART_SUITES = {
    "dim_students": _dim_students,
    "dim_schools": _dim_schools,
    "dim_measures": _dim_measures,
    "dim_assessment_windows": _dim_assessment_windows,
    "fct_assessment_results": _fct_assessment_results,
    "agg_school_proficiency": _agg_school_proficiency,
    "audit_excluded_results": _audit_excluded_results,
    "fct_grade12_sample": _fct_grade12_sample,
    "agg_grade12_accountability": _agg_grade12_accountability,
    "fct_school_counts": _fct_school_counts,
    "fct_school_funding": _fct_school_funding,
    "agg_school_funding": _agg_school_funding,
    "agg_funding_lines": _agg_funding_lines,
    "fct_class_enrollments": _fct_class_enrollments,
    "dim_class_teachers": _dim_class_teachers,
    "fct_student_growth": _fct_student_growth,
    "agg_school_growth": _agg_school_growth,
    "agg_progress_matrix": _agg_progress_matrix,
    "fct_progress_monitoring": _fct_progress_monitoring,
    "fct_student_goals": _fct_student_goals,
    "fct_mtss_tiers": _fct_mtss_tiers,
    "fct_interventions": _fct_interventions,
    "agg_mtss_tiers": _agg_mtss_tiers,
    "agg_intervention_effectiveness": _agg_intervention_effectiveness,
    "fct_seb_screenings": _fct_seb_screenings,
    "fct_behaviour_incidents": _fct_behaviour_incidents,
    "audit_excluded_incidents": _audit_excluded_records("audit_excluded_incidents"),
    "fct_behaviour_patterns": _fct_behaviour_patterns,
    "fct_behaviour_pattern_students": _fct_behaviour_pattern_students,
    "fct_objective_assessments": _fct_objective_assessments,
    "audit_excluded_markbook_entries": _audit_excluded_records("audit_excluded_markbook_entries"),
    "fct_student_objective_summary": _fct_student_objective_summary,
}


def _common_batches(build: Build, mart: str) -> list[Batch]:
    """Row count against the previous publication and, when public, column names."""
    rows = build.frame(f"select count(*) as row_count from marts.{mart}")
    previous = build.previous_counts.get(mart)
    counted = []
    # A first publication, or a table that was empty, gives no basis to compare with. The audit
    # table of set-aside results grows with every re-delivered file by design; its rows are
    # accounted for row by row by dbt's accounting test instead.
    if previous and mart not in ROW_COUNT_EXEMPT:
        tolerance = build.row_count_tolerance
        counted.append(
            Expect(
                f"row count changes by less than {tolerance:.0%} of the previous publication's {previous:,}",
                "ExpectColumnValuesToBeBetween",
                {
                    "column": "row_count", "min_value": previous * (1 - tolerance),
                    "max_value": previous * (1 + tolerance), "strict_min": True, "strict_max": True,
                },
            )
        )
    batches = [Batch("row count", rows, counted)]
    # The grain is not checked here: the contract requires a dbt uniqueness test on it.
    declared = contract.marts().get(mart)
    if declared and declared.is_public:
        columns = build.frame(
            "select column_name from information_schema.columns "
            f"where table_schema = 'marts' and table_name = '{mart}'"
        )
        batches.append(
            Batch(
                "column names in the build", columns,
                [Expect(
                    "no identifying column in a public table", "ExpectColumnValuesToNotBeInSet",
                    {"column": "column_name", "value_set": sorted(IDENTIFYING_COLUMNS)},
                )],
            )
        )
    return batches


def _previous_counts(published_dir: Path | None) -> dict[str, int]:
    if published_dir is None:
        return {}
    manifest = read_manifest(Path(published_dir))
    return dict((manifest or {}).get("tables") or {})


def _marts_present(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }


def _keys(con: duckdb.DuckDBPyConnection, present: set[str], table: str, column: str) -> frozenset:
    if table not in present:
        return frozenset()
    rows = con.execute(f"select distinct {column} from marts.{table} where {column} is not null").fetchall()
    return frozenset(r[0] for r in rows)


class _Validator:
    """An ephemeral Great Expectations context with one pandas asset; each frame is one batch."""

    def __init__(self) -> None:
        os.environ["GX_ANALYTICS_ENABLED"] = "false"
        import great_expectations as gx
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx, self._gxe = gx, gxe
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas("build_marts").add_dataframe_asset("mart_frames")
        self._batches = asset.add_batch_definition_whole_dataframe("whole_frame")

    def failures(self, suite_name: str, batch: Batch) -> list[dict]:
        """Each expectation of `batch` the frame fails, with its unexpected count and a few examples."""
        if not batch.expectations:
            return []
        suite = self._gx.ExpectationSuite(name=suite_name)
        for expect in batch.expectations:
            suite.add_expectation(getattr(self._gxe, expect.kind)(description=expect.description, **expect.kwargs))
        validation = self._batches.get_batch(batch_parameters={"dataframe": batch.frame}).validate(
            suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 3}
        )
        return [_failure(batch, r) for r in validation.results if not r.success]


def _failure(batch: Batch, result) -> dict:
    outcome = result.result or {}
    failure = {"expectation": result.expectation_config.description, "frame": batch.name}
    if "unexpected_count" in outcome:
        failure["unexpected_count"] = int(outcome["unexpected_count"])
        failure["examples"] = [_shown(v) for v in outcome.get("partial_unexpected_list") or []]
    elif result.expectation_config.type == "expect_table_row_count_to_equal":
        # A frame of problems found by SQL: each row is one, and at most PROBLEM_ROWS_LIMIT are pulled.
        failure["unexpected_count"] = int(outcome.get("observed_value") or 0)
        failure["capped"] = failure["unexpected_count"] >= PROBLEM_ROWS_LIMIT
        failure["examples"] = [str(r) for r in batch.frame.head(3).to_dict(orient="records")]
    else:
        failure["unexpected_count"] = 1
        failure["examples"] = [_exception_message(result.exception_info)]
    return failure


def _shown(value) -> str:
    """A value as a reader writes it: numpy scalars (alone or in a pair) as plain numbers."""
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown(v) for v in value) + ")"
    return str(value.item() if hasattr(value, "item") else value)


def _exception_message(info) -> str:
    if not info:
        return "the expectation could not be evaluated"
    if "exception_message" in info:
        return str(info["exception_message"])
    nested = [v.get("exception_message") for v in info.values() if isinstance(v, dict)]
    return next((m for m in nested if m), "the expectation could not be evaluated")


def _suite_result(mart: str, failures: list[dict], expectation_count: int, rows: int) -> CheckResult:
    name = f"{mart}_expectations"
    if not failures:
        return CheckResult(name, mart, True, True, f"{mart}: all {expectation_count} expectations met ({rows:,} rows)")
    listed = "; ".join(
        f"{f['expectation']} [{f['frame']}]: "
        f"{'at least ' if f.get('capped') else ''}{f['unexpected_count']:,} unexpected"
        for f in failures
    )
    return CheckResult(
        name, mart, False, True,
        f"{mart}: {len(failures)} of {expectation_count} expectations failed: {listed}",
        sum(f["unexpected_count"] for f in failures), failures[:SAMPLE_SIZE],
    )


def run_expectations(
    con: duckdb.DuckDBPyConnection,
    published_dir: Path | None,
    minimum_n: int,
    row_count_tolerance: float = 0.5,
    marts: Iterable[str] | None = None,
) -> list[CheckResult]:
    """One blocking CheckResult per published mart (or per mart of `marts`), named `<mart>_expectations`.

    A mart fails when any expectation of its suite fails (see the module docstring), or when it is
    missing from the build. Row counts are compared with `published_dir`/manifest.json when there
    is one: a count that moves by `row_count_tolerance` (a fraction) of the previous count or more
    fails. Suppression rules use `minimum_n`.
    """
    present = _marts_present(con)
    build = Build(
        con=con,
        minimum_n=minimum_n,
        school_ids=_keys(con, present, "dim_schools", "school_id"),
        measure_ids=_keys(con, present, "dim_measures", "measure_id"),
        previous_counts=_previous_counts(published_dir),
        row_count_tolerance=row_count_tolerance,
    )
    validator = _Validator()
    results = []
    for mart in contract.published() if marts is None else marts:
        if mart not in present:
            results.append(
                CheckResult(f"{mart}_expectations", mart, False, True, f"{mart}: missing from the build's marts", 1)
            )
            continue
        batches = _common_batches(build, mart) + [b for b in MART_SUITES[mart](build) if b is not None]
        failures = [f for b in batches for f in validator.failures(f"{mart}.{b.name}", b)]
        rows = int(batches[0].frame["row_count"].iloc[0])
        results.append(_suite_result(mart, failures, sum(len(b.expectations) for b in batches), rows))
    return results
