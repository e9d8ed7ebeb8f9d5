"""Student growth percentiles (analytics.sgp.growth_percentiles) of the configured measure per subject.

Each student's last score of the configured window in each school year, in the grade they were
enrolled in on the test date, against the same window of the year(s) before.
"""

import pandas as pd

from analytics.sgp import growth_percentiles

COLUMNS = {
    "student_key": "object",
    "subject": "object",
    "measure_id": "object",
    "school_year": "Int64",
    "grade_level": "Int64",
    "growth_percentile": "Int64",
    "growth_percentile_order1": "Int64",
    "n_priors": "Int64",
}


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.ref("stg_config__growth_sgp").df()
    measures = dbt.ref("stg_config__growth_measures").df()
    measures = measures[measures["purpose"] == "sgp"][["subject", "measure_id"]]
    empty = pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in COLUMNS.items()})
    if settings.empty or measures.empty:
        return empty
    window = str(settings["window_name"].iloc[0])
    scores = dbt.ref("int_growth__window_scores_selected").df()
    scores = scores[
        (scores["window_name"] == window) & scores["scale_score"].notna() & scores["enrolled_grade"].notna()
    ].merge(measures, on=["subject", "measure_id"], how="inner")
    if scores.empty:
        return empty
    percentiles = growth_percentiles(
        scores.rename(columns={"student_key": "student_id", "enrolled_grade": "grade_level"})[
            ["student_id", "school_year", "grade_level", "subject", "scale_score"]
        ],
        max_priors=int(settings["max_priors"].iloc[0]),
        min_cohort=int(settings["min_cohort"].iloc[0]),
    )
    out = percentiles.rename(columns={"student_id": "student_key"}).merge(measures, on="subject", how="left")
    return out[list(COLUMNS)].astype(COLUMNS)
