"""Funding allocations for every formula and fiscal year, from the warehouse's per-school counts.

Shared by the dbt Python models (fct_school_funding, agg_funding_lines) and `spt funding`, so a
what-if run and the published allocation compute the same thing from the same counts.
"""

from __future__ import annotations

import pandas as pd
from pydantic import TypeAdapter

from analytics.funding import FundingFormula, allocate

FORMULA = TypeAdapter(FundingFormula)
COUNT_COLUMNS = [
    "school_id",
    "grade_span",
    "enrollment",
    "low_income_public",
    "low_income_private",
    "english_learners",
    "students_with_disabilities",
]


def parse_formula(formula_json: str):
    """A formula from its JSON document (config.funding_formulas.formula_json)."""
    return FORMULA.validate_json(formula_json)


def formula_counts(school_counts: pd.DataFrame, formula) -> pd.DataFrame:
    """The counts one formula allocates on: the chosen poverty measure becomes low_income_public.

    economically_disadvantaged: the roster's flag (free or reduced-price lunch);
    direct_certification: the supplied count, required for every school;
    supplied: the supplied enrollment and low-income count, the roster's where a school has none.
    """
    counts = school_counts.copy()
    measure = getattr(formula, "poverty_measure", "economically_disadvantaged")
    counts["low_income_public"] = counts["economically_disadvantaged"]
    if measure == "direct_certification":
        missing = counts.loc[counts["direct_certification"].isna(), "school_id"].tolist()
        if missing:
            raise ValueError(
                f"formula '{formula.name}' counts poverty by direct certification, but the counts file "
                f"has no direct_certification for school(s) {', '.join(map(str, missing))}"
            )
        counts["low_income_public"] = counts["direct_certification"]
    elif measure == "supplied":
        counts["enrollment"] = counts["supplied_enrollment"].fillna(counts["enrollment"])
        counts["low_income_public"] = counts["supplied_low_income_public"].fillna(counts["economically_disadvantaged"])
    counts["low_income_private"] = counts["low_income_private"].fillna(0)
    for column in COUNT_COLUMNS[2:]:
        counts[column] = counts[column].astype("int64")
    return counts[COUNT_COLUMNS].reset_index(drop=True)


def allocate_all(school_counts: pd.DataFrame, formulas: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every formula for each of its fiscal years (default: every school year with counts).

    Returns (schools, lines): Allocation.schools and Allocation.lines with `fiscal_year`, and
    `method` (the formula's name) and `appropriation_cents` (None without one) on the lines.
    """
    schools, lines = [], []
    available_years = sorted(int(y) for y in school_counts["school_year"].unique())
    for formula in formulas:
        years = formula.fiscal_years or available_years
        for year in years:
            year_counts = school_counts[school_counts["school_year"] == year]
            if year_counts.empty:
                continue
            allocation = allocate(formula_counts(year_counts, formula), formula)
            schools.append(allocation.schools.assign(fiscal_year=year))
            lines.append(
                allocation.lines.assign(
                    fiscal_year=year,
                    method=formula.name,
                    appropriation_cents=allocation.summary.get("appropriation_cents"),
                )
            )
    if not schools:
        return pd.DataFrame(), pd.DataFrame()
    return pd.concat(schools, ignore_index=True), pd.concat(lines, ignore_index=True)
