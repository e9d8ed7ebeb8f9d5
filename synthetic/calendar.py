"""School calendar of the synthetic district: school days, testing ranges, and the assessment
windows configured in config/district.yml (read through the project's config loader)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from definitions import DistrictDefinitions, calendar_days

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
    """What the generator needs from the district's validated definitions (config/)."""

    name: str
    state_district_id: str
    # the configured window of every day of every configured school year
    window_of_day: dict[np.datetime64, str]

    @classmethod
    def from_definitions(cls, definitions: DistrictDefinitions) -> "DistrictConfig":
        days = calendar_days(definitions.assessment_windows)
        dates = np.array(days["calendar_date"].tolist(), dtype="datetime64[D]")
        return cls(
            name=definitions.district.district.name,
            state_district_id=definitions.district.district.state_district_id or "",
            window_of_day=dict(zip(dates, days["window_name"])),
        )

    def windows_of(self, days: np.ndarray) -> set[str | None]:
        """The configured windows the given days fall in (None for a day outside the calendar)."""
        return {self.window_of_day.get(day) for day in np.asarray(days, dtype="datetime64[D]")}


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
