"""Student growth percentiles (Betebenner's SGP method), with exact quantile regressions.

A student's growth percentile says how their score this year compares with the scores of
students who had the same prior scores: 60 means they scored higher than 60 of the 100 score
levels predicted for students with their history.

For every (subject, school year, grade g) the current scale score is regressed on cubic B-splines
of the grade g-1 score of the year before (order 1) and, for students who also have it, the grade
g-2 score of two years before (order 2), at the 100 quantiles tau = 0.005, 0.015, ..., 0.995.

- Splines (`knots_and_boundaries`, `bspline_basis`): per subject and prior grade, interior knots
  at the 20/40/60/80th percentiles (numpy's default, R's type 7) rounded to 3 decimals and
  boundaries at the score range extended by 10% on each side, computed from every score at that
  grade in the input's prior years (a year is a prior year when the next year is in the input),
  so every cohort that uses grade 4 as a prior uses the same knots. The basis is R's
  `splines::bs(x, knots, Boundary.knots, degree = 3, intercept = FALSE)`.
- Quantile regressions (`quantile_coefficients`) are solved exactly: the LP optimum at a vertex
  (the fit passes through as many students as it has coefficients), as quantreg's
  Barrodale-Roberts method gives, with a certificate of optimality checked for every quantile.
- Percentiles (`percentiles_from_predictions`): each student's 100 predicted scores, rounded to
  5 decimals and sorted; the percentile is how many are strictly below the student's score,
  with 0 reported as 1 and 100 as 99.

`growth_percentiles` applies all this to a long table of scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline
from scipy.linalg import qr
from scipy.optimize import linprog
from scipy.sparse import csc_array

try:
    # scipy's own binding of the HiGHS solver: unlike linprog it keeps the simplex basis between
    # the 100 quantiles, which makes a 60,000-student cohort take seconds instead of minutes.
    from scipy.optimize._highspy import _core as _highs_core
except ImportError:  # pragma: no cover - depends on the scipy build
    _highs_core = None

TAUS = (np.arange(1, 101) - 0.5) / 100
KNOT_PERCENTILES = (20, 40, 60, 80)
BOUNDARY_EXTENSION = 0.1
SPLINE_DEGREE = 3
PREDICTION_DECIMALS = 5

# With 500 students the 0.5% and 99.5% curves each have about 2.5 students beyond them; below
# that the extreme percentiles say more about a handful of students than about growth.
DEFAULT_MIN_COHORT = 500

SCORE_COLUMNS = ("student_id", "school_year", "grade_level", "subject", "scale_score")
OUTPUT_COLUMNS = (
    "student_id",
    "school_year",
    "subject",
    "grade_level",
    "growth_percentile",
    "growth_percentile_order1",
    "n_priors",
)

# A residual this small relative to the largest |score| counts as zero (the fit passes through
# the student); a dual value this far outside [0, 1] fails the optimality certificate.
_ZERO_RESIDUAL = 1e-9
_DUAL_SLACK = 1e-7


# --- splines ------------------------------------------------------------------------------------

def knots_and_boundaries(values) -> tuple[np.ndarray, tuple[float, float]]:
    """Interior knots and boundary knots for the scores `values` (NaN ignored).

    Knots: the type-7 20/40/60/80th percentiles rounded to 3 decimals. Boundaries: (min, max)
    extended by 10% of max - min on each side. Raises ValueError when there are no scores or all
    are equal (no spline can be placed on a single point).
    """
    scores = np.asarray(values, dtype=float)
    scores = scores[~np.isnan(scores)]
    if scores.size == 0:
        raise ValueError("no scores to place spline knots on")
    low, high = float(scores.min()), float(scores.max())
    if high == low:
        raise ValueError(f"every score is {low}: no spline can be placed on a single value")
    knots = np.round(np.percentile(scores, KNOT_PERCENTILES), 3)
    extension = BOUNDARY_EXTENSION * (high - low)
    return knots, (low - extension, high + extension)


def bspline_basis(x, knots, boundary) -> np.ndarray:
    """The cubic B-spline basis of R's `bs(x, knots, Boundary.knots, degree=3, intercept=FALSE)`.

    The basis of the knot vector [b0]*4 + knots + [b1]*4 without its first function: an array of
    len(x) rows and len(knots) + 3 columns. x is clipped to the boundaries first.
    """
    knots = np.asarray(knots, dtype=float)
    low, high = float(boundary[0]), float(boundary[1])
    if not low < high:
        raise ValueError(f"boundary {boundary} must have its lower end below its upper end")
    if knots.size and (np.any(np.diff(knots) < 0) or knots[0] <= low or knots[-1] >= high):
        raise ValueError(f"knots {knots.tolist()} must be ascending and strictly inside {boundary}")
    vector = np.r_[[low] * (SPLINE_DEGREE + 1), knots, [high] * (SPLINE_DEGREE + 1)]
    x = np.clip(np.asarray(x, dtype=float), low, high)
    return BSpline.design_matrix(x, vector, SPLINE_DEGREE).toarray()[:, 1:]


def design_matrix(priors: Sequence, splines: Sequence[tuple[np.ndarray, tuple[float, float]]]) -> np.ndarray:
    """[1, bs(prior 1), bs(prior 2), ...]: the model matrix of one growth model.

    `splines` holds one (knots, boundary) pair per prior, as from `knots_and_boundaries`.
    """
    if len(priors) != len(splines):
        raise ValueError(f"{len(priors)} prior score column(s) but {len(splines)} spline(s)")
    n = len(priors[0]) if len(priors) else 0
    columns = [np.ones((n, 1))]
    columns += [bspline_basis(prior, knots, boundary) for prior, (knots, boundary) in zip(priors, splines)]
    return np.hstack(columns)


# --- exact quantile regression -----------------------------------------------------------------

def quantile_loss(X, y, coefficients, tau: float) -> float:
    """The check-loss objective sum(rho_tau(y - X b)) that a tau quantile regression minimises."""
    residuals = np.asarray(y, dtype=float) - np.asarray(X, dtype=float) @ np.asarray(coefficients, dtype=float)
    return float(np.sum(residuals * (tau - (residuals < 0))))


def quantile_coefficients(X, y, taus=TAUS) -> np.ndarray:
    """Exact quantile regression coefficients of y on X: an array of X.shape[1] rows, one column per tau.

    Each column minimises `quantile_loss` exactly: it is a vertex of the LP (the fitted line
    passes through at least p observations, p = number of columns of X) whose optimality is
    certified by a dual solution. The LP solved is the dual, max y'a subject to X'a = (1-tau) X'1
    and 0 <= a <= 1, by the dual simplex method, each tau starting from the previous optimal basis.
    Columns of X that depend linearly on others get coefficient 0. Raises ArithmeticError if a
    solution cannot be certified optimal.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    taus = np.atleast_1d(np.asarray(taus, dtype=float))
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be n x p and y of length n; got X {X.shape} and y {y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X and y must be finite")
    if not ((taus > 0) & (taus < 1)).all():
        raise ValueError("every tau must be strictly between 0 and 1")
    independent = _independent_columns(X)
    if X.shape[0] < independent.size:
        raise ValueError(f"{X.shape[0]} observations cannot fit {independent.size} coefficients")
    coefficients = np.zeros((X.shape[1], taus.size))
    problem = _QuantileDual(X[:, independent], y)
    for j, tau in enumerate(taus):
        coefficients[independent, j] = problem.solve(float(tau))
    return coefficients


def _independent_columns(X: np.ndarray) -> np.ndarray:
    """Indices of a largest set of linearly independent columns (QR with column pivoting)."""
    if X.shape[0] == 0:
        return np.arange(X.shape[1])
    _, r, pivots = qr(X, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int(np.sum(diagonal > max(X.shape) * np.finfo(float).eps * (diagonal[0] if diagonal.size else 0)))
    return np.sort(pivots[:rank])


class _QuantileDual:
    """The dual LP of one cohort's quantile regressions, solved for one tau after another."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.X, self.y = X, y
        self.column_sums = X.sum(axis=0)
        self.zero = _ZERO_RESIDUAL * max(1.0, float(np.abs(y).max(initial=0.0)))
        self.warm = _highs_solver(X, y) if _highs_core is not None else None

    def solve(self, tau: float) -> np.ndarray:
        rhs = (1 - tau) * self.column_sums
        attempts = [lambda: _run_highs(self.warm, rhs)] if self.warm is not None else []
        # A fresh solve with tight tolerances, for the rare tau whose warm-started basis is not certified.
        attempts.append(lambda: _solve_from_scratch(self.X, self.y, rhs))
        for attempt in attempts:
            found = attempt()
            if found is None:
                continue
            coefficients = self._vertex(*found)
            if coefficients is not None and self._is_optimal(coefficients, rhs):
                return coefficients
        raise ArithmeticError(f"the tau = {tau} quantile regression could not be certified optimal")

    def _vertex(self, coefficients: np.ndarray, basic: np.ndarray) -> np.ndarray | None:
        """The LP vertex at or next to the solver's solution: coefficients interpolating p observations.

        `basic` are the observations the solver's basis interpolates. If they are fewer than p
        (a degenerate basis), the solution moves along the face of optimal solutions, keeping
        those fits exact, until further observations are met: the objective is unchanged on that
        face, so the vertex reached is optimal too.
        """
        X, y = self.X, self.y
        p = X.shape[1]
        interpolated = _independent_rows(X, basic)
        while interpolated.size < p:
            if interpolated.size:
                direction = np.linalg.svd(X[interpolated], full_matrices=True)[2][interpolated.size]
            else:
                direction = np.eye(p)[0]
            change = X @ direction
            residuals = y - X @ coefficients
            movable = np.abs(change) > 1e-12 * np.abs(X).sum(axis=1).clip(min=1)
            movable[interpolated] = False
            if not movable.any():
                return None
            steps = np.where(movable, residuals / np.where(movable, change, 1.0), np.inf)
            nearest = int(np.argmin(np.abs(steps)))
            coefficients = coefficients + steps[nearest] * direction
            interpolated = _independent_rows(X, np.r_[interpolated, nearest])
        try:
            return np.linalg.solve(X[interpolated], y[interpolated])
        except np.linalg.LinAlgError:
            return None

    def _is_optimal(self, coefficients: np.ndarray, rhs: np.ndarray) -> bool:
        """True when a dual solution proves `coefficients` optimal.

        Complementary slackness fixes a = 1 above the fit and a = 0 below it; the students on the
        fit need values in [0, 1] that satisfy X'a = (1 - tau) X'1.
        """
        X = self.X
        residuals = self.y - X @ coefficients
        on_fit = np.abs(residuals) <= self.zero
        needed = rhs - X[residuals > self.zero].sum(axis=0)
        # Students with the same prior scores on the fit share one dual value of 0..(how many they are).
        rows, counts = np.unique(X[on_fit], axis=0, return_counts=True)
        if rows.shape[0] == X.shape[1]:
            try:
                duals = np.linalg.solve(rows.T, needed)
            except np.linalg.LinAlgError:
                return False
            return bool(np.all((duals >= -_DUAL_SLACK) & (duals <= counts + _DUAL_SLACK)))
        bounds = np.column_stack([np.zeros(counts.size), counts])
        check = linprog(np.zeros(counts.size), A_eq=rows.T, b_eq=needed, bounds=bounds, method="highs")
        return check.status == 0


def _independent_rows(X: np.ndarray, candidates) -> np.ndarray:
    """The candidates, in order, that are not linear combinations of the ones taken before (at most p)."""
    p = X.shape[1]
    taken: list[int] = []
    directions = np.empty((0, p))
    for index in candidates:
        row = X[int(index)]
        norm = np.linalg.norm(row)
        if norm == 0:
            continue
        rest = row
        for _ in range(2):  # twice: classical Gram-Schmidt is stable only when repeated
            rest = rest - directions.T @ (directions @ rest)
        if np.linalg.norm(rest) > 1e-9 * norm:
            taken.append(int(index))
            directions = np.vstack([directions, rest / np.linalg.norm(rest)])
            if len(taken) == p:
                break
    return np.array(taken, dtype=np.int64)


def _highs_solver(X: np.ndarray, y: np.ndarray, tolerance: float | None = None):
    """A HiGHS instance holding min -y'a s.t. X'a = X'1 (the rows' bounds are set per tau), 0 <= a <= 1."""
    n, p = X.shape
    # Column i of the constraint matrix is observation i; B-spline rows are mostly zeros.
    matrix = csc_array(X.T)
    lp = _highs_core.HighsLp()
    lp.num_col_, lp.num_row_ = n, p
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, p
    lp.a_matrix_.format_ = _highs_core.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    lp.col_cost_ = -y
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = X.sum(axis=0)
    lp.row_upper_ = X.sum(axis=0)
    highs = _highs_core._Highs()
    options = {"output_flag": False, "presolve": "off", "solver": "simplex", "simplex_strategy": 1}
    if tolerance is not None:
        options |= {"primal_feasibility_tolerance": tolerance, "dual_feasibility_tolerance": tolerance}
    for name, value in options.items():
        if highs.setOptionValue(name, value) != _highs_core.HighsStatus.kOk:
            raise RuntimeError(f"HiGHS rejected option {name}={value}")
    if highs.passModel(lp) == _highs_core.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the quantile regression LP")
    return highs


def _run_highs(highs, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Solve for the row bounds `rhs`; the coefficients (minus the row duals) and the basic observations."""
    for row, value in enumerate(rhs):
        highs.changeRowBounds(row, float(value), float(value))
    highs.run()
    if highs.getModelStatus() != _highs_core.HighsModelStatus.kOptimal:
        return None
    _, basic = highs.getBasicVariables()
    basic = np.asarray(basic)
    # Nonnegative entries are columns (observations); negative ones are the rows' slacks.
    return -np.asarray(highs.getSolution().row_dual), basic[basic >= 0]


def _solve_from_scratch(X: np.ndarray, y: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    if _highs_core is not None:
        return _run_highs(_highs_solver(X, y, tolerance=1e-10), rhs)
    result = linprog(-y, A_eq=X.T, b_eq=rhs, bounds=(0, 1), method="highs-ds", options={"presolve": False})
    if result.status != 0:
        return None
    # Without the basis, the observations strictly between the bounds are the basic ones.
    inside = np.flatnonzero((result.x > 1e-9) & (result.x < 1 - 1e-9))
    return -result.eqlin.marginals, inside


# --- percentiles --------------------------------------------------------------------------------

def percentiles_from_predictions(predictions, observed) -> np.ndarray:
    """Growth percentiles (ints 1..99) from each student's predicted scores at the 100 quantiles.

    `predictions` has one row per student. Each row is rounded to 5 decimals and sorted (curves
    that cross are put back in order); the percentile is the number of predictions strictly
    below the student's observed score, 0 reported as 1 and 100 as 99.
    """
    predictions = np.asarray(predictions, dtype=float)
    observed = np.asarray(observed, dtype=float)
    if predictions.ndim != 2 or predictions.shape[0] != observed.shape[0]:
        raise ValueError(f"predictions {predictions.shape} must have one row per observed score ({observed.shape[0]})")
    ordered = np.sort(np.round(predictions, PREDICTION_DECIMALS), axis=1)
    below = (ordered < observed[:, None]).sum(axis=1)
    return np.clip(below, 1, 99).astype(np.int64)


def fitted_percentiles(priors: Sequence, splines, current, taus=TAUS) -> np.ndarray:
    """Growth percentiles of one cohort: fit the quantile regressions of `current` on the splines
    of `priors`, then rank each student's current score among their own predictions."""
    X = design_matrix(priors, splines)
    coefficients = quantile_coefficients(X, current, taus)
    return percentiles_from_predictions(X @ coefficients, current)


# --- growth percentiles of a table of scores ----------------------------------------------------

def growth_percentiles(
    scores: pd.DataFrame, max_priors: int = 2, min_cohort: int = DEFAULT_MIN_COHORT
) -> pd.DataFrame:
    """Growth percentiles of every student with a prior score, one row per student, subject and year.

    `scores`: one row per student, school year (the spring year), subject and grade, with columns
    student_id, school_year, grade_level, subject, scale_score. A missing scale_score means not
    tested and the row is ignored. A student with two scores in the same subject and year
    (whatever the grades) is rejected with a ValueError naming them: one of the two would be
    picked silently otherwise.

    The cohort of (subject, school_year Y, grade g) is the students with a score there and a grade
    g-1 score in year Y-1. Students without one (new to the district, retained, skipped a grade)
    are not in the output. With max_priors 2, the students who also have a grade g-2 score in year
    Y-2 form the two-prior cohort.

    Output columns: student_id, school_year, subject, grade_level, growth_percentile (from the
    two-prior model when the student has both priors and max_priors is 2, else the one-prior
    model), growth_percentile_order1 (the one-prior model), n_priors (priors behind
    growth_percentile). A cohort smaller than `min_cohort` gets no percentiles from that model: a
    student of a too-small two-prior cohort gets the one-prior percentile; when the one-prior
    cohort is too small too, both percentiles and n_priors are missing (<NA>). Sorted by subject,
    school_year, grade_level, student_id.
    """
    if max_priors not in (1, 2):
        raise ValueError(f"max_priors must be 1 or 2, got {max_priors}")
    if min_cohort < 1:
        raise ValueError(f"min_cohort must be at least 1, got {min_cohort}")
    tested = _tested_scores(scores)
    cohorts = _with_priors(tested, max_priors)
    splines = _splines_by_subject_grade(tested)

    order1 = np.full(len(cohorts), -1, dtype=np.int64)
    order2 = np.full(len(cohorts), -1, dtype=np.int64)
    groups = cohorts.groupby(["subject", "school_year", "grade_level"], sort=False).indices
    for (subject, _, grade), rows in groups.items():
        cohort = cohorts.iloc[rows]
        current = cohort["scale_score"].to_numpy()
        prior1 = cohort["prior1_score"].to_numpy()
        if _is_large_enough(len(rows), min_cohort, priors=1):
            order1[rows] = fitted_percentiles([prior1], [splines(subject, grade - 1)], current)
        two = cohort["prior2_score"].notna().to_numpy()
        if max_priors == 2 and _is_large_enough(int(two.sum()), min_cohort, priors=2):
            order2[rows[two]] = fitted_percentiles(
                [prior1[two], cohort["prior2_score"].to_numpy()[two]],
                [splines(subject, grade - 1), splines(subject, grade - 2)],
                current[two],
            )

    use_two = order2 > 0
    best = np.where(use_two, order2, order1)
    n_priors = np.where(use_two, 2, np.where(order1 > 0, 1, -1))
    result = pd.DataFrame({
        "student_id": cohorts["student_id"].to_numpy(),
        "school_year": cohorts["school_year"].to_numpy(),
        "subject": cohorts["subject"].to_numpy(),
        "grade_level": cohorts["grade_level"].to_numpy(),
        "growth_percentile": _missing_where_negative(best),
        "growth_percentile_order1": _missing_where_negative(order1),
        "n_priors": _missing_where_negative(n_priors),
    })
    return result.sort_values(["subject", "school_year", "grade_level", "student_id"], ignore_index=True)


def _missing_where_negative(values: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values.astype(np.int64), mask=values < 0)


def _tested_scores(scores: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in SCORE_COLUMNS if column not in scores.columns]
    if missing:
        raise ValueError(f"scores are missing column(s) {', '.join(missing)}")
    tested = scores.loc[scores["scale_score"].notna(), list(SCORE_COLUMNS)].copy()
    for column in ("school_year", "grade_level"):
        values = pd.to_numeric(tested[column], errors="raise")
        if values.isna().any() or (values != np.round(values)).any():
            raise ValueError(f"{column} must be a whole number on every scored row")
        tested[column] = values.astype(np.int64)
    tested["scale_score"] = pd.to_numeric(tested["scale_score"], errors="raise").astype(float)
    if not np.isfinite(tested["scale_score"]).all():
        raise ValueError("scale_score must be finite")
    if tested["student_id"].isna().any() or tested["subject"].isna().any():
        raise ValueError("student_id and subject must be present on every scored row")
    key = ["student_id", "school_year", "subject"]
    repeated = tested[tested.duplicated(key, keep=False)]
    if len(repeated):
        pairs = repeated.drop_duplicates(key).sort_values(key)
        shown = "; ".join(f"student {r.student_id} {r.subject} {r.school_year}" for r in pairs.head(5).itertuples())
        more = f" and {len(pairs) - 5} more" if len(pairs) > 5 else ""
        raise ValueError(
            f"{len(pairs)} student(s) have more than one score in the same subject and year: {shown}{more}"
        )
    return tested


def _with_priors(tested: pd.DataFrame, max_priors: int) -> pd.DataFrame:
    """Scores that have a grade g-1 score the year before, with it (and the g-2 score two years before)."""
    key = ["student_id", "subject", "school_year", "grade_level"]

    def shifted(years: int, name: str) -> pd.DataFrame:
        earlier = tested[key + ["scale_score"]].rename(columns={"scale_score": name})
        return earlier.assign(school_year=earlier["school_year"] + years, grade_level=earlier["grade_level"] + years)

    cohorts = tested.merge(shifted(1, "prior1_score"), on=key, how="inner")
    if max_priors >= 2:
        cohorts = cohorts.merge(shifted(2, "prior2_score"), on=key, how="left")
    else:
        cohorts["prior2_score"] = np.nan
    return cohorts.reset_index(drop=True)


def _is_large_enough(students: int, min_cohort: int, priors: int) -> bool:
    """At least min_cohort students, and more than the model's coefficients (1 + 7 per prior)."""
    coefficients = 1 + priors * (len(KNOT_PERCENTILES) + SPLINE_DEGREE)
    return students >= min_cohort and students > coefficients


def _splines_by_subject_grade(tested: pd.DataFrame):
    """A function (subject, grade) -> (knots, boundary), from every score of that grade in the prior years.

    Knots are placed only for the grades a cohort uses, so an odd grade that no model needs
    (a handful of students all with one score) does not stop the others.
    """
    years = set(tested["school_year"].unique().tolist())
    prior_years = [year for year in years if year + 1 in years]
    pooled = tested[tested["school_year"].isin(prior_years)]
    scores_by_grade = pooled.groupby(["subject", "grade_level"])["scale_score"]
    placed: dict = {}

    def splines(subject, grade: int) -> tuple[np.ndarray, tuple[float, float]]:
        if (subject, grade) not in placed:
            try:
                placed[subject, grade] = knots_and_boundaries(scores_by_grade.get_group((subject, grade)).to_numpy())
            except ValueError as error:
                raise ValueError(f"{subject} grade {grade}: {error}") from None
        return placed[subject, grade]

    return splines
