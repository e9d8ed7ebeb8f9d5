"""Disclosure rules of the public file, applied while the public tables are copied into public.duckdb.

A cell with fewer than `minimum_n` students is already suppressed in the marts. A shown cell can
still reveal every member's result: when 0% or 100% of a group share a result, each member's
result is known. So, in the public file only (the restricted file keeps exact figures for the
district's own staff), each *share* of a shown cell (a percentage of the cell's students, with the
count that goes with it) is coded:

- a percentage under 5 becomes NULL with `<column>_band = '<5%'`; over 95, `'>95%'`;
- a tier count of 0 to minimum_n - 1 becomes NULL with its percentage, `<column>_band = 'n<10'`
  (for minimum_n 10);
- a coded share must not be recoverable by subtraction, so, until nothing changes: when a row has
  exactly one coded share of a set that sums to 100 (below / at / above expectation, tiers 1-3),
  its smallest shown share of the set is coded too; when a share is coded in a group that is part
  of a partition of the cell (race/ethnicity groups, gender groups, the schools of a district
  roll-up) or in the cell's total, it is coded in the total and in the smallest shown member of
  each partition that has no coded member. Those carry `<column>_band = 'complementary'`.

Every column of every public table is classified below. A column the rules do not name stops the
publication, so a new mart column cannot reach the public file without a decision about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

LOW, HIGH = 5.0, 95.0
COMPLEMENTARY = "complementary"
MAX_PASSES = 50


@dataclass(frozen=True)
class Share:
    """A percentage of a cell's students (0-100), the count behind it and any column that reveals it."""

    pct: str
    count: str | None = None
    reveals: tuple[str, ...] = ()
    small_count: bool = False  # also code a count of 0 .. minimum_n - 1

    @property
    def band(self) -> str:
        return f"{self.pct}_band"

    @property
    def hidden(self) -> tuple[str, ...]:
        return (self.pct,) + ((self.count,) if self.count else ()) + self.reveals


@dataclass(frozen=True)
class PublicTable:
    """How one public table is published: columns passed as they are, and the coded shares.

    `passed` holds keys, cell sizes (already suppressed below minimum_n), statistics of shown cells
    (means, medians) and descriptive columns. `cell` names the columns that identify a cell apart
    from its group; `total` and `partitions` are SQL conditions for the cell's total row and for
    sets of rows that add up to it.
    """

    passed: frozenset[str]
    shares: tuple[Share, ...] = ()
    sums_to_100: tuple[tuple[str, ...], ...] = ()
    cell: tuple[str, ...] = ()
    total: str | None = None
    partitions: tuple[str, ...] = ()
    columns: tuple[str, ...] = field(default=(), compare=False)

    def classified(self) -> set[str]:
        return set(self.passed) | {c for s in self.shares for c in s.hidden}


_GROUP_PARTITIONS = ("student_group like 'race_ethnicity:%'", "student_group like 'gender:%'")

