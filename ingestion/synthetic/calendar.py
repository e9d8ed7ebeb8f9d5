"""School calendar of the synthetic district: school days, testing ranges, the configured
assessment windows (config/district.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

WINDOW_NAMES = ("Fall", "Winter", "Spring")
DIBELS_PERIODS = ("BOY", "MOY", "EOY")

# Testing ranges (month, day) per window; the fall range lies in the autumn before the
# spring year, the others in the spring year.
MAP_TESTING = (((9, 8), (10, 9)), ((1, 6), (1, 30)), ((5, 1), (5, 22)))
DIBELS_TESTING = (((9, 2), (9, 30)), ((1, 6), (1, 31)), ((5, 4), (5, 29)))
# Mid-year moves happen between these days (winter).
MOVE_RANGE = ((12, 1), (2, 14))


@dataclass(frozen=True)
class DistrictConfig:
    name: str
    state_district_id: str
    # month-day on which each window starts, in window order
    window_starts: tuple[tuple[int, int], ...]
    window_names: tuple[str, ...]


def load_district_config(config_dir: Path) -> DistrictConfig:
    """Read the parts of config/district.yml that the generator needs."""
    raw = yaml.safe_load((config_dir / "district.yml").read_text(encoding="utf-8"))
    windows = raw["calendar"]["windows"]
    starts = tuple(tuple(int(p) for p in str(w["starts"]).split("-")) for w in windows)
    return DistrictConfig(
        name=str(raw["district"]["name"]),
        state_district_id=str(raw["district"]["state_district_id"]),
        window_starts=starts,  # type: ignore[arg-type]
        window_names=tuple(str(w["name"]) for w in windows),
    )


def _day(year: int, month: int, day: int) -> np.datetime64:
    return np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D")


def _nth_weekday(year: int, month: int, weekday: str, n: int) -> np.datetime64:
    """n-th (0-based) given weekday of a month; n=-1 is the last one."""
    if n >= 0:
        return np.busday_offset(_day(year, month, 1), n, roll="forward", weekmask=weekday)
    nxt = _day(year + month // 12, month % 12 + 1, 1)
    return np.busday_offset(nxt, -1, roll="forward", weekmask=weekday)


def _in_school_year(school_year: int, month: int, day: int) -> np.datetime64:
    """A month-day placed in the school year (July-December belong to the autumn)."""
    return _day(school_year - 1 if month >= 7 else school_year, month, day)


@dataclass(frozen=True)
class SchoolYearCalendar:
    school_year: int
    first_day: np.datetime64
    last_day: np.datetime64
    holidays: np.ndarray

    @classmethod
    def build(cls, school_year: int) -> "SchoolYearCalendar":
        autumn, spring = school_year - 1, school_year
        first = np.busday_offset(_day(autumn, 8, 20), 0, roll="forward")
        last = np.busday_offset(_day(spring, 6, 5), 0, roll="backward")
        thanksgiving = _nth_weekday(autumn, 11, "Thu", 3)
        spring_break = _nth_weekday(spring, 3, "Mon", 2)
        holidays = np.concatenate(
            [
                [_nth_weekday(autumn, 9, "Mon", 0)],  # Labor Day
                [thanksgiving, thanksgiving + 1],
                np.arange(_day(autumn, 12, 22), _day(spring, 1, 3)),  # winter break
                [_nth_weekday(spring, 1, "Mon", 2), _nth_weekday(spring, 2, "Mon", 2)],
                spring_break + np.arange(5),
                [_nth_weekday(spring, 5, "Mon", -1)],  # Memorial Day
            ]
        ).astype("datetime64[D]")
        return cls(school_year, first, last, np.unique(holidays))

    def school_days(self, start: np.datetime64, end: np.datetime64) -> np.ndarray:
        """School days from start to end, both included."""
        days = np.arange(max(start, self.first_day), min(end, self.last_day) + 1)
        keep = np.is_busday(days, holidays=self.holidays)
        return days[keep]

    def testing_days(self, ranges: tuple) -> list[np.ndarray]:
        """School days inside each window's testing range."""
        out = []
        for (m1, d1), (m2, d2) in ranges:
            out.append(self.school_days(_in_school_year(self.school_year, m1, d1), _in_school_year(self.school_year, m2, d2)))
        return out

    def move_days(self) -> np.ndarray:
        (m1, d1), (m2, d2) = MOVE_RANGE
        return self.school_days(_in_school_year(self.school_year, m1, d1), _in_school_year(self.school_year, m2, d2))


def configured_window_index(config: DistrictConfig, days: np.ndarray) -> np.ndarray:
    """Window number (0-based, in config order) of each day, from the configured start days."""
    days = np.asarray(days, dtype="datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    month_day = months * 100 + (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    # Position in the school year: July-December come first.
    school_order = np.where(month_day >= 701, month_day - 700, month_day + 1200)
    starts = np.array([m * 100 + d for m, d in config.window_starts])
    start_order = np.where(starts >= 701, starts - 700, starts + 1200)
    ranked = np.argsort(start_order)
    return ranked[np.searchsorted(start_order[ranked], school_order, side="right") - 1]
