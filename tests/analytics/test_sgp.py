"""Student growth percentiles: splines, exact quantile regressions, the percentile rule and cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from analytics import sgp
from analytics.sgp import (
    TAUS,
    bspline_basis,
    design_matrix,
    fitted_percentiles,
    growth_percentiles,
    knots_and_boundaries,
    percentiles_from_predictions,
    quantile_coefficients,
    quantile_loss,
)


def cox_de_boor(x: float, t: list[float], i: int, k: int) -> float:
    """B-spline i of degree k on knot vector t at x, by the textbook recursion.

    Intervals are closed on the left; the last non-empty one is closed on the right too.
    """
    if k == 0:
        if t[i] <= x < t[i + 1]:
            return 1.0
        return 1.0 if x == t[-1] and t[i] < t[i + 1] == t[-1] else 0.0
    left = 0.0 if t[i + k] == t[i] else (x - t[i]) / (t[i + k] - t[i]) * cox_de_boor(x, t, i, k - 1)
    right = 0.0 if t[i + k + 1] == t[i + 1] else (
        (t[i + k + 1] - x) / (t[i + k + 1] - t[i + 1]) * cox_de_boor(x, t, i + 1, k - 1))
    return left + right


def primal_optimum(X: np.ndarray, y: np.ndarray, tau: float) -> float:
    """min tau 1'u + (1-tau) 1'v subject to X b + u - v = y, u, v >= 0, b free."""
    n, p = X.shape
    cost = np.r_[np.zeros(p), np.full(n, tau), np.full(n, 1 - tau)]
    constraints = np.hstack([X, np.eye(n), -np.eye(n)])
    bounds = [(None, None)] * p + [(0, None)] * (2 * n)
    result = linprog(cost, A_eq=constraints, b_eq=y, bounds=bounds, method="highs")
    assert result.status == 0
    return result.fun


def histories(prefix: str, students: int, first_year: int, first_grade: int, years: int, seed: int) -> pd.DataFrame:
    """Math scale scores of `students` students followed for `years` years from `first_grade`.

    Each year's score is last year's plus a gain that shrinks for high scorers, plus noise;
    scores are whole numbers, so students share scores as they do in real data.
    """
    rng = np.random.default_rng(seed)
    score = rng.normal(420 + 30 * (first_grade - 3), 35, students)
    rows = []
    for k in range(years):
        if k:
            score = score + 25 - 0.15 * (score - 420) + rng.normal(0, 15, students)
        rows.append(pd.DataFrame({
            "student_id": [f"{prefix}{i:04d}" for i in range(students)],
            "school_year": first_year + k,
            "grade_level": first_grade + k,
            "subject": "math",
            "scale_score": np.round(score),
        }))
    return pd.concat(rows, ignore_index=True)


def one_cohort(students: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    scores = histories("S", students, 2024, 4, 2, seed)
    return (scores.loc[scores["school_year"] == 2024, "scale_score"].to_numpy(),
            scores.loc[scores["school_year"] == 2025, "scale_score"].to_numpy())


# --- knots and the B-spline basis -----------------------------------------------------------------

def test_knots_are_the_type_7_quintiles_rounded_to_3_decimals():
    # type 7 at p: h = (5 - 1) p; 20% -> 1 + 0.8 x 1 = 1.8; 40% -> 2 + 0.6 x 2 = 3.2;
    # 60% -> 4 + 0.4 x 3 = 5.2; 80% -> 7 + 0.2 x 4.1234 = 7.82468 -> 7.825
    knots, _ = knots_and_boundaries([11.1234, 2, 7, 1, 4, np.nan])
    assert knots.tolist() == [1.8, 3.2, 5.2, 7.825]


def test_boundaries_extend_the_score_range_by_10_percent_on_each_side():
    # range 1 .. 11.1234 is 10.1234 wide; 10% of it is 1.01234
    _, (low, high) = knots_and_boundaries([11.1234, 2, 7, 1, 4])
    assert low == pytest.approx(-0.01234, abs=1e-12)
    assert high == pytest.approx(12.13574, abs=1e-12)


def test_scores_that_are_all_equal_have_no_spline():
    with pytest.raises(ValueError, match="every score is 400"):
        knots_and_boundaries([400, 400, 400])


def test_without_interior_knots_the_basis_is_the_bernstein_polynomials():
    # R: bs(x, degree = 3, Boundary.knots = c(0, 1)) is 3x(1-x)^2, 3x^2(1-x), x^3
    x = np.array([0.0, 0.25, 0.5, 1.0])
    basis = bspline_basis(x, [], (0.0, 1.0))
    assert basis[2].tolist() == pytest.approx([0.375, 0.375, 0.125])
    assert basis[1].tolist() == pytest.approx([27 / 64, 9 / 64, 1 / 64])
    assert basis[0].tolist() == [0, 0, 0] and basis[3].tolist() == [0, 0, 1]


def test_basis_has_seven_columns_for_four_knots_and_sums_to_one_with_the_dropped_first_function():
    knots, boundary = [20.0, 40.0, 60.0, 80.0], (-10.0, 110.0)
    vector = [-10.0] * 4 + knots + [110.0] * 4
    x = np.array([-10.0, -3.0, 20.0, 33.3, 59.999, 100.0, 110.0])
    basis = bspline_basis(x, knots, boundary)
    dropped = np.array([cox_de_boor(value, vector, 0, 3) for value in x])
    assert basis.shape == (7, 7)
    assert (basis.sum(axis=1) + dropped).tolist() == pytest.approx([1.0] * 7, abs=1e-14)


def test_basis_matches_the_cox_de_boor_recursion():
    knots, boundary = [1.8, 3.2, 5.2, 7.825], (-0.01234, 12.13574)
    vector = [boundary[0]] * 4 + knots + [boundary[1]] * 4
    x = np.array([-0.01234, 0.5, 1.8, 2.5, 4.0, 5.2, 7.0, 9.9, 12.13574])
    expected = np.array([[cox_de_boor(value, vector, i, 3) for i in range(1, 8)] for value in x])
    np.testing.assert_allclose(bspline_basis(x, knots, boundary), expected, atol=1e-14)


def test_scores_outside_the_boundaries_count_as_the_boundary():
    knots, boundary = [20.0, 40.0, 60.0, 80.0], (-10.0, 110.0)
    outside = bspline_basis([-50.0, 500.0], knots, boundary)
    at_edges = bspline_basis([-10.0, 110.0], knots, boundary)
    assert outside.tolist() == at_edges.tolist()


def test_design_matrix_is_an_intercept_then_seven_spline_columns_per_prior():
    prior1, prior2 = np.array([400.0, 420.0, 450.0]), np.array([380.0, 400.0, 430.0])
    splines = [([405.0, 410.0, 420.0, 440.0], (390.0, 460.0)), ([385.0, 390.0, 400.0, 420.0], (370.0, 440.0))]
    X = design_matrix([prior1, prior2], splines)
    assert X.shape == (3, 15)
    assert X[:, 0].tolist() == [1.0, 1.0, 1.0]
    assert X[:, 1:8].tolist() == bspline_basis(prior1, *splines[0]).tolist()
    assert X[:, 8:].tolist() == bspline_basis(prior2, *splines[1]).tolist()


# --- exact quantile regressions -------------------------------------------------------------------

def two_prior_design(students: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    scores = histories("S", students, 2023, 3, 3, seed)
    by_year = {year: group["scale_score"].to_numpy() for year, group in scores.groupby("school_year")}
    splines = [knots_and_boundaries(by_year[2024]), knots_and_boundaries(by_year[2023])]
    return design_matrix([by_year[2024], by_year[2023]], splines), by_year[2025]


@pytest.mark.parametrize("priors", [1, 2])
def test_each_quantile_fit_reaches_the_optimum_of_the_primal_lp(priors):
    if priors == 1:
        prior, current = one_cohort(300, seed=7)
        X, y = design_matrix([prior], [knots_and_boundaries(prior)]), current
    else:
        X, y = two_prior_design(300, seed=8)
    taus = [0.005, 0.105, 0.5, 0.905, 0.995]
    coefficients = quantile_coefficients(X, y, taus)
    for j, tau in enumerate(taus):
        assert quantile_loss(X, y, coefficients[:, j], tau) == pytest.approx(primal_optimum(X, y, tau), rel=1e-7)


@pytest.mark.parametrize("priors", [1, 2])
def test_each_quantile_fit_passes_through_at_least_as_many_students_as_it_has_coefficients(priors):
    if priors == 1:
        prior, y = one_cohort(300, seed=9)
        X = design_matrix([prior], [knots_and_boundaries(prior)])
    else:
        X, y = two_prior_design(300, seed=10)
    coefficients = quantile_coefficients(X, y)
    on_fit = (np.abs(y[:, None] - X @ coefficients) <= 1e-9).sum(axis=0)
    assert coefficients.shape == (X.shape[1], 100)
    assert on_fit.min() >= X.shape[1]


def test_with_only_an_intercept_the_fit_is_the_sample_quantile():
    # 5 scores: the tau quantile is the ceil(5 tau)-th smallest when 5 tau is not whole
    y = np.array([7.0, 3.0, 9.0, 1.0, 4.0])
    coefficients = quantile_coefficients(np.ones((5, 1)), y, [0.1, 0.3, 0.5, 0.7, 0.9])
    assert coefficients[0].tolist() == [1.0, 3.0, 4.0, 7.0, 9.0]


def test_a_column_that_repeats_another_gets_coefficient_zero():
    x = np.arange(10.0)
    y = 2 * x + 1 + np.array([0.3, -0.2, 0.1, 0.0, -0.4, 0.2, 0.1, -0.1, 0.3, -0.3])
    alone = quantile_coefficients(np.c_[np.ones(10), x], y, [0.5])[:, 0]
    repeated = quantile_coefficients(np.c_[np.ones(10), x, x], y, [0.5])[:, 0]
    assert repeated[2] == 0.0
    assert repeated[:2] == pytest.approx(alone, abs=1e-12)


def test_a_solver_basis_through_too_few_students_is_completed_to_an_optimal_vertex(monkeypatch):
    # a degenerate basis can hold a row's slack instead of a student; pretend two students are missing
    solve = sgp._run_highs
    monkeypatch.setattr(sgp, "_run_highs", lambda highs, rhs: (lambda found: (found[0], found[1][:-2]))(solve(highs, rhs)))
    prior, y = one_cohort(200, seed=12)
    X = design_matrix([prior], [knots_and_boundaries(prior)])
    taus = [0.05, 0.5, 0.95]
    coefficients = quantile_coefficients(X, y, taus)
    for j, tau in enumerate(taus):
        assert quantile_loss(X, y, coefficients[:, j], tau) == pytest.approx(primal_optimum(X, y, tau), rel=1e-7)
        assert (np.abs(y - X @ coefficients[:, j]) <= 1e-9).sum() >= X.shape[1]


def test_fits_are_the_same_without_scipys_highs_binding(monkeypatch):
    prior, current = one_cohort(200, seed=11)
    X = design_matrix([prior], [knots_and_boundaries(prior)])
    taus = [0.005, 0.25, 0.5, 0.995]
    warm_started = quantile_coefficients(X, current, taus)
    monkeypatch.setattr(sgp, "_highs_core", None)
    through_linprog = quantile_coefficients(X, current, taus)
    for j, tau in enumerate(taus):
        assert quantile_loss(X, current, through_linprog[:, j], tau) == pytest.approx(
            quantile_loss(X, current, warm_started[:, j], tau), rel=1e-9)


# --- the percentile rule --------------------------------------------------------------------------

def test_percentile_is_the_number_of_predictions_strictly_below_the_score_from_1_to_99():
    # every student's 100 predictions are 1, 2, ..., 100 (given out of order)
    predictions = np.tile(np.random.default_rng(0).permutation(np.arange(1.0, 101.0)), (7, 1))
    observed = np.array([0.5, 1.0, 1.5, 50.0, 50.5, 100.0, 101.0])
    assert percentiles_from_predictions(predictions, observed).tolist() == [1, 1, 1, 49, 50, 99, 99]


def test_predictions_are_rounded_to_5_decimals_before_comparing():
    predictions = np.tile(np.arange(1.0, 101.0), (2, 1))
    predictions[0, 49] = 50 - 4e-6  # rounds to 50.00000: not below a score of 50
    predictions[1, 49] = 50 - 6e-6  # rounds to 49.99999: below it
    assert percentiles_from_predictions(predictions, [50.0, 50.0]).tolist() == [49, 50]


# --- growth percentiles of cohorts ----------------------------------------------------------------

def test_percentiles_spread_evenly_over_the_deciles():
    scores = histories("S", 2000, 2024, 4, 2, seed=12)
    result = growth_percentiles(scores, max_priors=1)
    shares = np.histogram(result["growth_percentile"], bins=[1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 100])[0] / 2000
    # 1-10 takes scores below the 10.5% curve (0 counts as 1), 91-99 those above the 90.5% curve
    expected = np.array([0.105] + [0.1] * 8 + [0.095])
    four_sd = 4 * np.sqrt(expected * (1 - expected) / 2000)
    assert result["growth_percentile"].notna().sum() == 2000
    assert np.all(np.abs(shares - expected) <= four_sd), shares


def test_with_the_same_prior_score_a_higher_score_never_has_a_lower_percentile():
    scores = histories("S", 1500, 2024, 4, 2, seed=13)
    # priors in steps of 10 points, so many students share one
    prior_year = scores["school_year"] == 2024
    scores.loc[prior_year, "scale_score"] = (scores.loc[prior_year, "scale_score"] / 10).round() * 10
    result = growth_percentiles(scores, max_priors=1)
    current = scores[~prior_year].merge(result, on=["student_id", "school_year", "subject", "grade_level"])
    current["prior"] = current["student_id"].map(scores[prior_year].set_index("student_id")["scale_score"])
    groups = 0
    for _, same_prior in current.groupby("prior"):
        ordered = same_prior.sort_values(["scale_score", "growth_percentile"])
        assert ordered["growth_percentile"].is_monotonic_increasing
        assert (ordered.groupby("scale_score")["growth_percentile"].nunique() == 1).all()
        groups += len(same_prior) > 1
    assert groups >= 20


@pytest.fixture(scope="module")
def district() -> pd.DataFrame:
    """Grade 5 in 2025: 400 students with last year's score, 300 of them also with 2023's;
    plus 60 grade-4 students of 2024 who left, and an older cohort in grade 4 in 2023."""
    staying = histories("A", 300, 2023, 3, 3, seed=21)
    arrived = histories("B", 100, 2024, 4, 2, seed=22)
    left = histories("C", 60, 2023, 3, 2, seed=23)
    older = histories("D", 200, 2023, 4, 2, seed=24)
    return pd.concat([staying, arrived, left, older], ignore_index=True)


@pytest.fixture(scope="module")
def district_percentiles(district) -> pd.DataFrame:
    return growth_percentiles(district, max_priors=2, min_cohort=100)


def test_students_with_two_priors_get_the_two_prior_percentile_and_keep_the_one_prior_one(
    district, district_percentiles
):
    result = district_percentiles
    one_prior = growth_percentiles(district, max_priors=1, min_cohort=100)
    grade5 = result[(result["school_year"] == 2025)].set_index("student_id")
    assert (grade5["n_priors"] == 2).sum() == 300 and grade5.loc[grade5.index.str.startswith("A"), "n_priors"].eq(2).all()
    assert (grade5["n_priors"] == 1).sum() == 100 and grade5.loc[grade5.index.str.startswith("B"), "n_priors"].eq(1).all()
    assert result["growth_percentile_order1"].tolist() == one_prior["growth_percentile"].tolist()
    single = result[result["n_priors"] == 1]
    assert single["growth_percentile"].tolist() == single["growth_percentile_order1"].tolist()
    # two priors explain more, so the two percentiles of the same student differ now and then
    assert (grade5["growth_percentile"] != grade5["growth_percentile_order1"]).sum() > 30


def test_knots_pool_every_score_of_the_prior_grade_in_the_prior_years(district, district_percentiles):
    result = district_percentiles.set_index("student_id")
    score = district.set_index(["student_id", "school_year"])["scale_score"]
    grade4 = district.loc[(district["grade_level"] == 4) & (district["school_year"] < 2025), "scale_score"]
    grade3 = district.loc[(district["grade_level"] == 3) & (district["school_year"] < 2025), "scale_score"]
    # grade 4: 460 students of 2024 (staying, arrived, left) and 200 of 2023 (older); grade 3: 360 of 2023
    assert len(grade4) == 660 and len(grade3) == 360
    ids = [f"A{i:04d}" for i in range(300)]
    cohort = [score.loc[[(i, year) for i in ids]].to_numpy() for year in (2023, 2024, 2025)]
    expected = fitted_percentiles(
        [cohort[1], cohort[0]], [knots_and_boundaries(grade4), knots_and_boundaries(grade3)], cohort[2]
    )
    grade5 = result[result["school_year"] == 2025]
    assert grade5.loc[ids, "growth_percentile"].tolist() == expected.tolist()
    # knots from the 300 students of the cohort alone would give different percentiles
    cohort_only = fitted_percentiles(
        [cohort[1], cohort[0]], [knots_and_boundaries(cohort[1]), knots_and_boundaries(cohort[0])], cohort[2]
    )
    assert cohort_only.tolist() != expected.tolist()


def test_a_two_prior_cohort_below_the_minimum_falls_back_to_the_one_prior_percentile(district):
    # 2025 grade 5: 400 with one prior, 300 with two
    result = growth_percentiles(district, max_priors=2, min_cohort=350)
    grade5 = result[result["school_year"] == 2025]
    assert len(grade5) == 400
    assert grade5["n_priors"].eq(1).all()
    assert grade5["growth_percentile"].tolist() == grade5["growth_percentile_order1"].tolist()


def test_a_cohort_below_the_minimum_gets_no_percentiles_but_its_students_are_listed(district):
    # 2024 grade 4 has 360 students with a grade 3 score (staying and left); 2025 grade 5 has 400
    result = growth_percentiles(district, max_priors=2, min_cohort=380)
    grade4 = result[(result["school_year"] == 2024) & (result["grade_level"] == 4)]
    assert len(grade4) == 360
    assert grade4[["growth_percentile", "growth_percentile_order1", "n_priors"]].isna().all().all()
    grade5 = result[result["school_year"] == 2025]
    assert grade5["growth_percentile"].notna().all() and grade5["n_priors"].eq(1).all()


def test_only_students_with_last_years_score_at_the_grade_below_are_scored():
    regular = histories("R", 60, 2024, 4, 2, seed=31)
    unusual = pd.DataFrame({
        "student_id": ["RETAINED", "RETAINED", "NEW", "SKIPPED", "SKIPPED", "GAP", "GAP"],
        "school_year": [2024, 2025, 2025, 2024, 2025, 2023, 2025],
        "grade_level": [5, 5, 5, 3, 5, 4, 5],
        "subject": "math",
        "scale_score": [470.0, 480.0, 460.0, 400.0, 470.0, 430.0, 470.0],
    })
    result = growth_percentiles(pd.concat([regular, unusual], ignore_index=True), min_cohort=20)
    assert sorted(result["student_id"]) == [f"R{i:04d}" for i in range(60)]
    assert result["growth_percentile"].notna().all()


def test_two_scores_in_the_same_subject_and_year_are_refused_naming_the_student():
    scores = histories("S", 60, 2024, 4, 2, seed=32)
    again = scores.iloc[[70]].assign(scale_score=999.0)
    with pytest.raises(ValueError, match="1 student.*more than one score.*student S0010 math 2025"):
        growth_percentiles(pd.concat([scores, again]), min_cohort=20)


def test_a_missing_scale_score_means_not_tested():
    scores = histories("S", 60, 2024, 4, 2, seed=33)
    scores.loc[(scores["student_id"] == "S0001") & (scores["school_year"] == 2024), "scale_score"] = np.nan
    scores.loc[(scores["student_id"] == "S0002") & (scores["school_year"] == 2025), "scale_score"] = np.nan
    result = growth_percentiles(scores, min_cohort=20)
    assert len(result) == 58 and not result["student_id"].isin(["S0001", "S0002"]).any()


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="missing column\\(s\\) grade_level, scale_score"):
        growth_percentiles(pd.DataFrame({"student_id": ["a"], "school_year": [2025], "subject": ["math"]}))


def test_output_has_one_row_per_student_subject_and_year_with_whole_number_columns():
    result = growth_percentiles(histories("S", 60, 2024, 4, 2, seed=34), min_cohort=20)
    assert list(result.columns) == list(sgp.OUTPUT_COLUMNS)
    assert [str(result[c].dtype) for c in ("growth_percentile", "growth_percentile_order1", "n_priors")] == ["Int64"] * 3
    assert result["growth_percentile"].between(1, 99).all()
    assert len(TAUS) == 100 and TAUS[0] == 0.005 and TAUS[-1] == pytest.approx(0.995)
