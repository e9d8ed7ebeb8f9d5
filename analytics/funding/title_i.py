"""Title I school allocations: eligibility (35%, district or grade-span average), the order
schools are served in, poverty-band weights and each school's explanation."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .counts import Allocation, COUNT_COLUMNS, district_averages, exact_ints, in_ranking_order, rate_meets, records, school_counts, schools_frame
from .formulas import ABOVE_75, DISTRICT_AVERAGE, GRADE_SPAN_AVERAGE, HIGH_SCHOOL_ABOVE_50, THIRTY_FIVE
from .money import budget_lines, dollars_text, largest_remainder_cents, reserve_amounts, split_private, to_dollars
from .wording import and_list, ordinal, percent_text

if TYPE_CHECKING:
    from .counts import Averages
    from .formulas import PovertyBand, TitleIFormula


def _eligibility(ranked: pd.DataFrame, formula: TitleIFormula, averages: Averages) -> pd.Series:
    """The first basis on which each school is eligible (None if not eligible)."""
    low_income, enrollment = exact_ints(ranked["low_income_public"]), exact_ints(ranked["enrollment"])
    is_high = (ranked["grade_span"] == "high").to_numpy()
    if formula.ranking == "district_wide":
        average = [averages.district] * len(ranked)
    else:
        average = [averages.by_span[span] for span in ranked["grade_span"]]
    # A span without enrollment has no average, but then none of its schools is enrolled either.
    average = [share if share is not None else Fraction(0) for share in average]
    average_low_income = np.array([share.numerator for share in average], dtype=object)
    average_enrollment = np.array([share.denominator for share in average], dtype=object)
    rules = [
        # ESEA 1113(a)(3): a school above 75% poverty must be served, whatever the ranking.
        (ABOVE_75, rate_meets(low_income, enrollment, 75, strictly=True)),
        # ESEA 1113(a)(3)(B): the 75% may be lowered to 50% for high schools.
        (
            HIGH_SCHOOL_ABOVE_50,
            is_high & (formula.high_school_threshold == 50) & rate_meets(low_income, enrollment, 50, strictly=True),
        ),
        # ESEA 1113(a)(2); 34 CFR 200.78(a)(3): at or above the district (or grade-span) average.
        (
            DISTRICT_AVERAGE if formula.ranking == "district_wide" else GRADE_SPAN_AVERAGE,
            (enrollment > 0).astype(bool)
            & (low_income * average_enrollment >= average_low_income * enrollment).astype(bool),
        ),
        # ESEA 1113(a)(4)(B): the district may serve every school at or above 35%.
        (THIRTY_FIVE, formula.thirty_five_percent_option & rate_meets(low_income, enrollment, 35)),
    ]
    basis = np.full(len(ranked), None, dtype=object)
    for name, meets in reversed(rules):
        basis[meets] = name
    return pd.Series(basis, index=ranked.index, dtype=object)


def _service_order(ranked: pd.DataFrame, basis: pd.Series, formula: TitleIFormula) -> np.ndarray:
    """Row positions (in the ranked frame) of the schools in the order they are served."""
    must_serve = basis.isin([ABOVE_75, HIGH_SCHOOL_ABOVE_50]).to_numpy()
    others = basis.notna().to_numpy() & ~must_serve
    if formula.ranking == "grade_span":
        others &= ranked["grade_span"].isin(formula.grade_spans_served).to_numpy()
    return np.r_[np.flatnonzero(must_serve), np.flatnonzero(others)].astype(int)


def _band_weights(ranked: pd.DataFrame, bands: list[PovertyBand]) -> list[Fraction]:
    """Weight of each school: the band with the largest min_poverty at or below its rate."""
    low_income, enrollment = exact_ints(ranked["low_income_public"]), exact_ints(ranked["enrollment"])
    ascending = sorted(bands, key=lambda band: band.min_poverty)
    weights = np.full(len(ranked), Fraction(ascending[0].weight), dtype=object)
    for band in ascending[1:]:
        weights = np.where(rate_meets(low_income, enrollment, band.min_poverty), Fraction(band.weight), weights)
    return list(weights)


@dataclass
class _Prefixes:
    """For serving the first k schools of the service order (index k - 1)."""

    base: list[Fraction | None]  # cents per weighted child; None when the prefix has no child
    applies_125: np.ndarray  # the 125% rule applies (a school below 35% is in the prefix)
    below_floor: np.ndarray  # the lowest per-child amount would be below the 125% floor
    below_minimum: np.ndarray  # ... below minimum_per_child_amount
    over_cap: np.ndarray  # more schools than max_schools_served


def _prefixes(
    children: list[int],
    weights: list[Fraction],
    below_35: np.ndarray,
    available: Fraction,
    floor: Fraction | None,
    formula: TitleIFormula,
) -> _Prefixes:
    """Evaluate every prefix of the service order against the limits on serving more schools."""
    weighted_children = list(accumulate(w * c for w, c in zip(weights, children)))
    base = [available / total if total else None for total in weighted_children]
    # The lowest per-child amount in the prefix: base x the lowest band weight served.
    lowest = [b * w if b is not None else None for b, w in zip(base, accumulate(weights, min))]
    minimum = None if formula.minimum_per_child_amount is None else Fraction(formula.minimum_per_child_amount) * 100
    # 34 CFR 200.78(b): once a school below 35% is served, every served school gets at least 125%
    # of the district's per-child amount; while every served school is at or above 35% it is waived.
    applies_125 = np.logical_or.accumulate(below_35)
    below_floor = np.array(
        [bool(a) and floor is not None and low is not None and low < floor for a, low in zip(applies_125, lowest)],
        dtype=bool,
    )
    below_minimum = np.array([minimum is not None and low is not None and low < minimum for low in lowest], dtype=bool)
    cap = formula.max_schools_served
    over_cap = np.arange(1, len(children) + 1) > cap if cap is not None else np.zeros(len(children), dtype=bool)
    return _Prefixes(base, applies_125, below_floor, below_minimum, over_cap)


def allocate_title_i(counts: pd.DataFrame, formula: TitleIFormula) -> Allocation:
    """Title I allocation to schools (ESEA section 1113, 34 CFR 200.78), exact to the cent.

    Promises: the lines add up to the appropriation exactly; each served school gets its exact
    quota (base per-child amount x band weight x children) to within one cent; public + private
    cents equal the school's allocation; schools are served in service order, as many as the 125%
    rule, minimum_per_child_amount and max_schools_served allow. Raises ValueError when the
    reservations exceed the appropriation or the counts are malformed.
    """
    appropriation = Fraction(formula.appropriation) * 100
    reserved = reserve_amounts(formula, appropriation)
    available = appropriation - sum(reserved)

    ranked = in_ranking_order(school_counts(counts))
    averages = district_averages(ranked)
    basis = _eligibility(ranked, formula, averages)
    order = _service_order(ranked, basis, formula)

    low_income, enrollment = exact_ints(ranked["low_income_public"]), exact_ints(ranked["enrollment"])
    # Children generating funds include low-income children in private schools in the attendance
    # area; what they generate is tracked apart for equitable services (ESEA 1117).
    children = (ranked["low_income_public"] + ranked["low_income_private"]).tolist()
    weights = _band_weights(ranked, formula.poverty_bands)
    below_35 = ~rate_meets(low_income, enrollment, 35)

    all_children = sum(children)
    rule_base = appropriation if formula.rule_125_base == "total_allocation" else available
    lea_per_child = rule_base / all_children if all_children else None
    floor = Fraction(5, 4) * lea_per_child if lea_per_child is not None else None

    prefixes = _prefixes(
        [children[i] for i in order], [weights[i] for i in order], below_35[order], available, floor, formula
    )
    # The feasible prefixes are 1..k: the base falls and the lowest weight never rises as k grows.
    feasible = ~(prefixes.below_floor | prefixes.below_minimum | prefixes.over_cap)
    served_count = int(np.flatnonzero(feasible).max() + 1) if feasible.any() else 0
    base = prefixes.base[served_count - 1] if served_count else None
    served = order[:served_count]

    school_quotas = [base * weights[i] * children[i] if base is not None else Fraction(0) for i in served]
    unallocated = available - sum(school_quotas)
    rounded = largest_remainder_cents([*reserved, *school_quotas, unallocated], int(appropriation))
    reserved_cents = rounded[: len(reserved)]
    served_cents = rounded[len(reserved) : len(reserved) + len(served)]
    unallocated_cents = rounded[-1]

    allocation = np.zeros(len(ranked), dtype=np.int64)
    allocation[served] = served_cents
    position = np.full(len(ranked), None, dtype=object)
    position[order] = np.arange(1, len(order) + 1)
    is_served = np.zeros(len(ranked), dtype=bool)
    is_served[served] = True
    per_child = [base * w if base is not None and s else None for w, s in zip(weights, is_served)]

    schools = schools_frame(
        ranked,
        formula.name,
        service_order=position,
        eligibility_basis=basis.to_numpy(),
        is_eligible=basis.notna().to_numpy(),
        is_served=is_served,
        per_child_amount=[np.nan if p is None else to_dollars(p) for p in per_child],
        allocation_cents=allocation,
        allocation_private_cents=split_private(allocation.tolist(), ranked["low_income_private"].tolist(), children),
    )
    schools["explanation"] = _title_i_explanations(
        schools, formula, averages, order, served_count, per_child, children, prefixes, floor
    )

    allocated_cents = int(allocation.sum())
    summary = {
        "appropriation_cents": int(appropriation),
        "reserved_cents": sum(reserved_cents),
        "available_cents": int(appropriation) - sum(reserved_cents),
        "allocated_cents": allocated_cents,
        "unallocated_cents": unallocated_cents,
        "district_poverty_rate": None if averages.district is None else float(100 * averages.district),
        "lea_per_child_amount": to_dollars(lea_per_child),
        "rule_125_floor": to_dollars(floor),
        "rule_125_applies": bool(served_count and prefixes.applies_125[served_count - 1]),
        "base_per_child_amount": to_dollars(base),
        "schools_served": served_count,
    }
    return Allocation(schools, budget_lines(formula, reserved_cents, allocated_cents, unallocated_cents), summary)


def _title_i_explanations(
    schools: pd.DataFrame,
    formula: TitleIFormula,
    averages: Averages,
    order: np.ndarray,
    served_count: int,
    per_child: list[Fraction | None],
    children: list[int],
    prefixes: _Prefixes,
    floor: Fraction | None,
) -> list[str]:
    """One sentence per school saying why it got what it got."""
    position = {int(row): k for k, row in enumerate(order)}

    def average_of(span: str) -> tuple[str, Fraction | None]:
        if formula.ranking == "district_wide":
            return "the district average", averages.district
        return f"the {span}-school average", averages.by_span[span]

    def why_eligible(basis: str, rate: str, span: str) -> str:
        if basis == ABOVE_75:
            return f"{rate} poverty is above 75%"
        if basis == HIGH_SCHOOL_ABOVE_50:
            return f"{rate} poverty is above 50% (high-school threshold)"
        if basis == THIRTY_FIVE:
            return f"{rate} poverty is at or above 35% (35% option)"
        label, share = average_of(span)
        return f"{rate} poverty is at or above {label} of {percent_text(share)}"

    sentences = []
    columns = [*COUNT_COLUMNS[:3], "grade_span", "eligibility_basis", "allocation_cents"]
    for row, school in enumerate(records(schools, columns)):
        if school["enrollment"] == 0:
            sentences.append("Not served: no students enrolled on the count date")
            continue
        rate = percent_text(Fraction(school["low_income_public"], school["enrollment"]))
        span = school["grade_span"]
        if school["eligibility_basis"] is None:
            label, share = average_of(span)
            below = [f"below {label} of {percent_text(share)}"]
            if formula.thirty_five_percent_option:
                below.append("below 35%")
            if formula.high_school_threshold == 50 and span == "high":
                below.append("not above 50%")
            sentences.append(f"Not served: {rate} poverty is {and_list(below)}")
            continue
        reason = why_eligible(school["eligibility_basis"], rate, span)
        k = position.get(row)
        if k is None:
            spans = formula.grade_spans_served
            served_spans = f"only {and_list(spans)} schools are" if spans else "no grade span is"
            sentences.append(
                f"Eligible but not served: {reason}, but {served_spans} served under grade-span ranking"
            )
        elif k < served_count:
            kids = children[row]
            if per_child[row] is None or kids == 0:
                sentences.append(f"Served {ordinal(k + 1)}: {reason}; no low-income children, so $0.00")
                continue
            who = f"{kids:,} low-income children"
            if school["low_income_private"]:
                who += f" ({school['low_income_public']:,} public, {school['low_income_private']:,} private)"
            sentences.append(
                f"Served {ordinal(k + 1)}: {reason}; {who} x {dollars_text(per_child[row], 6)} = "
                f"{dollars_text(school['allocation_cents'])}"
            )
        else:
            limits = []
            if prefixes.over_cap[k]:
                limits.append(f"the district serves at most {formula.max_schools_served} schools")
            if prefixes.below_floor[k]:
                limits.append(
                    f"serving it would put the per-child amount below the 125% floor of {dollars_text(floor)}"
                )
            if prefixes.below_minimum[k]:
                limits.append(
                    "serving it would put the per-child amount below the minimum of "
                    f"{dollars_text(Fraction(formula.minimum_per_child_amount) * 100)}"
                )
            sentences.append(f"Eligible but not served: {and_list(limits)}")
    return sentences
