from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from analytics.funding import (
    FundingConfig,
    Reservation,
    TitleIFormula,
    WeightedStudentFormula,
    allocate,
    largest_remainder_cents,
)


def school_counts(*rows) -> pd.DataFrame:
    """Rows of (school_id, grade_span, enrollment, low_income_public[, low_income_private[, english_learners]])."""
    return pd.DataFrame(
        [
            {
                "school_id": row[0],
                "grade_span": row[1],
                "enrollment": row[2],
                "low_income_public": row[3],
                "low_income_private": row[4] if len(row) > 4 else 0,
                "english_learners": row[5] if len(row) > 5 else 0,
                "students_with_disabilities": 0,
            }
            for row in rows
        ]
    )


def title_i(**options) -> TitleIFormula:
    return TitleIFormula(method="title_i", **options)


def weighted(**options) -> WeightedStudentFormula:
    return WeightedStudentFormula(method="weighted_student_formula", **options)


def by_school(allocation) -> pd.DataFrame:
    return allocation.schools.set_index("school_id")


def line_amounts(allocation) -> list[tuple[str, str, int]]:
    return list(allocation.lines.itertuples(index=False, name=None))


# ---------------------------------------------------------------------------------------------
# Ranking and eligibility
# ---------------------------------------------------------------------------------------------


def test_equal_rates_rank_by_low_income_count_then_school_id_and_share_a_rank():
    counts = school_counts(
        ("A", "elementary", 100, 50),
        ("C", "elementary", 200, 100),
        ("B", "elementary", 200, 100),
        ("D", "elementary", 100, 30),
    )
    result = allocate(counts, title_i(appropriation=100_000))
    schools = result.schools
    # A 50/100, B 100/200 and C 100/200 are all exactly 50%: B and C (100 low-income) come
    # before A (50), and B before C by id. All three share rank 1; D (30%) is 4th.
    assert schools["school_id"].tolist() == ["B", "C", "A", "D"]
    assert schools["poverty_rate"].tolist() == [50.0, 50.0, 50.0, 30.0]
    assert schools["poverty_rank"].tolist() == [1, 1, 1, 4]
    # District average 280/600 = 46.7%: the three 50% schools are eligible, D is not.
    assert schools["service_order"].tolist() == [1, 2, 3, pd.NA]
    assert schools["eligibility_basis"].tolist() == ["district_average"] * 3 + [None]
    # 250 children share $100,000: $400 each -> B $40,000, C $40,000, A $20,000.
    assert schools["allocation_cents"].tolist() == [4_000_000, 4_000_000, 2_000_000, 0]
    assert by_school(result).at["D", "explanation"] == (
        "Not served: 30.0% poverty is below the district average of 46.7%"
    )


def test_75_percent_rule_serves_high_poverty_middle_school_first_although_grade_span_ranking_serves_elementary():
    counts = school_counts(
        ("E1", "elementary", 100, 70),
        ("E2", "elementary", 100, 40),
        ("M1", "middle", 100, 80),
        ("M2", "middle", 100, 72),
        ("M3", "middle", 100, 20),
    )
    result = allocate(
        counts, title_i(appropriation=150_000, ranking="grade_span", grade_spans_served=["elementary"])
    )
    schools = by_school(result)
    # M1 at 80% is above 75%, so it is served first even though only elementary schools are served.
    # Elementary average (70+40)/200 = 55%: E1 (70%) eligible, E2 (40%) not.
    # Middle average (80+72+20)/300 = 57.3%: M2 (72%) is eligible but middle schools are not served.
    assert schools.loc[["M1", "E1"], "service_order"].tolist() == [1, 2]
    assert schools.loc[["M1", "E1", "M2"], "eligibility_basis"].tolist() == [
        "above_75_percent",
        "grade_span_average",
        "grade_span_average",
    ]
    assert schools.loc[["M1", "E1", "M2", "E2", "M3"], "is_served"].tolist() == [True, True, False, False, False]
    assert bool(schools.at["M2", "is_eligible"]) and schools.at["M2", "service_order"] is pd.NA
    # 80 + 70 = 150 children share $150,000: $1,000 each.
    assert schools.at["M1", "allocation_cents"] == 8_000_000
    assert schools.at["E1", "allocation_cents"] == 7_000_000
    assert schools.at["M1", "explanation"] == (
        "Served 1st: 80.0% poverty is above 75%; 80 low-income children x $1,000.000000 = $80,000.00"
    )
    assert schools.at["M2", "explanation"] == (
        "Eligible but not served: 72.0% poverty is at or above the middle-school average of 57.3%, "
        "but only elementary schools are served under grade-span ranking"
    )


