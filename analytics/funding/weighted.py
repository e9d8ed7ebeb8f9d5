"""A weighted student formula: each school's weighted students, concentration and explanation."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .counts import Allocation, district_averages, exact_ints, in_ranking_order, rate_meets, records, school_counts, schools_frame
from .formulas import WEIGHTED_COUNTS, WEIGHT_LABELS
from .money import budget_lines, dollars_text, largest_remainder_cents, reserve_amounts, round_half_up, to_dollars
from .wording import plain

if TYPE_CHECKING:
    from .formulas import WeightedStudentFormula


def allocate_weighted(counts: pd.DataFrame, formula: WeightedStudentFormula) -> Allocation:
    """Weighted student formula: base amount x weighted students, scaled down to fit a cap.

    Promises: each school's raw amount is base_amount x (enrollment + sum of weight x count
    + concentration weight x low-income count when at or above the concentration threshold);
    if the cap is exceeded every school is scaled by the same exact factor and the schools total
    the cap to the cent; otherwise the schools total the raw sum rounded half up to the cent.
    With an appropriation, the lines add up to it exactly. Raises ValueError when reservations
    exceed the appropriation or the budget cap exceeds what the reservations leave.
    """
    ranked = in_ranking_order(school_counts(counts))
    averages = district_averages(ranked)

    if formula.appropriation is not None:
        appropriation = Fraction(formula.appropriation) * 100
        reserved = reserve_amounts(formula, appropriation)
        # Reservations stated as a percent may carry fractions of a cent: round them together
        # with what they leave so that the two add up to the appropriation.
        rounded = largest_remainder_cents([*reserved, appropriation - sum(reserved)], int(appropriation))
        reserved_cents, available_cents = rounded[:-1], rounded[-1]
    else:
        appropriation, reserved_cents, available_cents = None, [], None

    cap = None
    if formula.budget_cap is not None:
        cap = int(Fraction(formula.budget_cap) * 100)
        if available_cents is not None and cap > available_cents:
            raise ValueError(
                f"funding formula '{formula.name}': budget cap of {dollars_text(cap)} exceeds the "
                f"{dollars_text(available_cents)} left after reservations"
            )
    elif available_cents is not None:
        cap = available_cents

    weighted_students = _weighted_students(ranked, formula)
    base = Fraction(formula.base_amount) * 100
    raw = [base * students for students in weighted_students]
    total_raw = sum(raw, Fraction(0))
    scale = Fraction(cap) / total_raw if cap is not None and total_raw > cap else None
    if scale is not None:
        school_total = cap
        quotas = [amount * scale for amount in raw]
    else:
        school_total = int(round_half_up(total_raw))
        quotas = raw
    allocation = np.array(largest_remainder_cents(quotas, school_total), dtype=np.int64)

    is_served = allocation > 0
    position = np.full(len(ranked), None, dtype=object)
    position[is_served] = np.arange(1, int(is_served.sum()) + 1)
    schools = schools_frame(
        ranked,
        formula.name,
        service_order=position,
        eligibility_basis=np.full(len(ranked), None, dtype=object),
        is_eligible=ranked["enrollment"].to_numpy() > 0,
        is_served=is_served,
        per_child_amount=[
            to_dollars(Fraction(int(cents), enrolled)) if served else np.nan
            for cents, enrolled, served in zip(allocation, ranked["enrollment"].tolist(), is_served)
        ],
        allocation_cents=allocation,
        # Only Title I tracks what private-school children generate.
        allocation_private_cents=np.zeros(len(ranked), dtype=np.int64),
    )
    schools["explanation"] = _weighted_explanations(schools, formula, weighted_students, base, scale, cap)

    allocated_cents = int(allocation.sum())
    unallocated_cents = available_cents - allocated_cents if available_cents is not None else 0
    effective_base = base * scale if scale is not None else base
    summary = {
        "appropriation_cents": None if appropriation is None else int(appropriation),
        "reserved_cents": sum(reserved_cents),
        "available_cents": available_cents,
        "allocated_cents": allocated_cents,
        "unallocated_cents": unallocated_cents,
        "district_poverty_rate": None if averages.district is None else float(100 * averages.district),
        "lea_per_child_amount": None,
        "rule_125_floor": None,
        "rule_125_applies": False,
        "base_per_child_amount": to_dollars(effective_base),
        "schools_served": int(is_served.sum()),
    }
    return Allocation(schools, budget_lines(formula, reserved_cents, allocated_cents, unallocated_cents), summary)


def _concentrated(ranked: pd.DataFrame, formula: WeightedStudentFormula) -> np.ndarray:
    """Schools at or above the concentration threshold (exact), where low-income children weigh extra."""
    if formula.concentration_threshold is None:
        return np.zeros(len(ranked), dtype=bool)
    return rate_meets(
        exact_ints(ranked["low_income_public"]), exact_ints(ranked["enrollment"]), formula.concentration_threshold
    )


def _weighted_students(ranked: pd.DataFrame, formula: WeightedStudentFormula) -> list[Fraction]:
    """enrollment + sum of weight x count + [concentrated] x concentration weight x low-income, exact."""
    students = [Fraction(n) for n in ranked["enrollment"].tolist()]
    for weight_name, weight in formula.weights.items():
        counts = ranked[WEIGHTED_COUNTS[weight_name]].tolist()
        students = [s + Fraction(weight) * count for s, count in zip(students, counts)]
    extra = Fraction(formula.concentration_weight)
    concentrated = _concentrated(ranked, formula)
    low_income = ranked["low_income_public"].tolist()
    return [s + extra * n if c else s for s, n, c in zip(students, low_income, concentrated)]


def _weighted_explanations(
    schools: pd.DataFrame,
    formula: WeightedStudentFormula,
    weighted_students: list[Fraction],
    base: Fraction,
    scale: Fraction | None,
    cap: int | None,
) -> list[str]:
    """One sentence per school: the weighted count, the base amount and any scaling to the cap."""
    concentrated = _concentrated(schools, formula)
    sentences = []
    for row, school in enumerate(records(schools, ["enrollment", *WEIGHTED_COUNTS.values(), "allocation_cents"])):
        if school["enrollment"] == 0:
            sentences.append("Not allocated: no students enrolled on the count date")
            continue
        parts = [f"{school['enrollment']:,} enrolled"]
        for weight_name, weight in formula.weights.items():
            count = school[WEIGHTED_COUNTS[weight_name]]
            parts.append(f"{plain(Fraction(weight))} x {count:,} {WEIGHT_LABELS[weight_name]}")
        if concentrated[row] and formula.concentration_weight:
            parts.append(
                f"{plain(Fraction(formula.concentration_weight))} x {school['low_income_public']:,} low-income "
                f"(poverty at or above {plain(Fraction(formula.concentration_threshold))}%)"
            )
        working = f"{plain(weighted_students[row])} weighted students ({' + '.join(parts)}) x {dollars_text(base)}"
        if scale is not None:
            working += f", scaled by {plain(100 * scale)}% to fit the cap of {dollars_text(cap)}"
        if school["allocation_cents"] > 0:
            sentences.append(f"Allocated {dollars_text(school['allocation_cents'])}: {working}")
        else:
            sentences.append(f"Not allocated: {working} comes to $0.00")
    return sentences