PUBLIC_RULES: dict[str, PublicTable] = {
    "dim_schools": PublicTable(frozenset({"school_id", "school_name", "grade_span", "school_sourced_id"})),
    "dim_measures": PublicTable(
        frozenset(
            {
                "measure_id", "vendor", "assessment_name", "subject", "score_type", "scale_min", "scale_max",
                "is_primary", "level_basis", "descriptor_set",
            }
        )
    ),
    "dim_assessment_windows": PublicTable(
        frozenset({"school_year", "window_name", "window_order", "start_date", "end_date"})
    ),
    "agg_school_proficiency": PublicTable(
        passed=frozenset(
            {
                "school_id", "school_year", "window_name", "grade_level", "subject", "measure_id", "student_group",
                "n_students", "n_tested", "mean_scale_score", "is_suppressed",
            }
        ),
        shares=(
            Share("pct_proficient", count="n_proficient"),
            Share("pct_below_expectation"),
            Share("pct_at_expectation"),
            Share("pct_above_expectation"),
        ),
        sums_to_100=(("pct_below_expectation", "pct_at_expectation", "pct_above_expectation"),),
        cell=("school_id", "school_year", "window_name", "grade_level", "subject", "measure_id"),
        total="student_group = 'all'",
        partitions=_GROUP_PARTITIONS,
    ),
    "agg_school_growth": PublicTable(
        passed=frozenset(
            {
                "school_id", "school_year", "subject", "measure_id", "grade_level", "from_window", "to_window",
                "baseline", "student_group", "n_students", "mean_gain", "median_growth_percentile", "is_suppressed",
            }
        ),
        shares=(Share("pct_met_typical_growth"), Share("pct_met_stretch_growth")),
        cell=("school_id", "school_year", "subject", "measure_id", "grade_level", "from_window", "to_window", "baseline"),
        total="student_group = 'all'",
        partitions=_GROUP_PARTITIONS,
    ),
    # Matrix cells are counts of students, suppressed below minimum_n with complementary cells in the mart.
    "agg_progress_matrix": PublicTable(
        frozenset(
            {
                "school_id", "school_year", "subject", "measure_id", "grade_level", "student_group", "from_window",
                "to_window", "from_level", "from_level_rank", "to_level", "to_level_rank", "n_students",
                "is_suppressed",
            }
        )
    ),
    "agg_mtss_tiers": PublicTable(
        passed=frozenset(
            {"school_id", "school_year", "window_name", "subject", "grade_level", "student_group", "n_students",
             "is_suppressed"}
        ),
        shares=tuple(Share(f"pct_tier{t}", count=f"n_tier{t}", small_count=True) for t in (1, 2, 3)),
        sums_to_100=(("pct_tier1", "pct_tier2", "pct_tier3"),),
        cell=("school_id", "school_year", "window_name", "subject", "grade_level"),
        total="student_group = 'all'",
        partitions=_GROUP_PARTITIONS,
    ),
    "agg_intervention_effectiveness": PublicTable(
        passed=frozenset(
            {"school_year", "intervention_name", "tier", "n_students", "n_interventions", "n_insufficient_data",
             "is_suppressed"}
        ),
        shares=(Share("pct_responding", count="n_responding", reveals=("n_not_responding",)),),
    ),
    "agg_grade12_accountability": PublicTable(
        passed=frozenset(
            {
                "aggregation_level", "school_id", "school_year", "window_name", "grade_level", "subject", "measure_id",
                "population_n", "sample_n", "assessed_n", "missing_n", "replacements_used", "confidence_level",
                "ci_method", "mean_scale_score", "mean_scale_score_se", "is_suppressed",
            }
        ),
        shares=(Share("estimate", count="n_proficient", reveals=("standard_error", "ci_lower", "ci_upper")),),
        cell=("school_year", "window_name", "grade_level", "subject", "measure_id"),
        total="aggregation_level = 'district'",
        partitions=("aggregation_level = 'school'",),
    ),
    # Title I: each school's poverty rate and allocation are published by law (ESSA section 1113).
    "agg_school_funding": PublicTable(
        frozenset({"school_id", "fiscal_year", "method", "poverty_rate", "is_served", "allocation"})
    ),
    "agg_funding_lines": PublicTable(
        frozenset({"fiscal_year", "method", "line_type", "line_name", "amount", "appropriation"})
    ),
    "data_quality_runs": PublicTable(
        frozenset(
            {
                "run_id", "finished_at", "status", "seconds", "files", "files_rejected", "rows_read", "rows_loaded",
                "rows_rejected", "checks_run", "checks_failed", "blocking_checks_failed", "failed_checks",
            }
        )
    ),
}


class DisclosureError(Exception):
    """A public table has a column no rule classifies, or its coded copy breaks a rule."""


def _columns(con: duckdb.DuckDBPyConnection, qualified: str) -> list[str]:
    return [row[0] for row in con.execute(f"select * from {qualified} limit 0").description]


def unclassified_columns(con: duckdb.DuckDBPyConnection, table: str, source: str) -> list[str]:
    rules = PUBLIC_RULES.get(table)
    columns = _columns(con, source)
    if rules is None:
        return columns
    return [c for c in columns if c not in rules.classified()]


