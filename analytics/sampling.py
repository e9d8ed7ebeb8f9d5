"""Grade 1-2 accountability by sampling: design, draw, estimate and check a sample of students.

Instead of assessing every grade 1-2 student, a school assesses a simple random sample in each
cell (for example school x year x grade), possibly stratified. This module sizes the sample
(`sample_size`, `allocate_proportional`), draws it reproducibly (`draw_key`, `draw_order`,
`realized_sample`), estimates the proportion proficient and the mean scale score with their
uncertainty (`estimate_cells`, `hypergeometric_interval`), and measures by simulation on a census
how often the reported intervals contain the census value (`simulate_coverage`).
"""

from __future__ import annotations

import hashlib
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy import stats

CI_METHODS = ("t_fpc", "hypergeometric")

# Random keys of at most this many numbers are drawn at once by simulate_coverage.
_SIMULATION_BLOCK = 4_000_000


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for `confidence` (1.959964 for 0.95)."""
    _check_confidence(confidence)
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def sample_size(
    population_n,
    margin_of_error: float,
    confidence: float,
    expected_proportion: float = 0.5,
    minimum: int = 0,
    maximum: int | None = None,
) -> np.ndarray:
    """Students to assess in each cell of `population_n` students (array of ints, same shape).

    n0 = z^2 p (1 - p) / e^2 with the finite population correction n = ceil(n0 / (1 + (n0 - 1) / N)),
    then raised to `minimum`, lowered to `maximum` if given, and never more than N: a cell smaller
    than the minimum is assessed in full. A cell of 0 students gets 0.
    """
    if not margin_of_error > 0:
        raise ValueError(f"margin_of_error must be > 0, got {margin_of_error}")
    if not 0 < expected_proportion < 1:
        raise ValueError(f"expected_proportion must be strictly between 0 and 1, got {expected_proportion}")
    if minimum < 0:
        raise ValueError(f"minimum must be >= 0, got {minimum}")
    if maximum is not None and maximum < minimum:
        raise ValueError(f"maximum ({maximum}) must not be below minimum ({minimum})")
    population = np.asarray(population_n, dtype=np.int64)
    if (population < 0).any():
        raise ValueError("population_n must be >= 0")
    z = z_value(confidence)
    n0 = z * z * expected_proportion * (1 - expected_proportion) / margin_of_error**2
    # The 1e-9 keeps an exact integer from being pushed up by rounding error in the division.
    corrected = n0 / (1 + (n0 - 1) / np.maximum(population, 1))
    n = np.ceil(corrected - 1e-9).astype(np.int64)
    n = np.maximum(n, minimum)
    if maximum is not None:
        n = np.minimum(n, maximum)
    return np.where(population > 0, np.minimum(n, population), 0)


def draw_key(seed: str, *parts: str) -> int:
    """The random key of one student: the first 15 hex digits of sha256("seed|part|part...").

    The same expression runs in SQL in the warehouse; 15 hex digits fit a signed 64-bit integer.
    """
    return int(hashlib.sha256("|".join([seed, *parts]).encode()).hexdigest()[:15], 16)


def draw_order(frame: pd.DataFrame, seed: str, group_columns: list[str], student_column: str) -> pd.Series:
    """1-based draw position of each student within its group, aligned to `frame.index`.

    Students of a group are ordered by draw_key(seed, *group values, student id), all as str(),
    ascending; equal keys are ordered by the student id string. Taking the first n positions
    of a group is a simple random sample of n that anyone can reproduce from the seed.
    """
    group_values = [[str(value) for value in frame[column].tolist()] for column in group_columns]
    students = [str(value) for value in frame[student_column].tolist()]
    # hashlib has no vectorised form; the warehouse computes the same key in SQL.
    keys = np.fromiter(
        (draw_key(seed, *parts) for parts in zip(*group_values, students)), dtype=np.int64, count=len(frame)
    )
    work = pd.DataFrame({"key": keys, "student": students})
    group_names = [f"group_{i}" for i in range(len(group_columns))] or ["group_all"]
    for name, values in zip(group_names, group_values or [[""] * len(frame)]):
        work[name] = values
    work = work.sort_values(["key", "student"], kind="stable")
    position = work.groupby(group_names, sort=False).cumcount() + 1
    return pd.Series(position.sort_index().to_numpy(dtype=np.int64), index=frame.index, name="sample_order")


def allocate_proportional(stratum_sizes: np.ndarray, n: int, minimum_per_stratum: int = 2) -> np.ndarray:
    """Split a sample of n over strata of sizes N_h in proportion to N_h (largest remainder method).

    Each stratum gets floor(n N_h / N); the units left over go one each to the largest fractional
    parts (equal parts: lower stratum index first). Then every stratum is raised to
    min(minimum_per_stratum, N_h) so that its variance can be estimated, so the total may exceed n.
    A stratum never gets more than its N_h; n >= N assesses everyone.
    """
    sizes = np.asarray(stratum_sizes, dtype=np.int64)
    if sizes.ndim != 1 or (sizes < 0).any():
        raise ValueError("stratum_sizes must be a 1-d array of counts >= 0")
    if n < 0 or minimum_per_stratum < 0:
        raise ValueError("n and minimum_per_stratum must be >= 0")
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(len(sizes), dtype=np.int64)
    n = min(int(n), total)
    # Exact integer arithmetic: quota_h = scaled_h / total, so fractional parts compare as remainders.
    scaled = n * sizes
    allocation = scaled // total
    remainders = scaled % total
    left_over = n - int(allocation.sum())
    largest_first = np.argsort(-remainders, kind="stable")
    allocation[largest_first[:left_over]] += 1
    return np.maximum(allocation, np.minimum(minimum_per_stratum, sizes))


def hypergeometric_interval(N, n, x, confidence: float):
    """Exact interval (lower, upper) for the proportion M / N of a population of N with M successes,
    given x successes in a simple random sample of n drawn without replacement.

    lower = min{M : P(X >= x | N, M, n) >= alpha/2} / N, upper = max{M : P(X <= x | N, M, n) >= alpha/2} / N,
    alpha = 1 - confidence. A census (n == N) gives [x/N, x/N]; n == 0 gives [0, 1]; N == 0 gives NaN.
    Arrays broadcast; scalars in give floats out.
    """
    _check_confidence(confidence)
    population, drawn, successes = np.broadcast_arrays(
        *(np.asarray(value, dtype=np.int64) for value in (N, n, x))
    )
    shape = population.shape
    population, drawn, successes = population.ravel(), drawn.ravel(), successes.ravel()
    if ((successes < 0) | (successes > drawn) | (drawn > population)).any():
        raise ValueError("hypergeometric_interval needs 0 <= x <= n <= N")
    lower = np.full(population.shape, np.nan)
    upper = np.full(population.shape, np.nan)
    defined = population > 0
    if defined.any():
        lower_m, upper_m = _hypergeometric_bounds(
            population[defined], drawn[defined], successes[defined], (1 - confidence) / 2
        )
        lower[defined] = lower_m / population[defined]
        upper[defined] = upper_m / population[defined]
    if shape == ():
        return float(lower[0]), float(upper[0])
    return lower.reshape(shape), upper.reshape(shape)


def _hypergeometric_bounds(N: np.ndarray, n: np.ndarray, x: np.ndarray, half_alpha: float):
    """Bounds in successes M for each (N, n, x), all candidate M = 0..N evaluated in one array."""
    lengths = N + 1
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    owner = np.repeat(np.arange(len(N)), lengths)
    M = np.arange(int(lengths.sum())) - starts[owner]
    at_least_x = stats.hypergeom.sf(x[owner] - 1, N[owner], M, n[owner])
    at_most_x = stats.hypergeom.cdf(x[owner], N[owner], M, n[owner])
    # M = N always satisfies the lower condition (X = n >= x) and M = 0 the upper one (X = 0 <= x).
    lower = np.minimum.reduceat(np.where(at_least_x >= half_alpha, M, N[owner]), starts)
    upper = np.maximum.reduceat(np.where(at_most_x >= half_alpha, M, 0), starts)
    return lower, upper


def estimate_cells(strata: pd.DataFrame, keys: list[str], confidence: float, ci_method: str = "t_fpc") -> pd.DataFrame:
    """Stratified estimates of the proportion proficient and the mean scale score, one row per cell.

    `strata` has one row per (keys..., stratum) with population_n (N_h), assessed_n (n_h),
    n_proficient (x_h), score_mean and score_var (ddof=1) of the assessed students. With
    W_h = N_h / N: estimate = sum W_h x_h / n_h and
    standard_error = sqrt(sum W_h^2 (1 - n_h / N_h) p_h (1 - p_h) / (n_h - 1)); likewise
    mean_scale_score = sum W_h ybar_h with se sqrt(sum W_h^2 (1 - n_h / N_h) s_h^2 / n_h).
    A census stratum (n_h == N_h) adds no variance; a stratum with n_h == 1 < N_h leaves the
    standard error and interval unknown (NaN); a stratum with nobody assessed (n_h == 0 < N_h)
    leaves the estimate unknown, as does a cell with nobody assessed.

    ci_method "t_fpc": estimate +- t(df = assessed_n - n_strata) x standard_error, clipped to [0, 1].
    ci_method "hypergeometric": the exact interval for a cell of one stratum; cells of several strata
    use "t_fpc", and the column ci_method says which was used.
    """
    _check_ci_method(ci_method)
    _check_confidence(confidence)
    missing = {"population_n", "assessed_n", "n_proficient", "score_mean", "score_var"} - set(strata.columns)
    if missing:
        raise ValueError(f"strata lacks columns {sorted(missing)}")
    N_h = strata["population_n"].to_numpy(dtype=np.int64)
    n_h = strata["assessed_n"].to_numpy(dtype=np.int64)
    x_h = strata["n_proficient"].to_numpy(dtype=np.int64)
    if ((x_h < 0) | (x_h > n_h) | (n_h > N_h)).any():
        raise ValueError("each stratum needs 0 <= n_proficient <= assessed_n <= population_n")
    score_mean = strata["score_mean"].to_numpy(dtype=float)
    score_var = strata["score_var"].to_numpy(dtype=float)

    cell, cells = _cells(strata, keys)
    n_cells = len(cells)
    N = np.bincount(cell, weights=N_h, minlength=n_cells).astype(np.int64)
    n = np.bincount(cell, weights=n_h, minlength=n_cells).astype(np.int64)
    x = np.bincount(cell, weights=x_h, minlength=n_cells).astype(np.int64)
    n_strata = np.bincount(cell, minlength=n_cells)

    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(N[cell] > 0, N_h / N[cell], 0.0)
        p_h = np.where(n_h > 0, x_h / n_h, np.nan)
        # Kept as the NaN of an unobserved stratum, so that the cell's sum is unknown too.
        share = np.where(N_h > 0, weight * p_h, 0.0)
        sampling_fraction = np.where(N_h > 0, n_h / N_h, 1.0)
        census = n_h == N_h
        proportion_variance = np.where(
            census, 0.0, weight**2 * (1 - sampling_fraction) * p_h * (1 - p_h) / np.where(n_h > 1, n_h - 1, np.nan)
        )
        score_share = np.where(N_h > 0, weight * score_mean, 0.0)
        score_variance = np.where(census, 0.0, weight**2 * (1 - sampling_fraction) * score_var / n_h)

    nobody_assessed = n == 0
    estimate = np.where(nobody_assessed, np.nan, np.bincount(cell, weights=share, minlength=n_cells))
    standard_error = np.where(
        nobody_assessed, np.nan, np.sqrt(np.bincount(cell, weights=proportion_variance, minlength=n_cells))
    )
    degrees_of_freedom = n - n_strata
    ci_lower, ci_upper = _t_interval(estimate, standard_error, degrees_of_freedom, confidence)

    exact = (n_strata == 1) if ci_method == "hypergeometric" else np.zeros(n_cells, dtype=bool)
    computable = exact & np.isfinite(standard_error)
    ci_lower[exact], ci_upper[exact] = np.nan, np.nan
    if computable.any():
        ci_lower[computable], ci_upper[computable] = hypergeometric_interval(
            N[computable], n[computable], x[computable], confidence
        )

    mean_scale_score = np.where(nobody_assessed, np.nan, np.bincount(cell, weights=score_share, minlength=n_cells))
    mean_scale_score_se = np.where(
        nobody_assessed, np.nan, np.sqrt(np.bincount(cell, weights=score_variance, minlength=n_cells))
    )
    return cells.assign(
        population_n=N,
        assessed_n=n,
        n_proficient=x,
        n_strata=n_strata.astype(np.int64),
        estimate=estimate,
        standard_error=standard_error,
        degrees_of_freedom=degrees_of_freedom.astype(np.int64),
        ci_lower=ci_lower,
        ci_upper=ci_upper,
        ci_method=np.where(exact, "hypergeometric", "t_fpc").astype(object),
        mean_scale_score=mean_scale_score,
        mean_scale_score_se=mean_scale_score_se,
    )


def simulate_coverage(
    population: pd.DataFrame,
    keys: list[str],
    draws: int,
    seed: int,
    margin_of_error: float,
    confidence: float,
    minimum: int,
    maximum: int | None,
    ci_method: str,
    expected_proportion: float = 0.5,
) -> pd.DataFrame:
    """How well the sampling design recovers a census, one row per cell (keys).

    `population` is a census: one row per student with the keys, is_proficient and scale_score.
    Each cell is sampled `draws` times without replacement with the design's sample size, and each
    draw is estimated as estimate_cells would (one stratum). Returns keys..., population_n, sample_n,
    census_proportion, mean_estimate, bias (mean_estimate - census_proportion), coverage (share of
    draws whose interval contains the census proportion), mean_ci_width, census_mean_scale_score and
    mean_scale_score_bias. A cell assessed in full has coverage 1; a cell whose interval cannot be
    computed (sample of 1 from more than 1) has coverage and width NaN.
    """
    _check_ci_method(ci_method)
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    cell, cells = _cells(population, keys)
    n_cells = len(cells)
    proficient = population["is_proficient"].to_numpy(dtype=bool)
    score = population["scale_score"].to_numpy(dtype=float)
    N = np.bincount(cell, minlength=n_cells)
    n = sample_size(N, margin_of_error, confidence, expected_proportion, minimum, maximum)
    census_proportion = np.bincount(cell, weights=proficient, minlength=n_cells) / N
    census_mean = np.bincount(cell, weights=score, minlength=n_cells) / N

    x, score_total = _draw_samples(cell, proficient, score, N, n, draws, np.random.default_rng(seed))
    estimate = x / n[:, None]
    sample_mean = score_total / n[:, None]

    if ci_method == "t_fpc":
        with np.errstate(divide="ignore", invalid="ignore"):
            variance = (1 - n / N)[:, None] * estimate * (1 - estimate) / np.where(n > 1, n - 1, np.nan)[:, None]
        standard_error = np.where((n == N)[:, None], 0.0, np.sqrt(variance))
        lower, upper = _t_interval(estimate, standard_error, (n - 1)[:, None], confidence)
    else:
        lower, upper = _hypergeometric_lookup(N, n, x, confidence)
        unknown = (n == 1) & (N > 1)
        lower[unknown], upper[unknown] = np.nan, np.nan

    contains = (lower <= census_proportion[:, None]) & (census_proportion[:, None] <= upper)
    interval_known = np.isfinite(lower).all(axis=1) & np.isfinite(upper).all(axis=1)
    mean_estimate = estimate.mean(axis=1)
    return cells.assign(
        population_n=N.astype(np.int64),
        sample_n=n.astype(np.int64),
        census_proportion=census_proportion,
        mean_estimate=mean_estimate,
        bias=mean_estimate - census_proportion,
        coverage=np.where(interval_known, contains.mean(axis=1), np.nan),
        mean_ci_width=(upper - lower).mean(axis=1),
        census_mean_scale_score=census_mean,
        mean_scale_score_bias=sample_mean.mean(axis=1) - census_mean,
    )


def _draw_samples(cell, proficient, score, N, n, draws, rng):
    """Successes x and score totals, both (cells, draws), of `draws` samples without replacement
    of n[c] students from each cell c.

    Cells of equal size are drawn together: a random key per (draw, cell, student) and the n
    smallest keys of each (draw, cell) are the sample.
    """
    x = np.zeros((len(N), draws), dtype=np.int64)
    score_total = np.zeros((len(N), draws))
    by_cell = np.argsort(cell, kind="stable")
    first_row = np.concatenate(([0], np.cumsum(N)[:-1]))
    for size in np.unique(N):
        members = np.flatnonzero(N == size)
        take = int(n[members[0]])
        if take == 0:
            continue
        rows = by_cell[first_row[members][:, None] + np.arange(size)]
        cells_per_block = max(1, _SIMULATION_BLOCK // (draws * size))
        draws_per_block = max(1, min(draws, _SIMULATION_BLOCK // size))
        for start in range(0, len(members), cells_per_block):
            block = slice(start, start + cells_per_block)
            block_rows = rows[block]
            which = np.arange(len(block_rows))[None, :, None]
            for first_draw in range(0, draws, draws_per_block):
                count = min(draws_per_block, draws - first_draw)
                random_keys = rng.random((count, len(block_rows), size))
                chosen = (
                    np.argpartition(random_keys, take - 1, axis=-1)[..., :take]
                    if take < size
                    else np.broadcast_to(np.arange(size), random_keys.shape)
                )
                sampled = block_rows[which, chosen]
                x[members[block], first_draw : first_draw + count] = proficient[sampled].sum(axis=-1).T
                score_total[members[block], first_draw : first_draw + count] = score[sampled].sum(axis=-1).T
    return x, score_total


def _hypergeometric_lookup(N, n, x, confidence):
    """Exact intervals for every (cell, draw): x takes few values per cell, so each distinct
    (N, n, x) is computed once and looked up."""
    cells_n = np.broadcast_to(n[:, None], x.shape)
    cells_N = np.broadcast_to(N[:, None], x.shape)
    base = int(N.max()) + 1
    code = (cells_N.astype(np.int64) * base + cells_n) * base + x
    distinct, where = np.unique(code.ravel(), return_inverse=True)
    population, drawn, successes = distinct // base // base, distinct // base % base, distinct % base
    lower, upper = hypergeometric_interval(population, drawn, successes, confidence)
    return lower[where].reshape(x.shape), upper[where].reshape(x.shape)


def _t_interval(estimate, standard_error, degrees_of_freedom, confidence):
    """estimate +- t x se clipped to [0, 1]; a zero se (census) gives [estimate, estimate]."""
    df = np.asarray(degrees_of_freedom, dtype=float)
    t = stats.t.ppf(0.5 + confidence / 2, np.where(df > 0, df, np.nan))
    half_width = np.where(standard_error == 0, 0.0, t * standard_error)
    return np.clip(estimate - half_width, 0, 1), np.clip(estimate + half_width, 0, 1)


def _cells(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Cell number of each row (cells sorted by keys) and the keys of each cell, one row per cell."""
    if not keys:
        return np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1 if len(frame) else 0))
    cell = frame.groupby(keys, sort=True, dropna=False).ngroup().to_numpy(dtype=np.int64)
    _, first_row = np.unique(cell, return_index=True)
    return cell, frame[keys].iloc[first_row].reset_index(drop=True)


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")


def _check_ci_method(ci_method: str) -> None:
    if ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {CI_METHODS}, got {ci_method!r}")