def test_75_and_high_school_50_percent_thresholds_need_a_rate_strictly_above_them():
    counts = school_counts(
        ("M1", "middle", 100, 75),
        ("M2", "middle", 100, 76),
        ("H1", "high", 100, 51),
        ("H2", "high", 100, 50),
        ("E1", "elementary", 100, 60),
        ("E2", "elementary", 100, 20),
    )
    formula = title_i(
        appropriation=187_000, ranking="grade_span", grade_spans_served=["elementary"], high_school_threshold=50
    )
    schools = by_school(allocate(counts, formula))
    # M2 76% > 75% and H1 51% > 50% (high school) are served first, then E1 60% >= elementary
    # average 80/200 = 40%. M1 at exactly 75% is not above 75% and is below the middle average
    # 151/200 = 75.5%; H2 at exactly 50% is below the high average 101/200 = 50.5%.
    assert schools.loc[["M2", "H1", "E1"], "eligibility_basis"].tolist() == [
        "above_75_percent",
        "high_school_above_50_percent",
        "grade_span_average",
    ]
    assert schools.loc[["M2", "H1", "E1"], "service_order"].tolist() == [1, 2, 3]
    assert schools.loc[["M1", "H2", "E2"], "eligibility_basis"].tolist() == [None, None, None]
    # 76 + 51 + 60 = 187 children share $187,000: $1,000 each.
    assert schools.loc[["M2", "H1", "E1"], "allocation_cents"].tolist() == [7_600_000, 5_100_000, 6_000_000]
    assert schools.at["M1", "explanation"] == "Not served: 75.0% poverty is below the middle-school average of 75.5%"
    assert schools.at["H2", "explanation"] == (
        "Not served: 50.0% poverty is below the high-school average of 50.5% and not above 50%"
    )


def test_thirty_five_percent_option_serves_a_school_at_exactly_35_percent_below_the_average():
    counts = school_counts(
        ("S1", "elementary", 100, 60),
        ("S2", "elementary", 100, 50),
        ("S3", "elementary", 100, 35),
        ("S4", "elementary", 100, 10),
    )
    # District average 155/400 = 38.75%: S3 at exactly 35% is below it.
    without = by_school(allocate(counts, title_i(appropriation=145_000)))
    assert not without.at["S3", "is_eligible"]
    assert without.at["S3", "explanation"] == "Not served: 35.0% poverty is below the district average of 38.8%"

    result = allocate(counts, title_i(appropriation=145_000, thirty_five_percent_option=True))
    schools = by_school(result)
    assert schools.at["S3", "eligibility_basis"] == "thirty_five_percent"
    assert schools.at["S3", "service_order"] == 3
    # 60 + 50 + 35 = 145 children share $145,000: $1,000 each; S3 gets 35 x $1,000.
    assert schools.at["S3", "allocation_cents"] == 3_500_000
    # 35% is not below 35%, so the 125% rule does not apply.
    assert result.summary["rule_125_applies"] is False
    assert schools.at["S4", "explanation"] == (
        "Not served: 10.0% poverty is below the district average of 38.8% and below 35%"
    )


# ---------------------------------------------------------------------------------------------
# 125% rule
# ---------------------------------------------------------------------------------------------


