"""The per-school counts a formula reads, and the shape of an allocation: schools in ranking
order with their poverty rates, and the district averages eligibility compares with."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from .formulas import GRADE_SPANS


COUNT_COLUMNS = (
    "enrollment",
    "low_income_public",
    "low_income_private",
    "english_learners",
    "students_with_disabilities",
)


SCHOOL_COLUMNS = [
    "school_id",
    "method",
    "grade_span",
    *COUNT_COLUMNS,
    "poverty_rate",
    "poverty_rank",
    "service_order",
    "eligibility_basis",
    "is_eligible",
    "is_served",
    "per_child_amount",
    "allocation_cents",
    "allocation_public_cents",
    "allocation_private_cents",
    "explanation",
]


LINE_COLUMNS = ["line_type", "line_name", "amount_cents"]


@dataclass
class Allocation:
    """What one formula gives each school, and the budget lines that add up to the appropriation.

    `schools` has the columns in SCHOOL_COLUMNS, one row per school in ranking order (highest
    poverty first). `lines` has LINE_COLUMNS. `summary` holds the district-level figures; money in
    dollars is a float rounded to 6 decimals, and a figure that does not apply is None.
    """

    schools: pd.DataFrame
    lines: pd.DataFrame
    summary: dict


def school_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """The counts frame checked and reduced to the input columns, counts as int64."""
    missing = [column for column in ("school_id", "grade_span", *COUNT_COLUMNS) if column not in counts.columns]
    if missing:
        raise ValueError(f"school counts lack column(s): {', '.join(missing)}")
    block = counts[list(COUNT_COLUMNS)]
    if not all(pd.api.types.is_numeric_dtype(dtype) for dtype in block.dtypes):
        block = block.apply(pd.to_numeric, errors="coerce")
    numbers = block.to_numpy(dtype=float)
    malformed = (np.isnan(numbers) | (numbers % 1 != 0) | (numbers < 0)).any(axis=0)
    if malformed.any():
        raise ValueError(f"school counts: `{COUNT_COLUMNS[int(np.argmax(malformed))]}` must be whole numbers >= 0")
    school_id = counts["school_id"].astype(str).to_numpy()
    grade_span = counts["grade_span"].to_numpy()
    ids, id_counts = np.unique(school_id, return_counts=True)
    if (id_counts > 1).any():
        raise ValueError(f"school counts: school_id must be unique; repeated: {', '.join(ids[id_counts > 1])}")
    unknown = sorted(set(grade_span) - set(GRADE_SPANS))
    if unknown:
        raise ValueError(f"school counts: unknown grade_span {unknown}; use {', '.join(GRADE_SPANS)}")
    # Low-income, English-learner and disability counts are subsets of the enrolled students.
    for j in (1, 3, 4):
        over = numbers[:, j] > numbers[:, 0]
        if over.any():
            raise ValueError(f"school counts: `{COUNT_COLUMNS[j]}` exceeds enrollment at {', '.join(school_id[over])}")
    return pd.DataFrame(
        {
            "school_id": school_id,
            "grade_span": grade_span,
            **{column: numbers[:, j].astype(np.int64) for j, column in enumerate(COUNT_COLUMNS)},
        }
    )


def exact_ints(series: pd.Series) -> np.ndarray:
    """Python ints in an object array, so products and comparisons never overflow."""
    return np.array(series.tolist(), dtype=object)


def rate_meets(low_income: np.ndarray, enrollment: np.ndarray, percent, strictly: bool = False) -> np.ndarray:
    """Exactly `low_income / enrollment >= percent / 100` (`>` if strictly) per school; False with no enrollment."""
    share = Fraction(percent) / 100
    left, right = low_income * share.denominator, share.numerator * enrollment
    meets = (left > right) if strictly else (left >= right)
    return (enrollment > 0).astype(bool) & meets.astype(bool)


def in_ranking_order(schools: pd.DataFrame) -> pd.DataFrame:
    """Schools in ranking order: poverty rate descending (exact), then low-income count
    descending, then school_id; schools with no enrollment have no rate and come last."""
    keys = [
        (enrolled == 0, -Fraction(low_income, enrolled) if enrolled else 0, -low_income, school_id)
        for school_id, enrolled, low_income in zip(
            schools["school_id"], schools["enrollment"].tolist(), schools["low_income_public"].tolist()
        )
    ]
    return schools.iloc[sorted(range(len(keys)), key=keys.__getitem__)].reset_index(drop=True)


def _poverty_rate_and_rank(ranked: pd.DataFrame) -> tuple[np.ndarray, pd.arrays.IntegerArray]:
    """Poverty rate in percent (float, NaN without enrollment) and rank (1 = highest; tied
    rates share the lowest rank number; NA without enrollment) of schools in ranking order."""
    low_income, enrollment = exact_ints(ranked["low_income_public"]), exact_ints(ranked["enrollment"])
    enrolled = ranked["enrollment"].to_numpy() > 0
    rate = np.divide(
        100 * ranked["low_income_public"].to_numpy(dtype=float),
        ranked["enrollment"].to_numpy(dtype=float),
        out=np.full(len(ranked), np.nan),
        where=enrolled,
    )
    # A new rank starts wherever the exact rate differs from the previous school's.
    starts_new_rate = np.ones(len(ranked), dtype=bool)
    starts_new_rate[1:] = (low_income[1:] * enrollment[:-1] != low_income[:-1] * enrollment[1:]).astype(bool)
    rank = np.maximum.accumulate(np.where(starts_new_rate, np.arange(1, len(ranked) + 1), 0))
    return rate, pd.array(np.where(enrolled, rank, None), dtype="Int64")


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows of `frame` as dicts of plain Python values (a light to_dict("records"))."""
    return [dict(zip(columns, values)) for values in zip(*(frame[column].tolist() for column in columns))]


