"""Benchmark: student growth percentiles for a generated cohort of 60,000 students.

    python bench/sgp_bench.py [--students 60000] [--one-prior-only]

Times `growth_percentiles` on one subject: grade 5 in 2025 with the grade 4 score of 2024 (one
prior), then, with the grade 3 score of 2023 added, every model that input calls for (grade 4
on grade 3, grade 5 on grade 4, grade 5 on grades 4 and 3). Prints seconds (wall clock and this
process's CPU), students per second and the peak memory of the process so far, then checks on
a 2,000-student subsample that the median fit reaches the optimum of the primal LP. The target
is under 60 s for 60,000 students with one prior on a 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.sgp import (  # noqa: E402
    design_matrix,
    growth_percentiles,
    knots_and_boundaries,
    quantile_coefficients,
    quantile_loss,
)

TARGET_SECONDS = 60


def generated_scores(students: int, years: int, seed: int) -> pd.DataFrame:
    """Integer scale scores of one subject: grade 3 in 2023, 4 in 2024, 5 in 2025 (the last `years`).

    Growth slows for high scorers (a ceiling) and varies more for low ones, as real scores do.
    """
    rng = np.random.default_rng(seed)
    score = rng.normal(420, 35, students)
    by_grade = {3: score}
    for grade in (4, 5):
        gain = 25 - 0.15 * (score - 420) + rng.normal(0, 12 + 0.05 * np.abs(score - 420), students)
        score = score + gain
        by_grade[grade] = score
    ids = np.char.add("S", np.arange(students).astype(str))
    frames = [
        pd.DataFrame({
            "student_id": ids,
            "school_year": 2020 + grade,
            "grade_level": grade,
            "subject": "math",
            "scale_score": np.round(by_grade[grade]),
        })
        for grade in (3, 4, 5)[3 - years:]
    ]
    return pd.concat(frames, ignore_index=True)


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, scores: pd.DataFrame, max_priors: int) -> pd.DataFrame:
    wall, cpu = time.perf_counter(), time.process_time()
    result = growth_percentiles(scores, max_priors=max_priors)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    scored = int(result["growth_percentile"].notna().sum())
    print(f"{label}: {scored:,} growth percentiles in {wall:.1f} s (CPU {cpu:.1f} s), "
          f"{scored / wall:,.0f} students/s, peak memory {peak_memory_mb():,.0f} MB")
    for (year, grade), cohort in result.groupby(["school_year", "grade_level"]):
        shares = np.histogram(cohort["growth_percentile"].dropna(), bins=[1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 100])[0]
        print(f"  {year} grade {grade}: {len(cohort):,} students, n_priors "
              f"{ {int(k): int(v) for k, v in cohort['n_priors'].value_counts().sort_index().items()} }, "
              f"share per decile {np.round(shares / shares.sum(), 3).tolist()}")
    return result


def primal_optimum(X: np.ndarray, y: np.ndarray, tau: float) -> float:
    """min tau 1'u + (1-tau) 1'v subject to X b + u - v = y, u, v >= 0: the textbook LP."""
    n, p = X.shape
    cost = np.r_[np.zeros(p), np.full(n, tau), np.full(n, 1 - tau)]
    identity = sparse.identity(n, format="csc")
    constraints = sparse.hstack([sparse.csc_matrix(X), identity, -identity], format="csc")
    bounds = [(None, None)] * p + [(0, None)] * (2 * n)
    return linprog(cost, A_eq=constraints, b_eq=y, bounds=bounds, method="highs").fun


def check_against_primal(scores: pd.DataFrame, size: int, seed: int) -> None:
    prior = scores[scores["grade_level"] == 4].set_index("student_id")["scale_score"]
    current = scores[scores["grade_level"] == 5].set_index("student_id")["scale_score"]
    sample = np.random.default_rng(seed).choice(current.index.to_numpy(), size=size, replace=False)
    X = design_matrix([prior.loc[sample].to_numpy()], [knots_and_boundaries(prior.to_numpy())])
    y = current.loc[sample].to_numpy()
    for tau in (0.005, 0.5):
        coefficients = quantile_coefficients(X, y, [tau])[:, 0]
        ours, optimum = quantile_loss(X, y, coefficients, tau), primal_optimum(X, y, tau)
        on_fit = int(np.sum(np.abs(y - X @ coefficients) <= 1e-9 * np.abs(y).max()))
        print(f"  tau {tau}: check loss {ours:.6f}, primal LP optimum {optimum:.6f}, "
              f"relative difference {(ours - optimum) / optimum:.1e}; {on_fit} students on the fit (p = {X.shape[1]})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--one-prior-only", action="store_true", help="skip the two-prior run")
    args = parser.parse_args()

    one_prior = generated_scores(args.students, years=2, seed=args.seed)
    result = timed(f"one prior, {args.students:,} students", one_prior, max_priors=1)
    if not args.one_prior_only:
        timed(f"two priors, {args.students:,} students per grade", generated_scores(args.students, 3, args.seed),
              max_priors=2)
    print("exactness on a 2,000-student subsample of the one-prior cohort:")
    check_against_primal(one_prior, min(2_000, args.students), args.seed)
    print(f"target: under {TARGET_SECONDS} s for 60,000 students with one prior "
          f"({len(result):,} students here)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
