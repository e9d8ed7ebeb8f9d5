"""Each funding formula's allocation per school and fiscal year (analytics.funding)."""

import pandas as pd

from analytics.funding_tables import allocate_all, parse_formula

COLUMNS = {
    "school_id": "object", "fiscal_year": "int64", "method": "object", "grade_span": "object",
    "enrollment": "int64", "low_income_public": "int64", "low_income_private": "int64",
    "english_learners": "int64", "students_with_disabilities": "int64", "poverty_rate": "float64",
    "poverty_rank": "int64", "service_order": "Int64", "eligibility_basis": "object", "is_eligible": "bool",
    "is_served": "bool", "per_child_amount": "float64", "allocation_cents": "int64",
    "allocation_public_cents": "int64", "allocation_private_cents": "int64", "explanation": "object",
}


def model(dbt, session):
    dbt.config(materialized="table")
    counts = dbt.ref("fct_school_counts").df()
    formulas = [parse_formula(text) for text in dbt.ref("stg_config__funding_formulas").df()["formula_json"]]
    schools, _ = allocate_all(counts, formulas)
    if schools.empty:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})
    return schools[list(COLUMNS)]