def schools_frame(
    ranked: pd.DataFrame,
    method: str,
    service_order: np.ndarray,
    eligibility_basis: np.ndarray,
    is_eligible: np.ndarray,
    is_served: np.ndarray,
    per_child_amount: list[float],
    allocation_cents: np.ndarray,
    allocation_private_cents: np.ndarray,
) -> pd.DataFrame:
    """The `Allocation.schools` frame (explanation still empty), built in one step."""
    poverty_rate, poverty_rank = _poverty_rate_and_rank(ranked)
    allocation_cents = np.asarray(allocation_cents, dtype=np.int64)
    allocation_private_cents = np.asarray(allocation_private_cents, dtype=np.int64)
    columns = {
        "school_id": ranked["school_id"].to_numpy(),
        "method": method,
        "grade_span": ranked["grade_span"].to_numpy(),
        **{column: ranked[column].to_numpy() for column in COUNT_COLUMNS},
        "poverty_rate": poverty_rate,
        "poverty_rank": poverty_rank,
        "service_order": pd.array(service_order, dtype="Int64"),
        # An object Series keeps None (an array would be read as strings with NaN for None).
        "eligibility_basis": pd.Series(eligibility_basis, dtype=object),
        "is_eligible": np.asarray(is_eligible, dtype=bool),
        "is_served": np.asarray(is_served, dtype=bool),
        "per_child_amount": np.asarray(per_child_amount, dtype=float),
        "allocation_cents": allocation_cents,
        "allocation_public_cents": allocation_cents - allocation_private_cents,
        "allocation_private_cents": allocation_private_cents,
        "explanation": "",
    }
    return pd.DataFrame(columns, columns=SCHOOL_COLUMNS)


@dataclass
class Averages:
    """District and grade-span poverty shares (None where nobody is enrolled)."""

    district: Fraction | None
    by_span: dict[str, Fraction | None]


def district_averages(schools: pd.DataFrame) -> Averages:
    spans = schools["grade_span"].to_numpy()
    low_income, enrollment = schools["low_income_public"].to_numpy(), schools["enrollment"].to_numpy()

    def share(of: np.ndarray) -> Fraction | None:
        enrolled = int(enrollment[of].sum())
        return Fraction(int(low_income[of].sum()), enrolled) if enrolled else None

    return Averages(share(np.ones(len(spans), dtype=bool)), {span: share(spans == span) for span in GRADE_SPANS})