def copy_public_table(con: duckdb.DuckDBPyConnection, table: str, source: str, target: str, minimum_n: int) -> int:
    """Create `target` from `source` with the public rules of `table` applied; returns the coded shares."""
    unclassified = unclassified_columns(con, table, source)
    if unclassified:
        raise DisclosureError(
            f"column(s) {', '.join(f'{table}.{c}' for c in unclassified)} have no public disclosure rule "
            "(classify them in publication/disclosure.py before publishing them)"
        )
    rules = PUBLIC_RULES[table]
    columns = _columns(con, source)
    shares = [s for s in rules.shares if s.pct in columns]
    if not shares:
        con.execute(f"create table {target} as select * from {source}")
        return 0
    missing = [c for c in rules.cell if c not in columns]
    if missing:
        raise DisclosureError(f"{table}: the columns that identify a cell are missing: {', '.join(missing)}")
    work = f"_disclosure_{table}"
    raw_bands = []
    for s in shares:
        small = (
            f" when {s.count} < {int(minimum_n)} then 'n<{int(minimum_n)}'"
            if s.small_count and s.count in columns
            else ""
        )
        raw_bands.append(
            f"case when {s.pct} < {LOW} then '<{LOW:g}%' when {s.pct} > {HIGH} then '>{HIGH:g}%'{small} "
            f"end::varchar as {s.band}"
        )
    con.execute(f"create or replace temp table {work} as select *, {', '.join(raw_bands)} from {source}")
    for _ in range(MAX_PASSES):
        changed = 0
        for group in rules.sums_to_100:
            changed += _code_within_row(con, work, [s for s in shares if s.pct in group])
        if rules.total and rules.cell:
            for s in shares:
                changed += _code_across_rows(con, work, rules, s)
        if not changed:
            break
    else:
        raise DisclosureError(f"{table}: complementary coding did not settle in {MAX_PASSES} passes")
    by_column = {c: s for s in shares for c in s.hidden if c in columns}
    select = []
    for c in columns:
        share = by_column.get(c)
        select.append(f"case when {share.band} is null then {c} end as {c}" if share else c)
        if share and c == share.pct:
            select.append(share.band)
    con.execute(f"create table {target} as select {', '.join(select)} from {work}")
    coded = con.execute(
        f"select {' + '.join(f'count({s.band})' for s in shares)} from {work}"
    ).fetchone()[0]
    con.execute(f"drop table {work}")
    _verify(con, table, target, shares, minimum_n, columns)
    return int(coded)


def _changed(result) -> int:
    row = result.fetchone()
    return int(row[0]) if row else 0


def _code_within_row(con, work: str, group: list[Share]) -> int:
    """A row with exactly one coded share of a set summing to 100: code its smallest shown share too."""
    if len(group) < 2:
        return 0
    n_coded = " + ".join(f"({s.band} is not null)::int" for s in group)
    changed = 0
    for i, s in enumerate(group):
        smaller_than_rest = " and ".join(
            f"({o.band} is not null or {s.pct} {'<=' if i < j else '<'} {o.pct})"
            for j, o in enumerate(group)
            if o is not s
        )
        changed += _changed(
            con.execute(
                f"update {work} set {s.band} = '{COMPLEMENTARY}' where {s.band} is null and {s.pct} is not null "
                f"and ({n_coded}) = 1 and {smaller_than_rest}"
            )
        )
    return changed


def _code_across_rows(con, work: str, rules: PublicTable, s: Share) -> int:
    """A share coded in a cell's total or in a member of a partition: code the total and a member of each partition."""
    cell = ", ".join(rules.cell)
    in_partition = " or ".join(f"({p})" for p in rules.partitions) or "false"
    triggered = (
        f"select {cell} from {work} where {s.band} is not null and (({rules.total}) or {in_partition}) "
        f"group by all"
    )
    on = " and ".join(f"w.{c} is not distinct from t.{c}" for c in rules.cell)
    changed = _changed(
        con.execute(
            f"update {work} w set {s.band} = '{COMPLEMENTARY}' from ({triggered}) t "
            f"where {on} and w.{s.band} is null and w.{s.pct} is not null and ({rules.total})"
        )
    )
    for p in rules.partitions:
        # the smallest shown member of each partition that has no coded member, in triggered cells
        changed += _changed(
            con.execute(
                f"""update {work} w set {s.band} = '{COMPLEMENTARY}'
                from (
                    select {cell}, first(rowid order by {s.pct}, rowid) as pick
                    from {work}
                    where ({p}) and {s.pct} is not null
                    group by all
                    having count({s.band}) = 0
                ) t
                join ({triggered}) g using ({cell})
                where w.rowid = t.pick"""
            )
        )
    return changed


def _verify(con, table: str, target: str, shares: list[Share], minimum_n: int, columns: list[str]) -> None:
    """The coded copy must show no percentage under 5 or over 95 and no small tier count."""
    problems = []
    for s in shares:
        condition = f"{s.pct} < {LOW} or {s.pct} > {HIGH}"
        if s.small_count and s.count in columns:
            condition += f" or {s.count} < {int(minimum_n)}"
        condition += f" or ({s.band} is not null and {s.pct} is not null)"
        n = con.execute(f"select count(*) from {target} where {condition}").fetchone()[0]
        if n:
            problems.append(f"{s.pct} on {n} row(s)")
    if problems:
        raise DisclosureError(f"{table}: coded copy still discloses {', '.join(problems)}")