def test_125_percent_rule_stops_serving_before_a_school_below_35_percent():
    counts = school_counts(
        ("S1", "elementary", 100, 50),
        ("S2", "elementary", 100, 30),
        ("S3", "elementary", 100, 0),
    )
    result = allocate(counts, title_i(appropriation=80_000))
    schools = by_school(result)
    # District average 80/300 = 26.7%, so S1 (50%) and S2 (30%) are eligible.
    # LEA per-child amount $80,000 / 80 children = $1,000; floor 1.25 x $1,000 = $1,250.
    # Serving S1 alone: $80,000 / 50 = $1,600 per child (rule does not apply: 50% >= 35%).
    # Adding S2 (30% < 35%): $80,000 / 80 = $1,000 < $1,250, so S2 is not served.
    assert result.summary["lea_per_child_amount"] == 1000.0
    assert result.summary["rule_125_floor"] == 1250.0
    assert result.summary["schools_served"] == 1
    assert schools.at["S1", "per_child_amount"] == 1600.0
    assert schools.at["S1", "allocation_cents"] == 8_000_000
    assert schools.at["S2", "service_order"] == 2 and not schools.at["S2", "is_served"]
    assert schools.at["S2", "explanation"] == (
        "Eligible but not served: serving it would put the per-child amount below the 125% floor of $1,250.00"
    )


def test_125_percent_rule_does_not_bind_when_every_served_school_is_at_least_35_percent():
    counts = school_counts(
        ("S1", "elementary", 100, 60),
        ("S2", "elementary", 100, 40),
        ("S3", "elementary", 100, 0),
    )
    result = allocate(counts, title_i(appropriation=100_000))
    schools = by_school(result)
    # District average 100/300 = 33.3%: S1 and S2 eligible, both >= 35%.
    # Per child $100,000 / 100 = $1,000, below the floor 1.25 x $1,000 = $1,250, which is allowed
    # because no served school is below 35%.
    assert result.summary["rule_125_floor"] == 1250.0
    assert result.summary["rule_125_applies"] is False
    assert schools.loc[["S1", "S2"], "per_child_amount"].tolist() == [1000.0, 1000.0]
    assert schools.loc[["S1", "S2"], "allocation_cents"].tolist() == [6_000_000, 4_000_000]


def test_no_school_served_leaves_the_available_amount_unallocated():
    counts = school_counts(("S1", "elementary", 100, 80))
    result = allocate(counts, title_i(appropriation=1_000, minimum_per_child_amount=100))
    # $1,000 / 80 children = $12.50 per child, below the $100 minimum: nobody is served.
    assert result.summary["schools_served"] == 0
    assert line_amounts(result) == [("schools", "schools", 0), ("unallocated", "unallocated", 100_000)]
    assert by_school(result).at["S1", "explanation"] == (
        "Eligible but not served: serving it would put the per-child amount below the minimum of $100.00"
    )


# ---------------------------------------------------------------------------------------------
# Bands, private children, reservations, rounding
# ---------------------------------------------------------------------------------------------


def test_higher_poverty_band_gets_more_per_child():
    counts = school_counts(
        ("S1", "elementary", 100, 80),
        ("S2", "elementary", 100, 50),
        ("S3", "elementary", 100, 0),
    )
    bands = [{"min_poverty": 75, "weight": "1.5"}, {"min_poverty": 0, "weight": 1}]
    schools = by_school(allocate(counts, title_i(appropriation=170_000, poverty_bands=bands)))
    # Weighted children 1.5 x 80 + 1 x 50 = 170 share $170,000: base $1,000.
    # S1 (80% >= 75%) gets $1,500 per child x 80 = $120,000; S2 gets $1,000 x 50 = $50,000.
    assert schools.loc[["S1", "S2"], "per_child_amount"].tolist() == [1500.0, 1000.0]
    assert schools.loc[["S1", "S2"], "allocation_cents"].tolist() == [12_000_000, 5_000_000]


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        # 1.0 at 75% but 1.2 at 0%: lower-poverty schools would get more per child.
        ([{"min_poverty": 75, "weight": 1}, {"min_poverty": 0, "weight": "1.2"}], "must not rise as poverty falls"),
        ([{"min_poverty": 50, "weight": 1}], "must include a band with min_poverty 0"),
    ],
    ids=["weights_rise_as_poverty_falls", "no_zero_band"],
)
def test_invalid_poverty_bands_are_rejected(bands, message):
    with pytest.raises(ValidationError, match=message):
        title_i(appropriation=1_000, poverty_bands=bands)


