"""Grade 1-2 accountability estimates from the realized sample (analytics.sampling.estimate_cells).

School rows: each school, grade, subject and window, stratified when the design is. District rows:
the schools are strata of the district estimate (population-weighted, with each school's finite
population correction), so the roll-up is weighted correctly.
"""

import pandas as pd

from analytics.sampling import estimate_cells

SCHOOL_KEYS = ["school_year", "window_name", "school_id", "grade_level", "subject", "measure_id"]
DISTRICT_KEYS = ["school_year", "window_name", "grade_level", "subject", "measure_id"]
COUNTS = ["sample_n", "missing_n", "replacements_used"]


def _level(strata: pd.DataFrame, keys: list[str], confidence: float, ci_method: str, level: str) -> pd.DataFrame:
    estimates = estimate_cells(strata, keys, confidence, ci_method)
    counts = strata.groupby(keys, as_index=False)[COUNTS].sum()
    out = estimates.merge(counts, on=keys, how="left", validate="one_to_one")
    out["aggregation_level"] = level
    if "school_id" not in out:
        out["school_id"] = None
    out["confidence_level"] = confidence
    return out


def model(dbt, session):
    dbt.config(materialized="table")
    strata = dbt.ref("int_grade12__strata_summarised").df()
    design = dbt.ref("stg_config__grade12_design").df()
    if design.empty or strata.empty:
        text = ["aggregation_level", "window_name", "school_id", "subject", "measure_id", "ci_method"]
        numbers = [
            "school_year", "grade_level", "population_n", "assessed_n", "n_proficient", "n_strata", "estimate",
            "standard_error", "degrees_of_freedom", "ci_lower", "ci_upper", "mean_scale_score",
            "mean_scale_score_se", "confidence_level", *COUNTS,
        ]
        return pd.DataFrame({**{c: pd.Series(dtype="object") for c in text}, **{c: pd.Series(dtype="float64") for c in numbers}})
    confidence = float(design["confidence_level"].iloc[0])
    ci_method = str(design["ci_method"].iloc[0])
    schools = _level(strata, SCHOOL_KEYS, confidence, ci_method, "school")
    district = _level(strata, DISTRICT_KEYS, confidence, ci_method, "district")
    return pd.concat([schools, district], ignore_index=True)
