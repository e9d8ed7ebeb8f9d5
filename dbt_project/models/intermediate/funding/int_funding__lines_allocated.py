"""Where each formula's money goes per fiscal year: reservations, schools, unallocated (analytics.funding)."""

import pandas as pd

from analytics.funding_tables import allocate_all, parse_formula

COLUMNS = {"fiscal_year": "int64", "method": "object", "line_type": "object", "line_name": "object", "amount_cents": "int64", "appropriation_cents": "Int64"}


def model(dbt, session):
    dbt.config(materialized="table")
    counts = dbt.ref("fct_school_counts").df()
    formulas = [parse_formula(text) for text in dbt.ref("stg_config__funding_formulas").df()["formula_json"]]
    _, lines = allocate_all(counts, formulas)
    if lines.empty:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})
    return lines[list(COLUMNS)]