def test_private_school_children_generate_funds_tracked_as_private():
    counts = school_counts(
        ("S1", "elementary", 100, 60, 20),
        ("S2", "elementary", 100, 40),
        ("S3", "elementary", 100, 20),
    )
    schools = by_school(allocate(counts, title_i(appropriation=120_000)))
    # District average 120/300 = 40%: S1 and S2 eligible. Children: S1 60 + 20 private = 80, S2 40.
    # $120,000 / 120 = $1,000 each: S1 $80,000 of which 80,000 x 20/80 = $20,000 private.
    assert schools.at["S1", "allocation_cents"] == 8_000_000
    assert schools.at["S1", "allocation_private_cents"] == 2_000_000
    assert schools.at["S1", "allocation_public_cents"] == 6_000_000
    assert schools.at["S2", "allocation_private_cents"] == 0
    assert schools.at["S1", "explanation"] == (
        "Served 1st: 60.0% poverty is at or above the district average of 40.0%; "
        "80 low-income children (60 public, 20 private) x $1,000.000000 = $80,000.00"
    )


def test_private_share_rounds_half_up_to_the_cent():
    counts = school_counts(("S1", "elementary", 2, 1, 1))
    schools = by_school(allocate(counts, title_i(appropriation="100.01")))
    # One school gets all 10,001 cents; 1 of its 2 children is private: 5,000.5 -> 5,001 cents.
    assert schools.at["S1", "allocation_cents"] == 10_001
    assert schools.at["S1", "allocation_private_cents"] == 5_001
    assert schools.at["S1", "allocation_public_cents"] == 5_000


def test_reservations_by_amount_and_percent_come_off_the_top():
    counts = school_counts(("S1", "elementary", 100, 94))
    reservations = [
        {"name": "administration", "amount": 5_000},
        {"name": "parent_and_family_engagement", "percent": 1},
    ]
    result = allocate(counts, title_i(appropriation=100_000, reservations=reservations))
    # $5,000 + 1% of $100,000 = $6,000 reserved; $94,000 left for 94 children = $1,000 each.
    assert line_amounts(result) == [
        ("reservation", "administration", 500_000),
        ("reservation", "parent_and_family_engagement", 100_000),
        ("schools", "schools", 9_400_000),
        ("unallocated", "unallocated", 0),
    ]
    assert result.summary["reserved_cents"] == 600_000
    assert result.summary["available_cents"] == 9_400_000
    assert by_school(result).at["S1", "per_child_amount"] == 1000.0


def test_reservations_exceeding_the_appropriation_are_rejected_with_the_config():
    # $600 + 50% of $1,000 = $1,100 > $1,000: caught when the formula is read, not mid-build.
    with pytest.raises(ValueError, match=r"the reservations \(1,100.00\) exceed the appropriation \(1,000.00\)"):
        title_i(
            appropriation=1_000,
            reservations=[{"name": "administration", "amount": 600}, {"name": "homeless", "percent": 50}],
        )


def test_a_budget_cap_above_what_the_reservations_leave_is_rejected():
    # $10,000 less 10% leaves $9,000: a cap of $9,500 could not be paid.
    with pytest.raises(ValueError, match=r"budget_cap \(9,500.00\) exceeds .* \(9,000.00\)"):
        WeightedStudentFormula(
            method="weighted_student_formula", base_amount=100, appropriation=10_000,
            reservations=[{"name": "administration", "percent": 10}], budget_cap=9_500,
        )


def test_largest_remainder_splits_100_dollars_three_ways_to_the_cent():
    # 10,000 cents / 3 = 3,333.33 each: floors 9,999, the 1 missing cent goes to the first.
    assert largest_remainder_cents([Fraction(10_000, 3)] * 3, 10_000) == [3_334, 3_333, 3_333]
    # Three identical schools (50 of 100 low-income) sharing $100: order A, B, C by id.
    counts = school_counts(*[(school, "elementary", 100, 50) for school in "CBA"])
    result = allocate(counts, title_i(appropriation=100))
    assert result.schools["allocation_cents"].tolist() == [3_334, 3_333, 3_333]
    assert result.schools["school_id"].tolist() == ["A", "B", "C"]


