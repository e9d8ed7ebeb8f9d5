"""pandera schemas for published tables small enough to validate as a DataFrame.

The fact table is checked with SQL in the database (quality/checks.py); an aggregate such as
agg_school_proficiency fits in memory, and a declared schema states every rule a reader of
the public file relies on in one place.
"""

from __future__ import annotations

import pandera.pandas as pa

STUDENT_GROUP = (
    r"^(all|economically_disadvantaged|english_learner|students_with_disabilities"
    r"|race_ethnicity:[a-z_]+|gender:[a-z_]+)$"
)
PERCENT = [pa.Check.in_range(0, 100)]
COUNTS = ("n_students", "n_tested", "n_proficient")
SHARES = ("pct_proficient", "pct_below_expectation", "pct_at_expectation", "pct_above_expectation")


def agg_school_proficiency_schema(minimum_n: int) -> pa.DataFrameSchema:
    """Keys present, groups named as documented, percentages in 0-100, small cells hidden.

    The grain is checked with the other tables' grains in quality/checks.py.
    """
    shown = lambda df: ~df["is_suppressed"]  # noqa: E731
    return pa.DataFrameSchema(
        {
            "school_id": pa.Column(str, nullable=False),
            "school_year": pa.Column(checks=pa.Check.in_range(1990, 2100), nullable=False),
            "window_name": pa.Column(str, nullable=False),
            "grade_level": pa.Column(checks=pa.Check.in_range(-1, 12), nullable=False),
            "subject": pa.Column(str, nullable=False),
            "measure_id": pa.Column(str, nullable=False),
            "student_group": pa.Column(str, pa.Check.str_matches(STUDENT_GROUP), nullable=False),
            **{c: pa.Column(checks=pa.Check.ge(0), nullable=True) for c in COUNTS},
            **{c: pa.Column(checks=PERCENT, nullable=True) for c in SHARES},
            "mean_scale_score": pa.Column(nullable=True),
            "is_suppressed": pa.Column(bool, nullable=False),
        },
        checks=[
            pa.Check(
                lambda df: ~df["is_suppressed"] | df[list(COUNTS + SHARES) + ["mean_scale_score"]].isna().all(axis=1),
                name="suppressed_cells_show_no_figure",
            ),
            pa.Check(
                lambda df: ~shown(df) | (df["n_tested"] >= minimum_n),
                name=f"shown_cells_have_at_least_{minimum_n}_tested",
            ),
            pa.Check(lambda df: ~shown(df) | (df["n_proficient"] <= df["n_tested"]), name="proficient_within_tested"),
            pa.Check(
                lambda df: ~shown(df)
                | ((df["pct_below_expectation"] + df["pct_at_expectation"] + df["pct_above_expectation"] - 100).abs()
                   <= 0.2),
                name="below_at_above_add_to_100",
            ),
        ],
        strict=False,
    )
