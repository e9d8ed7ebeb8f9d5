"""Grade 1-2 sampling: sample sizes, reproducible draws, estimates with intervals, and coverage."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import hypergeom
from statsmodels.stats.weightstats import DescrStatsW

from analytics.sampling import (
    allocate_proportional,
    draw_key,
    draw_order,
    estimate_cells,
    hypergeometric_interval,
    sample_size,
    simulate_coverage,
    z_value,
)


def one_stratum(N: int, n: int, x: int, cell: str = "a") -> dict:
    return {"cell": cell, "stratum": 1, "population_n": N, "assessed_n": n, "n_proficient": x,
            "score_mean": 500.0 if n > 0 else math.nan, "score_var": 100.0 if n > 1 else math.nan}


def brute_force_interval(N: int, n: int, x: int, confidence: float) -> tuple[float, float]:
    """The definition, one M at a time: the smallest M with P(X >= x) >= alpha/2 and the largest
    M with P(X <= x) >= alpha/2, X ~ hypergeometric(population N, M successes, n draws)."""
    half_alpha = (1 - confidence) / 2
    lower = min(M for M in range(N + 1) if hypergeom.sf(x - 1, N, M, n) >= half_alpha)
    upper = max(M for M in range(N + 1) if hypergeom.cdf(x, N, M, n) >= half_alpha)
    return lower / N, upper / N


# --- sample sizes and allocation ---------------------------------------------------------------

def test_z_value_for_95_percent_is_1_96():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)


def test_sample_size_for_60_students_at_10_points_is_38():
    # n0 = 1.96^2 x 0.5 x 0.5 / 0.10^2 = 96.04; n = ceil(96.04 / (1 + 95.04 / 60)) = ceil(37.19) = 38
    assert sample_size(60, margin_of_error=0.10, confidence=0.95) == 38


def test_sample_size_is_vectorised_and_takes_everyone_below_the_minimum():
    # N=0 -> 0; N=5 < minimum 10 -> all 5; N=60 -> 38 (above);
    # N=1000 -> ceil(96.04 / (1 + 95.04 / 1000)) = ceil(87.70) = 88
    sizes = sample_size([0, 5, 60, 1000], margin_of_error=0.10, confidence=0.95, minimum=10)
    assert sizes.tolist() == [0, 5, 38, 88]
    # minimum 40 lifts 38 to 40; maximum 50 caps 88; N=5 stays 5
    sizes = sample_size([5, 60, 1000], margin_of_error=0.10, confidence=0.95, minimum=40, maximum=50)
    assert sizes.tolist() == [5, 40, 50]


def test_allocate_proportional_hands_left_over_units_to_largest_remainder_lower_index_first():
    # N = 100, n = 15: quotas 7.5, 4.5, 3.0 -> floors 7, 4, 3 = 14; the 1 left over goes to the
    # largest fractional part, a tie of .5 and .5 -> the lower index, stratum 0: [8, 4, 3]
    assert allocate_proportional(np.array([50, 30, 20]), 15).tolist() == [8, 4, 3]


def test_allocate_proportional_raises_small_strata_to_two_or_their_size():
    # N = 104, n = 10: quotas 9.615, 0.288, 0.096 -> floors 9, 0, 0; the 1 left over -> stratum 0 (.615)
    # -> [10, 0, 0]; then each raised to min(2, N_h): [10, 2, 1] (total 13 > 10)
    assert allocate_proportional(np.array([100, 3, 1]), 10).tolist() == [10, 2, 1]
    # n above the population: everyone
    assert allocate_proportional(np.array([5, 7]), 100).tolist() == [5, 7]


# --- reproducible draw -------------------------------------------------------------------------

def test_draw_key_is_the_first_15_hex_digits_of_sha256():
    expected = int(hashlib.sha256(b"spring-2026|2026|1|S001").hexdigest()[:15], 16)
    assert draw_key("spring-2026", "2026", "1", "S001") == expected
    assert expected < 2**63  # fits a signed 64-bit integer in SQL


def test_draw_order_ranks_students_by_their_hash_within_each_group_and_is_reproducible():
    frame = pd.DataFrame(
        {"school_year": [2026] * 7, "grade": [1, 2, 1, 1, 2, 1, 2],
         "student_id": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]},
        index=[70, 10, 40, 20, 60, 30, 50],
    )
    order = draw_order(frame, "seed-A", ["school_year", "grade"], "student_id")

    # Direct computation: in each grade, sort the students by sha256("seed-A|2026|<grade>|<id>")
    def key(grade: int, student: str) -> int:
        return int(hashlib.sha256(f"seed-A|2026|{grade}|{student}".encode()).hexdigest()[:15], 16)

    expected = {}
    for grade in (1, 2):
        students = frame.loc[frame["grade"] == grade, "student_id"].tolist()
        for position, student in enumerate(sorted(students, key=lambda s: (key(grade, s), s)), start=1):
            expected[student] = position
    assert order.index.tolist() == frame.index.tolist()
    assert dict(zip(frame["student_id"], order)) == expected
    assert sorted(order[frame["grade"] == 1]) == [1, 2, 3, 4]
    assert sorted(order[frame["grade"] == 2]) == [1, 2, 3]
    assert draw_order(frame, "seed-A", ["school_year", "grade"], "student_id").equals(order)
    assert not draw_order(frame, "seed-B", ["school_year", "grade"], "student_id").equals(order)


def test_t_interval_for_26_proficient_of_40_sampled_from_120():
    cells = estimate_cells(pd.DataFrame([one_stratum(120, 40, 26)]), ["cell"], confidence=0.95)
    row = cells.iloc[0]
    # p = 26/40 = 0.65; se = sqrt((1 - 40/120) x 0.65 x 0.35 / 39) = 0.0623610; df = 40 - 1 = 39;
    # t(39, 0.975) = 2.022691; 0.65 -+ 2.022691 x 0.0623610 = 0.65 -+ 0.126137 = [0.523863, 0.776137]
    assert row["estimate"] == pytest.approx(0.65)
    assert row["standard_error"] == pytest.approx(0.0623610, abs=1e-7)
    assert row["degrees_of_freedom"] == 39
    assert row["ci_lower"] == pytest.approx(0.523863, abs=1e-6)
    assert row["ci_upper"] == pytest.approx(0.776137, abs=1e-6)
    assert row["ci_method"] == "t_fpc"
    # score se = sqrt((1 - 40/120) x 100 / 40) = sqrt(1.6667) = 1.290994
    assert row["mean_scale_score"] == 500.0
    assert row["mean_scale_score_se"] == pytest.approx(1.290994, abs=1e-6)


@pytest.mark.parametrize(("N", "n", "x"), [(120, 40, 26), (75, 25, 9), (300, 60, 51)])
def test_t_interval_is_statsmodels_interval_with_finite_population_correction(N, n, x):
    # statsmodels' t interval on the 0/1 data has half-width t x sqrt(p(1-p)/(n-1)) (no FPC);
    # scaling it by sqrt(1 - n/N) gives ours.
    data = np.r_[np.ones(x), np.zeros(n - x)]
    low, high = DescrStatsW(data).tconfint_mean(alpha=0.05)
    half_width = (high - low) / 2 * math.sqrt(1 - n / N)
    row = estimate_cells(pd.DataFrame([one_stratum(N, n, x)]), ["cell"], confidence=0.95).iloc[0]
    assert row["ci_lower"] == pytest.approx(x / n - half_width, abs=1e-12)
    assert row["ci_upper"] == pytest.approx(x / n + half_width, abs=1e-12)


def test_stratified_estimate_weights_strata_by_population():
    strata = pd.DataFrame(
        [
            {"cell": "s", "stratum": "A", "population_n": 100, "assessed_n": 20, "n_proficient": 10,
             "score_mean": 500.0, "score_var": 400.0},
            {"cell": "s", "stratum": "B", "population_n": 50, "assessed_n": 10, "n_proficient": 8,
             "score_mean": 530.0, "score_var": 900.0},
        ]
    )
    row = estimate_cells(strata, ["cell"], confidence=0.95).iloc[0]
    # W = 100/150, 50/150 = 2/3, 1/3; p = 0.5, 0.8; estimate = 2/3 x 0.5 + 1/3 x 0.8 = 0.6
    # se^2 = (4/9)(1 - 0.2)(0.25)/19 + (1/9)(1 - 0.2)(0.16)/9 = 0.0046784 + 0.0015802 = 0.0062586
    # se = 0.0791114; df = 30 - 2 = 28, t(28, 0.975) = 2.048407 -> 0.6 -+ 0.162052
    assert (row["population_n"], row["assessed_n"], row["n_proficient"], row["n_strata"]) == (150, 30, 18, 2)
    assert row["estimate"] == pytest.approx(0.6)
    assert row["standard_error"] == pytest.approx(0.0791114, abs=1e-7)
    assert row["degrees_of_freedom"] == 28
    assert row["ci_lower"] == pytest.approx(0.437948, abs=1e-6)
    assert row["ci_upper"] == pytest.approx(0.762052, abs=1e-6)
    # mean = 2/3 x 500 + 1/3 x 530 = 510; se^2 = (4/9)(0.8)(400)/20 + (1/9)(0.8)(900)/10 = 7.1111 + 8 = 15.1111
    assert row["mean_scale_score"] == pytest.approx(510.0)
    assert row["mean_scale_score_se"] == pytest.approx(3.887301, abs=1e-6)


def test_census_has_no_error_and_a_single_student_or_nobody_leaves_it_unknown():
    strata = pd.DataFrame(
        [
            one_stratum(30, 30, 12, cell="census"),      # 12/30 = 0.4 exactly, se 0
            one_stratum(20, 1, 1, cell="one_student"),   # 1/1 = 1.0, variance needs n_h >= 2
            one_stratum(25, 0, 0, cell="nobody"),
            one_stratum(40, 0, 0, cell="stratum_unseen"),
            {**one_stratum(60, 20, 10, cell="stratum_unseen"), "stratum": 2},
        ]
    )
    cells = estimate_cells(strata, ["cell"], confidence=0.95).set_index("cell")
    assert cells.loc["census", ["estimate", "standard_error", "ci_lower", "ci_upper"]].tolist() == [0.4, 0.0, 0.4, 0.4]
    assert cells.loc["census", "mean_scale_score_se"] == 0.0
    assert cells.loc["one_student", "estimate"] == 1.0
    assert cells.loc["one_student", ["standard_error", "ci_lower", "ci_upper"]].isna().all()
    assert cells.loc["nobody", ["estimate", "standard_error", "ci_lower", "ci_upper", "mean_scale_score"]].isna().all()
    # a stratum of 40 with nobody assessed: its share of the cell cannot be estimated
    assert cells.loc["stratum_unseen", ["estimate", "standard_error"]].isna().all()
    exact = estimate_cells(strata, ["cell"], confidence=0.95, ci_method="hypergeometric").set_index("cell")
    assert exact.loc["census", ["ci_lower", "ci_upper"]].tolist() == [0.4, 0.4]
    assert exact.loc["one_student", ["ci_lower", "ci_upper"]].isna().all()


@pytest.mark.parametrize(
    ("N", "n", "x", "confidence"),
    [(120, 40, 26, 0.95), (120, 40, 0, 0.95), (120, 40, 40, 0.95), (30, 10, 3, 0.90), (50, 1, 1, 0.95),
     (10, 10, 4, 0.95), (7, 0, 0, 0.95), (200, 150, 149, 0.99)],
)
def test_hypergeometric_interval_matches_brute_force_over_every_M(N, n, x, confidence):
    assert hypergeometric_interval(N, n, x, confidence) == brute_force_interval(N, n, x, confidence)


def test_hypergeometric_interval_arrays_match_the_scalars():
    N, n, x = np.array([120, 30, 10]), np.array([40, 10, 10]), np.array([26, 3, 4])
    lower, upper = hypergeometric_interval(N, n, x, 0.95)
    assert list(zip(lower, upper)) == [hypergeometric_interval(*args, 0.95) for args in zip(N, n, x)]


def test_hypergeometric_interval_contains_the_estimate_and_narrows_to_it_as_n_reaches_N():
    # p = 0.65 at n = 40, 80, 100, 120 of N = 120 (x = 26, 52, 65, 78)
    widths = []
    for n, x in [(40, 26), (80, 52), (100, 65), (120, 78)]:
        lower, upper = hypergeometric_interval(120, n, x, 0.95)
        assert lower <= 0.65 <= upper
        widths.append(upper - lower)
    assert widths[0] > widths[1] > widths[2] > widths[3] == 0
    # census: degenerate at 78/120 = 0.65
    assert hypergeometric_interval(120, 120, 78, 0.95) == (0.65, 0.65)


def test_hypergeometric_method_applies_to_one_stratum_cells_and_others_fall_back_to_t():
    strata = pd.DataFrame(
        [
            one_stratum(120, 40, 26, cell="single"),
            {"cell": "two", "stratum": "A", "population_n": 100, "assessed_n": 20, "n_proficient": 10,
             "score_mean": 500.0, "score_var": 400.0},
            {"cell": "two", "stratum": "B", "population_n": 50, "assessed_n": 10, "n_proficient": 8,
             "score_mean": 530.0, "score_var": 900.0},
        ]
    )
    cells = estimate_cells(strata, ["cell"], confidence=0.95, ci_method="hypergeometric").set_index("cell")
    assert cells.loc["single", "ci_method"] == "hypergeometric"
    assert (cells.loc["single", "ci_lower"], cells.loc["single", "ci_upper"]) == brute_force_interval(120, 40, 26, 0.95)
    # the two-stratum cell keeps the t interval of the hand example above: 0.6 -+ 0.162052
    assert cells.loc["two", "ci_method"] == "t_fpc"
    assert cells.loc["two", "ci_lower"] == pytest.approx(0.437948, abs=1e-6)
    with pytest.raises(ValueError, match="ci_method"):
        estimate_cells(strata, ["cell"], confidence=0.95, ci_method="wilson")


# --- coverage simulation -----------------------------------------------------------------------

def generated_population(cells: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells of 40..150 students, each proficient with a cell rate drawn from 0.3..0.8."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(40, 151, cells)
    cell = np.repeat(np.arange(cells), sizes)
    rates = rng.uniform(0.3, 0.8, cells)
    population = pd.DataFrame(
        {
            "school_id": [f"S{c:03d}" for c in cell],
            "grade": 1,
            "is_proficient": rng.random(cell.size) < rates[cell],
            "scale_score": rng.normal(500, 40, cell.size),
        }
    )
    return population, sizes


@pytest.mark.parametrize(("ci_method", "low", "high"), [("t_fpc", 0.92, 0.98), ("hypergeometric", 0.95, 0.98)])
def test_simulated_coverage_is_near_the_nominal_95_percent(ci_method, low, high):
    # The exact hypergeometric interval covers at least 95% for every M by construction (conservative);
    # the t interval is approximate. Averages over 100 cells x 2000 draws have a standard error ~0.0005.
    population, sizes = generated_population(100, seed=3)
    result = simulate_coverage(population, ["school_id", "grade"], draws=2000, seed=9, margin_of_error=0.10,
                               confidence=0.95, minimum=0, maximum=None, ci_method=ci_method)
    assert len(result) == 100
    assert result["population_n"].tolist() == sizes.tolist()
    assert result["sample_n"].tolist() == sample_size(sizes, 0.10, 0.95).tolist()
    assert low <= result["coverage"].mean() <= high
    # each draw's estimate is unbiased: sd of p-hat <= sqrt(0.25 / 29) = 0.093, over 2000 draws
    # 0.093 / sqrt(2000) = 0.0021, so every cell's bias is well within 0.01
    assert result["bias"].abs().max() < 0.01
    assert result["mean_scale_score_bias"].abs().max() < 2.0  # sd 40 / sqrt(29) / sqrt(2000) = 0.17


def test_simulated_coverage_of_one_cell_matches_its_exact_coverage():
    # N = 100 with 50 proficient; n = ceil(96.04 / (1 + 95.04/100)) = ceil(49.25) = 50.
    # Drawn without replacement x ~ hypergeometric(100, 50, 50), so the exact coverage is
    # sum over x of P(X = x) for the x whose interval contains 0.5. (Draws with replacement would
    # spread x twice as widely and cover far less.)
    population = pd.DataFrame({"cell": "c", "is_proficient": np.arange(100) < 50, "scale_score": 500.0})
    result = simulate_coverage(population, ["cell"], draws=4000, seed=1, margin_of_error=0.10, confidence=0.95,
                               minimum=0, maximum=None, ci_method="hypergeometric").iloc[0]
    x = np.arange(51)
    lower, upper = hypergeometric_interval(100, 50, x, 0.95)
    exact = hypergeom.pmf(x, 100, 50, 50)[(lower <= 0.5) & (0.5 <= upper)].sum()
    assert result["sample_n"] == 50
    assert result["census_proportion"] == 0.5
    assert abs(result["coverage"] - exact) < 4 * math.sqrt(exact * (1 - exact) / 4000)


@pytest.mark.parametrize("ci_method", ["t_fpc", "hypergeometric"])
def test_cells_assessed_in_full_have_coverage_one_and_no_bias(ci_method):
    # N = 8 below the minimum of 10: every draw is the census, 3/8 proficient, interval [0.375, 0.375]
    population = pd.DataFrame(
        {"cell": "small", "is_proficient": [True] * 3 + [False] * 5, "scale_score": np.arange(8) * 10.0}
    )
    result = simulate_coverage(population, ["cell"], draws=50, seed=2, margin_of_error=0.10, confidence=0.95,
                               minimum=10, maximum=None, ci_method=ci_method).iloc[0]
    assert (result["population_n"], result["sample_n"]) == (8, 8)
    assert (result["census_proportion"], result["mean_estimate"], result["bias"]) == (0.375, 0.375, 0.0)
    assert (result["coverage"], result["mean_ci_width"]) == (1.0, 0.0)
    assert result["census_mean_scale_score"] == 35.0  # (0 + 10 + ... + 70) / 8
    assert result["mean_scale_score_bias"] == pytest.approx(0.0, abs=1e-9)


def test_simulation_is_reproducible_from_its_seed():
    population, _ = generated_population(5, seed=4)
    args = dict(keys=["school_id"], draws=200, margin_of_error=0.10, confidence=0.95, minimum=0, maximum=None,
                ci_method="t_fpc")
    first = simulate_coverage(population, seed=5, **args)
    assert first.equals(simulate_coverage(population, seed=5, **args))
    assert not first["mean_estimate"].equals(simulate_coverage(population, seed=6, **args)["mean_estimate"])