def test_largest_remainder_gives_missing_cents_to_largest_fractions_and_rejects_overfull_floors():
    # Floors 1 + 2 + 3 = 6 of 7: the one missing cent goes to 2.7 (largest fraction .7).
    quotas = [Fraction("1.2"), Fraction("2.7"), Fraction("3.1")]
    assert largest_remainder_cents(quotas, 7) == [1, 3, 3]
    # Floors 5 + 6 = 11 already exceed 10.
    with pytest.raises(ValueError, match="exceed the total"):
        largest_remainder_cents([Fraction(5), Fraction(6)], 10)


# ---------------------------------------------------------------------------------------------
# Weighted student formula
# ---------------------------------------------------------------------------------------------

WEIGHTED_COUNTS = school_counts(
    ("A", "elementary", 100, 40, 0, 10),
    ("B", "elementary", 200, 20, 0, 0),
)
WEIGHTED_OPTIONS = {
    "base_amount": 5_000,
    "weights": {"economically_disadvantaged": "0.5", "english_learner": "0.2"},
    "concentration_threshold": 40,
    "concentration_weight": "0.1",
}


def test_weighted_formula_without_a_cap_pays_base_times_weighted_students():
    result = allocate(WEIGHTED_COUNTS, weighted(appropriation=2_000_000, **WEIGHTED_OPTIONS))
    schools = by_school(result)
    # A: 100 + 0.5 x 40 + 0.2 x 10 + 0.1 x 40 (40% >= 40% threshold) = 126 x $5,000 = $630,000.
    # B: 200 + 0.5 x 20 + 0.2 x 0 (10% poverty, no concentration)   = 210 x $5,000 = $1,050,000.
    assert schools.loc[["A", "B"], "allocation_cents"].tolist() == [63_000_000, 105_000_000]
    # Per enrolled student: $630,000 / 100 = $6,300; $1,050,000 / 200 = $5,250.
    assert schools.loc[["A", "B"], "per_child_amount"].tolist() == [6300.0, 5250.0]
    # $2,000,000 - $1,680,000 = $320,000 left.
    assert line_amounts(result) == [("schools", "schools", 168_000_000), ("unallocated", "unallocated", 32_000_000)]
    assert schools.at["A", "explanation"] == (
        "Allocated $630,000.00: 126 weighted students (100 enrolled + 0.5 x 40 economically disadvantaged "
        "+ 0.2 x 10 English learners + 0.1 x 40 low-income (poverty at or above 40%)) x $5,000.00"
    )


def test_weighted_formula_scales_down_to_the_budget_cap():
    # Raw total $1,680,000 (see the test above).
    # Cap from the appropriation: $1,100,000 - $100,000 reserved = $1,000,000, scale 1,000/1,680:
    # A $630,000 x 1,000/1,680 = $375,000; B $1,050,000 x 1,000/1,680 = $625,000.
    formula = weighted(
        appropriation=1_100_000, reservations=[{"name": "administration", "amount": 100_000}], **WEIGHTED_OPTIONS
    )
    result = allocate(WEIGHTED_COUNTS, formula)
    assert by_school(result).loc[["A", "B"], "allocation_cents"].tolist() == [37_500_000, 62_500_000]
    assert sum(amount for _, _, amount in line_amounts(result)) == 110_000_000
    assert result.summary["unallocated_cents"] == 0
    # Explicit cap $840,000 = half of $1,680,000: A $315,000, B $525,000.
    capped = allocate(WEIGHTED_COUNTS, weighted(budget_cap=840_000, **WEIGHTED_OPTIONS))
    assert by_school(capped).loc[["A", "B"], "allocation_cents"].tolist() == [31_500_000, 52_500_000]


def test_weighted_formula_rounds_the_uncapped_total_half_up_to_the_cent():
    counts = school_counts(("A", "elementary", 1, 1), ("B", "elementary", 1, 1))
    formula = weighted(base_amount="0.01", weights={"economically_disadvantaged": "0.5"})
    # Each school: (1 + 0.5 x 1) x 1 cent = 1.5 cents; total 3 cents; the spare cent goes to A (ties: first).
    assert allocate(counts, formula).schools["allocation_cents"].tolist() == [2, 1]


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


