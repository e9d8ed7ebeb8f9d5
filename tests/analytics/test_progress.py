"""Progress-monitoring and MTSS rules on hand-made points (analytics.progress)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from analytics.progress import (
    aimline_slope,
    aimline_values,
    combine_tiers,
    decision,
    goal_status,
    is_dual_discrepancy,
    next_milestone_day,
    ols_line,
    phase_level,
    rate_of_improvement,
    response,
    tier_from_level,
    tier_from_percentile,
    tukey_group_sizes,
    tukey_line,
)

WEEK = 7


def weeks(*numbers: float) -> np.ndarray:
    return np.array(numbers, dtype=float) * WEEK


def test_ols_rate_of_improvement_is_the_weekly_slope():
    # weeks 0..3, scores 10 14 12 16: x mean 1.5, y mean 13; sxy = 4.5 - 0.5 - 0.5 + 4.5 = 8,
    # sxx = 2.25 + 0.25 + 0.25 + 2.25 = 5 -> 1.6 per week
    assert rate_of_improvement(weeks(0, 1, 2, 3), [10, 14, 12, 16]) == pytest.approx(1.6)


def test_ols_works_on_dates_and_ignores_input_order():
    start = date(2026, 1, 6)
    days = [start + timedelta(days=14), start, start + timedelta(days=7)]
    slope_per_day, _ = ols_line(np.array(days, dtype="datetime64[D]"), [24, 20, 22])
    assert slope_per_day * WEEK == pytest.approx(2.0)


def test_rate_of_improvement_needs_the_minimum_number_of_points():
    assert math.isnan(rate_of_improvement(weeks(0, 1), [10, 12], minimum_points=3))
    assert rate_of_improvement(weeks(0, 1), [10, 12], minimum_points=2) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("n", "sizes"), [(3, (1, 1, 1)), (4, (1, 2, 1)), (5, (2, 1, 2)), (6, (2, 2, 2)), (8, (3, 2, 3))]
)
def test_tukey_groups_give_the_extra_point_to_the_middle_or_to_both_ends(n, sizes):
    assert tukey_group_sizes(n) == sizes


def test_tukey_slope_resists_an_outlier_in_the_middle():
    # groups (2, 3, 2): first weeks 0-1 -> median (0.5, 11), last weeks 5-6 -> median (5.5, 21):
    # slope (21 - 11) / 5 = 2 per week, whatever the 60 in week 4 is
    days, scores = weeks(0, 1, 2, 3, 4, 5, 6), [10, 12, 14, 16, 60, 20, 22]
    slope_per_day, intercept = tukey_line(days, scores)
    assert slope_per_day * WEEK == pytest.approx(2.0)
    # middle group median (3 weeks, 16): intercept = mean(11 - 1, 16 - 6, 21 - 11) = 10
    assert intercept == pytest.approx(10.0)
    # least squares: the 42 words above the line at 1 week right of the mean add 42 / 28 (sxx)
    assert rate_of_improvement(days, scores, method="ols") == pytest.approx(3.5)


def test_tukey_with_three_points_joins_the_first_and_last():
    assert rate_of_improvement(weeks(0, 1, 4), [10, 50, 18], method="tukey") == pytest.approx(2.0)


def test_aimline_runs_from_baseline_to_goal():
    slope = aimline_slope(20, date(2026, 1, 6), 40, date(2026, 3, 17))  # 10 weeks
    assert slope == pytest.approx(2.0)
    days = np.array(["2026-01-13", "2026-03-17"], dtype="datetime64[D]")
    values = aimline_values(20, np.datetime64("2026-01-06"), slope, days)
    assert values.tolist() == pytest.approx([22.0, 40.0])


def test_a_goal_dated_before_its_baseline_has_no_aimline():
    assert math.isnan(aimline_slope(20, date(2026, 3, 1), 40, date(2026, 2, 1)))


def test_four_points_below_the_aimline_change_the_intervention():
    aim = [10, 12, 14, 16, 18]
    assert decision([11, 11, 13, 15, 17], aim) == "change_intervention"


def test_four_points_above_the_aimline_raise_the_goal():
    assert decision([9, 13, 15, 17, 19], [10, 12, 14, 16, 18]) == "raise_goal"


def test_a_point_on_the_aimline_or_mixed_points_continue():
    aim = [10, 12, 14, 16]
    assert decision([9, 11, 14, 15], aim) == "continue"  # 14 sits on the line
    assert decision([9, 13, 13, 17], aim) == "continue"


def test_three_point_variant_and_too_few_points():
    aim = [10, 12, 14]
    assert decision([9, 11, 13], aim, decision_points=3) == "change_intervention"
    assert decision([9, 11, 13], aim, decision_points=4) == "continue"  # three points: the rule cannot apply yet
    assert decision([9, 11], aim[:2]) == "insufficient_data"
    assert decision([9, 11, 13], [np.nan] * 3) == "insufficient_data"


def test_goal_met_when_the_latest_probe_reaches_it():
    assert goal_status(40, 100, 40, 120, float("nan"), float("nan")) == "met"


def test_goal_on_track_when_the_trend_reaches_it_by_the_goal_date():
    # trend 20 + 0.25 * day: on day 80 it reaches 40
    assert goal_status(35, 60, 40, 80, 0.25, 20) == "on_track"
    assert goal_status(35, 60, 40, 79, 0.25, 20) == "off_track"


def test_goal_off_track_once_its_date_passed_unmet_and_unknown_without_trend_or_goal():
    assert goal_status(39, 90, 40, 80, 1.0, 20) == "off_track"
    assert goal_status(30, 60, 40, 80, float("nan"), float("nan")) is None
    assert goal_status(30, 60, None, None, 0.25, 20) is None


def test_next_milestone_every_four_weeks_capped_at_the_goal_date():
    assert next_milestone_day(0, 30, 4) == 56
    assert next_milestone_day(0, 28, 4) == 56  # a checkpoint on the latest probe day is behind us
    assert next_milestone_day(0, 30, 4, goal_day=50) == 50
    assert next_milestone_day(0, 50, 4, goal_day=50) is None


def test_phase_level_is_the_median_of_the_last_three_points():
    assert phase_level(weeks(0, 1, 2, 3), [50, 10, 30, 20]) == 20  # median of 10, 30, 20
    assert phase_level(weeks(0), [7]) == 7


def test_responding_when_level_and_slope_rise_during_the_intervention():
    # before: spring 40 then fall 38 twenty weeks later -> level 39, slope -0.1 a week
    before = (weeks(0, 20), [40, 38])
    result = response(*before, weeks(22, 24, 26), [40, 44, 48])
    assert result["level_before"] == 39 and result["slope_before"] == pytest.approx(-0.1)
    assert result["level_during"] == 44 and result["slope_during"] == pytest.approx(2.0)
    assert result["response"] == "responding"


def test_not_responding_when_the_level_does_not_rise():
    assert response(weeks(0, 20), [40, 38], weeks(22, 24, 26), [38, 39, 39])["response"] == "not_responding"


def test_one_point_before_compares_the_slope_during_with_zero():
    assert response(weeks(0), [30], weeks(2, 3, 4), [31, 33, 35])["response"] == "responding"
    assert response(weeks(0), [30], weeks(2, 3, 4), [35, 33, 31])["response"] == "not_responding"


def test_response_needs_a_point_before_and_the_minimum_during():
    assert response([], [], weeks(2, 3, 4), [31, 33, 35])["response"] == "insufficient_data"
    assert response(weeks(0), [30], weeks(2, 3), [31, 33])["response"] == "insufficient_data"


def test_dual_discrepancy_needs_low_level_and_low_growth():
    assert is_dual_discrepancy(5, 0.4, 1.0) is True
    assert is_dual_discrepancy(5, 0.5, 1.0) is False  # growth at half the expected rate is not below it
    assert is_dual_discrepancy(10, 0.1, 1.0) is False  # percentile 10 is not below 10
    assert is_dual_discrepancy(None, 0.1, 1.0) is None
    assert is_dual_discrepancy(5, float("nan"), 1.0) is None


@pytest.mark.parametrize(("percentile", "tier"), [(1, 3), (9.5, 3), (10, 2), (24, 2), (25, 1), (99, 1)])
def test_star_default_bands_give_the_tier(percentile, tier):
    assert tier_from_percentile(percentile, {3: 10, 2: 25}) == tier


def test_benchmark_levels_give_the_tier_and_rules_combine():
    levels = {3: ["Well Below Benchmark"], 2: ["Below Benchmark"]}
    assert tier_from_level("Well Below Benchmark", levels) == 3
    assert tier_from_level("At Benchmark", levels) == 1
    assert combine_tiers([1, 3, 2]) == 3
    assert combine_tiers([1, 3, 2], "least_intensive") == 1
    with pytest.raises(ValueError):
        combine_tiers([1], "average")
