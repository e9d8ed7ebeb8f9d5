"""Progress monitoring and MTSS rules: trend lines, aim lines, decision rules, goal status,
response to intervention, dual discrepancy and screening tiers.

The warehouse applies these rules in SQL (dbt_project/models/intermediate/mtss/ and
models/marts/mtss/) so that they run on any engine; this module states the same arithmetic on
plain arrays, for analysts and to check the warehouse against. Days are day numbers (any origin)
or dates; rates are per week.

- Trend lines (`ols_line`, `tukey_line`): ordinary least squares over every point, or Tukey's
  three-group resistant line: the points in date order are split into three groups (n = 3k: k
  each; 3k + 1: the middle group gets the extra point; 3k + 2: the outer groups get one each),
  the slope joins the (median day, median score) of the first and last groups, and the intercept
  is the mean of the three groups' median score minus slope times median day.
- Aim line (`aimline_values`): straight from the baseline (score and day) at the aim-line slope.
- Decision rule (`decision`): with at least `minimum_points` probes, the last `decision_points`
  probes all below the aim line -> 'change_intervention', all above -> 'raise_goal', anything
  else (mixed, on the line, or fewer probes than the rule looks at) -> 'continue'; fewer than
  `minimum_points` probes or no aim line -> 'insufficient_data'.
- Goal status (`goal_status`): 'met' when the latest probe reaches the goal; 'off_track' when the
  goal date has passed without it; else the trend line's value on the goal date decides between
  'on_track' and 'off_track'; None without a goal, or without a trend (too few probes).
- Milestones (`next_milestone_day`): checkpoints on the aim line every `milestone_weeks` weeks
  from the baseline; the next one is the first after the latest probe, never past the goal date.
- Response to intervention (`response`): the level of a phase is the median of its last three
  points; 'responding' when both the level and the slope during the intervention are above
  those before it (the slope before counts as 0 when there was a single point before).
- Dual discrepancy (`is_dual_discrepancy`): a level below a percentile and a rate of improvement
  below a share of the expected rate, together.
- Tiers (`tier_from_percentile`, `tier_from_level`): screening bands; several rules combine to
  the most intensive (or the least intensive) tier any of them gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# the level of a phase is the median of its last three points
LEVEL_POINTS = 3


def _days(values) -> np.ndarray:
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.datetime64) or array.dtype == object:
        return array.astype("datetime64[D]").astype(np.int64).astype(float)
    return array.astype(float)


def _ordered(days, scores) -> tuple[np.ndarray, np.ndarray]:
    x, y = _days(days), np.asarray(scores, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"days and scores differ in length ({x.size} and {y.size})")
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def ols_line(days, scores) -> tuple[float, float]:
    """Least-squares (slope per day, intercept at day 0); NaN for both under two distinct days."""
    x, y = _ordered(days, scores)
    if x.size < 2 or np.ptp(x) == 0:
        return float("nan"), float("nan")
    dx = x - x.mean()
    slope = float((dx * (y - y.mean())).sum() / (dx * dx).sum())
    return slope, float(y.mean() - slope * x.mean())


def tukey_group_sizes(n: int) -> tuple[int, int, int]:
    """Sizes of the first, middle and last groups of n ordered points (Tukey's resistant line)."""
    if n < 3:
        raise ValueError(f"Tukey's line needs at least 3 points, got {n}")
    outer = n // 3 + (1 if n % 3 == 2 else 0)
    return outer, n - 2 * outer, outer


def tukey_line(days, scores) -> tuple[float, float]:
    """Tukey three-group (slope per day, intercept at day 0); NaN for both under three points."""
    x, y = _ordered(days, scores)
    if x.size < 3:
        return float("nan"), float("nan")
    first, middle, _ = tukey_group_sizes(x.size)
    groups = [slice(0, first), slice(first, first + middle), slice(first + middle, None)]
    medians = [(float(np.median(x[g])), float(np.median(y[g]))) for g in groups]
    (x_left, y_left), _, (x_right, y_right) = medians
    if x_right == x_left:
        return float("nan"), float("nan")
    slope = (y_right - y_left) / (x_right - x_left)
    return slope, float(np.mean([my - slope * mx for mx, my in medians]))


def trend_line(days, scores, method: str = "ols") -> tuple[float, float]:
    """The trend line of `method` ('ols' or 'tukey') as (slope per day, intercept at day 0)."""
    if method == "ols":
        return ols_line(days, scores)
    if method == "tukey":
        return tukey_line(days, scores)
    raise ValueError(f"unknown rate of improvement method '{method}' (use ols or tukey)")


def rate_of_improvement(days, scores, method: str = "ols", minimum_points: int = 3) -> float:
    """Weekly slope of the trend line; NaN with fewer than `minimum_points` points."""
    if np.asarray(scores).size < minimum_points:
        return float("nan")
    return trend_line(days, scores, method)[0] * 7


def aimline_slope(baseline_score: float, baseline_day, goal_score: float, goal_day) -> float:
    """Weekly slope of the aim line from the baseline to the goal; NaN unless the goal comes later."""
    weeks = (_days([goal_day])[0] - _days([baseline_day])[0]) / 7
    return (goal_score - baseline_score) / weeks if weeks > 0 else float("nan")


def aimline_values(baseline_score: float, baseline_day, slope_per_week: float, days) -> np.ndarray:
    """The aim line's expected score on each of `days`."""
    return baseline_score + slope_per_week * (_days(days) - _days([baseline_day])[0]) / 7


def decision(scores, aimline, minimum_points: int = 3, decision_points: int = 4) -> str:
    """The data-point decision rule on probes in date order against the aim line's values."""
    y, aim = np.asarray(scores, dtype=float), np.asarray(aimline, dtype=float)
    if y.size < minimum_points or np.isnan(aim).any():
        return "insufficient_data"
    if y.size < decision_points:
        return "continue"
    last, line = y[-decision_points:], aim[-decision_points:]
    if (last < line).all():
        return "change_intervention"
    if (last > line).all():
        return "raise_goal"
    return "continue"


def goal_status(
    latest_score: float,
    latest_day,
    goal_score: float | None,
    goal_day,
    trend_slope_per_day: float,
    trend_intercept: float,
) -> str | None:
    """'met', 'on_track' or 'off_track' for a goal; None without a goal or without a trend line."""
    if goal_score is None or np.isnan(goal_score):
        return None
    if latest_score >= goal_score:
        return "met"
    if goal_day is None:
        return None
    goal_x = _days([goal_day])[0]
    if _days([latest_day])[0] >= goal_x:
        return "off_track"
    if np.isnan(trend_slope_per_day):
        return None
    return "on_track" if trend_intercept + trend_slope_per_day * goal_x >= goal_score else "off_track"


def next_milestone_day(baseline_day, latest_day, milestone_weeks: int, goal_day=None) -> int | None:
    """Day number of the next aim-line checkpoint after `latest_day` (None once the goal date is reached)."""
    start, latest = _days([baseline_day])[0], _days([latest_day])[0]
    step = 7 * milestone_weeks
    day = start + (np.floor((latest - start) / step) + 1) * step
    if goal_day is not None:
        goal = _days([goal_day])[0]
        if latest >= goal:
            return None
        day = min(day, goal)
    return int(day)


def phase_level(days, scores) -> float:
    """Median of the last three points of a phase (fewer if it has fewer); NaN when empty."""
    _, y = _ordered(days, scores)
    return float(np.median(y[-LEVEL_POINTS:])) if y.size else float("nan")


def response(
    before_days,
    before_scores,
    during_days,
    during_scores,
    minimum_points: int = 3,
) -> dict[str, float | str]:
    """Level and weekly slope before and during an intervention, and whether the student responds.

    'insufficient_data' without a point before or with fewer than `minimum_points` points during;
    'responding' when the level and the slope during are both above those before (a single point
    before gives no slope: the slope during must then be above 0); else 'not_responding'.
    """
    level_before, level_during = phase_level(before_days, before_scores), phase_level(during_days, during_scores)
    slope_before = ols_line(before_days, before_scores)[0] * 7
    slope_during = ols_line(during_days, during_scores)[0] * 7
    n_before, n_during = np.asarray(before_scores).size, np.asarray(during_scores).size
    if n_before == 0 or n_during < minimum_points:
        verdict = "insufficient_data"
    elif level_during > level_before and slope_during > (0.0 if np.isnan(slope_before) else slope_before):
        verdict = "responding"
    else:
        verdict = "not_responding"
    return {
        "level_before": level_before,
        "slope_before": slope_before,
        "level_during": level_during,
        "slope_during": slope_during,
        "response": verdict,
    }


def is_dual_discrepancy(
    level_percentile: float | None,
    slope_per_week: float | None,
    expected_per_week: float | None,
    level_percentile_below: float = 10,
    growth_ratio_below: float = 0.5,
) -> bool | None:
    """True when the level is below the percentile AND the slope is below the share of the expected
    rate; None when any of the three is unknown."""
    values = (level_percentile, slope_per_week, expected_per_week)
    if any(v is None or np.isnan(v) for v in values):
        return None
    return bool(level_percentile < level_percentile_below and slope_per_week < growth_ratio_below * expected_per_week)


def tier_from_percentile(percentile: float, below: Mapping[int, float]) -> int:
    """The most intensive tier whose percentile bound the result is below, else tier 1.

    `below` maps tier -> percentile, e.g. {3: 10, 2: 25} (Star's default benchmarks).
    """
    tiers = [tier for tier, bound in below.items() if percentile < bound]
    return max(tiers, default=1)


def tier_from_level(level: str, levels: Mapping[int, Sequence[str]]) -> int:
    """The tier whose performance levels include `level`, else tier 1."""
    tiers = [tier for tier, names in levels.items() if level in names]
    return max(tiers, default=1)


def combine_tiers(tiers: Sequence[int], rule: str = "most_intensive") -> int:
    """One tier from several measures: the most intensive any gives, or the least intensive
    (every measure must agree before a student moves to a more intensive tier)."""
    if rule == "most_intensive":
        return max(tiers)
    if rule == "least_intensive":
        return min(tiers)
    raise ValueError(f"unknown tier combination '{rule}' (use most_intensive or least_intensive)")