def test_funding_config_reads_both_methods_and_rejects_bad_lines():
    config = FundingConfig(
        formulas=[
            {"method": "title_i", "appropriation": 1_000},
            {"method": "weighted_student_formula", "base_amount": 100},
        ]
    )
    assert [type(formula) for formula in config.formulas] == [TitleIFormula, WeightedStudentFormula]
    with pytest.raises(ValidationError, match="formula names must be unique"):
        FundingConfig(formulas=[{"method": "title_i", "appropriation": 1_000}] * 2)
    with pytest.raises(ValidationError, match="exactly one of amount or percent"):
        Reservation(name="administration", amount=10, percent=1)
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        Reservation(name="administration", percent=101)


# ---------------------------------------------------------------------------------------------
# Invariants over random districts
# ---------------------------------------------------------------------------------------------


def random_counts(rng: np.random.Generator) -> pd.DataFrame:
    n = int(rng.integers(1, 20))
    enrollment = rng.integers(0, 900, n) * (rng.random(n) > 0.05)
    low_income = rng.binomial(enrollment, rng.random(n))
    return pd.DataFrame(
        {
            "school_id": [f"S{i:02d}" for i in range(n)],
            "grade_span": rng.choice(["elementary", "middle", "high"], n),
            "enrollment": enrollment,
            "low_income_public": low_income,
            "low_income_private": rng.integers(0, 30, n) * (rng.random(n) < 0.3),
            "english_learners": rng.binomial(enrollment, 0.15),
            "students_with_disabilities": rng.binomial(enrollment, 0.12),
        }
    )


def random_reservations(rng: np.random.Generator, appropriation: int) -> list[dict]:
    reservations = []
    for i in range(int(rng.integers(0, 4))):
        if rng.random() < 0.5:
            reservations.append({"name": f"r{i}", "percent": f"{rng.integers(0, 1500) / 100:.2f}"})
        else:
            reservations.append({"name": f"r{i}", "amount": f"{rng.integers(0, appropriation * 10) / 100:.2f}"})
    return reservations


def random_title_i(rng: np.random.Generator) -> TitleIFormula:
    appropriation = int(rng.integers(100, 5_000_000))
    top, middle = sorted(rng.integers(1, 100, 2), reverse=True)
    bands = [{"min_poverty": int(top), "weight": "1.4"}, {"min_poverty": int(middle), "weight": "1.2"}]
    return title_i(
        appropriation=f"{appropriation}.{rng.integers(0, 100):02d}",
        reservations=random_reservations(rng, appropriation),
        ranking=rng.choice(["district_wide", "grade_span"]),
        grade_spans_served=list(rng.choice(["elementary", "middle", "high"], int(rng.integers(1, 4)), replace=False)),
        high_school_threshold=int(rng.choice([75, 50])),
        thirty_five_percent_option=bool(rng.random() < 0.5),
        poverty_bands=[*bands[: int(rng.integers(0, 3))], {"min_poverty": 0, "weight": 1}],
        rule_125_base=rng.choice(["total_allocation", "after_reservations"]),
        minimum_per_child_amount=int(rng.integers(1, 3000)) if rng.random() < 0.3 else None,
        max_schools_served=int(rng.integers(1, 10)) if rng.random() < 0.3 else None,
    )


def exact_weight(formula: TitleIFormula, low_income: int, enrollment: int) -> Fraction:
    """Weight of the band with the largest min_poverty at or below the school's rate."""
    rate = Fraction(100 * low_income, enrollment)
    bands = [(Fraction(b.min_poverty), Fraction(b.weight)) for b in formula.poverty_bands]
    return max(band for band in bands if band[0] <= rate)[1]


def check_title_i_invariants(formula: TitleIFormula, result) -> None:
    """Assert what allocate_title_i promises, recomputed exactly from the formula and the counts."""
    schools, lines = result.schools, result.lines
    appropriation = int(Fraction(formula.appropriation) * 100)
    assert lines["amount_cents"].sum() == appropriation == result.summary["appropriation_cents"]
    assert lines["amount_cents"].iloc[-2] == schools["allocation_cents"].sum()  # the 'schools' line
    public, private = schools["allocation_public_cents"], schools["allocation_private_cents"]
    assert (public + private == schools["allocation_cents"]).all()
    assert (public >= 0).all() and (private >= 0).all()

    # Served schools are the first k of the service order, and nobody outside it is served.
    in_order = schools[schools["service_order"].notna()].sort_values("service_order")
    k = result.summary["schools_served"]
    assert in_order["is_served"].tolist() == [True] * k + [False] * (len(in_order) - k)
    assert schools["is_served"].sum() == k

    # Each served school is within a cent of its exact quota B x w c / sum(w c).
    available = appropriation - sum(
        Fraction(r.amount) * 100 if r.amount is not None else Fraction(r.percent) / 100 * appropriation
        for r in formula.reservations
    )
    low_income, enrollment = in_order["low_income_public"].tolist(), in_order["enrollment"].tolist()
    weights = [exact_weight(formula, li, n) for li, n in zip(low_income, enrollment)]
    children = (in_order["low_income_public"] + in_order["low_income_private"]).tolist()
    weighted_children = [w * c for w, c in zip(weights, children)]
    served_weight = sum(weighted_children[:k])
    if served_weight:
        for cents, wc in zip(in_order["allocation_cents"].tolist()[:k], weighted_children[:k]):
            assert abs(cents - available * wc / served_weight) < 1

    # The served set keeps to the 125% rule, the minimum and the cap; one more school would not.
    all_children = int((schools["low_income_public"] + schools["low_income_private"]).sum())
    rule_base = appropriation if formula.rule_125_base == "total_allocation" else available
    floor = Fraction(5, 4) * rule_base / all_children if all_children else None
    minimum = Fraction(formula.minimum_per_child_amount) * 100 if formula.minimum_per_child_amount else None
    below_35 = [100 * li < 35 * n for li, n in zip(low_income, enrollment)]

    def breaks_a_limit(prefix: int) -> bool:
        if formula.max_schools_served is not None and prefix > formula.max_schools_served:
            return True
        total = sum(weighted_children[:prefix])
        if not total:
            return False
        lowest = available / total * min(weights[:prefix])
        rule_applies = any(below_35[:prefix]) and floor is not None
        return (rule_applies and lowest < floor) or (minimum is not None and lowest < minimum)

    assert not any(breaks_a_limit(prefix) for prefix in range(1, k + 1))
    if k < len(in_order):
        assert breaks_a_limit(k + 1)


def test_title_i_lines_add_up_to_the_appropriation_in_random_districts():
    rng = np.random.default_rng(20260501)
    stopped_by = {"125% floor": 0, "minimum of": 0, "at most": 0}
    for _ in range(200):
        formula = random_title_i(rng)
        result = allocate(random_counts(rng), formula)
        check_title_i_invariants(formula, result)
        explanations = " ".join(result.schools["explanation"])
        for limit in stopped_by:
            stopped_by[limit] += limit in explanations
    # The generated districts do run into every limit on serving more schools.
    assert all(stopped_by.values()), stopped_by


def test_weighted_lines_add_up_to_the_appropriation_in_random_districts():
    rng = np.random.default_rng(7)
    for _ in range(100):
        counts = random_counts(rng)
        appropriation = int(rng.integers(100, 20_000_000))
        formula = weighted(
            base_amount=f"{rng.integers(0, 1_000_000) / 100:.2f}",
            weights={
                "economically_disadvantaged": "0.35",
                "english_learner": "0.2",
                "students_with_disabilities": "0.9",
            },
            concentration_threshold=int(rng.integers(0, 100)),
            concentration_weight="0.15",
            appropriation=appropriation,
            reservations=random_reservations(rng, appropriation),
            # Reservations take at most 75% (see random_reservations), so a cap of 25% always fits.
            budget_cap=f"{rng.integers(0, appropriation * 25) / 100:.2f}" if rng.random() < 0.5 else None,
        )
        result = allocate(counts, formula)
        assert result.lines["amount_cents"].sum() == appropriation * 100
        assert result.summary["unallocated_cents"] >= 0
        assert (result.schools["allocation_cents"] >= 0).all()
        if formula.budget_cap is not None:
            assert result.summary["allocated_cents"] <= formula.budget_cap * 100
