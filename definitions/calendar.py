"""School years and assessment windows: the calendar of district.yml, and every day of it with its window."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from pydantic import Field, field_validator

from .base import StrictModel, parse_month_day


class WindowConfig(StrictModel):
    name: str = Field(min_length=1)
    starts: str

    @field_validator("starts")
    @classmethod
    def _valid_month_day(cls, value: str) -> str:
        try:
            parse_month_day(value)
        except (ValueError, TypeError):
            raise ValueError(f"'{value}' is not a month-day like \"07-01\"") from None
        return value


class CalendarConfig(StrictModel):
    first_school_year: int = Field(ge=1990, le=2100)
    last_school_year: int = Field(ge=1990, le=2100)
    year_starts: str = "07-01"
    windows: list[WindowConfig] = Field(min_length=1)

    @field_validator("year_starts")
    @classmethod
    def _valid_year_start(cls, value: str) -> str:
        return WindowConfig._valid_month_day(value)


def windows_in_date_order(calendar: CalendarConfig) -> list[WindowConfig]:
    """The calendar's windows in the order they come in a school year (from year_starts)."""
    start = parse_month_day(calendar.year_starts)
    return sorted(calendar.windows, key=lambda w: (parse_month_day(w.starts) < start, parse_month_day(w.starts)))


def assessment_windows(calendar: CalendarConfig) -> pd.DataFrame:
    """Every window of every configured school year, with its first and last day."""
    start_month, start_day = parse_month_day(calendar.year_starts)
    records = []
    for school_year in range(calendar.first_school_year, calendar.last_school_year + 1):
        year_start = date(school_year - 1, start_month, start_day)
        next_year_start = date(school_year, start_month, start_day)
        starts = []
        for window in calendar.windows:
            month, day = parse_month_day(window.starts)
            candidate = date(school_year - 1, month, day)
            if candidate < year_start:
                candidate = date(school_year, month, day)
            starts.append((candidate, window.name))
        starts.sort()
        for order, (start, name) in enumerate(starts, start=1):
            end = starts[order][0] - timedelta(days=1) if order < len(starts) else next_year_start - timedelta(days=1)
            records.append((school_year, name, order, start, end))
    return pd.DataFrame(records, columns=["school_year", "window_name", "window_order", "start_date", "end_date"])


def calendar_days(windows: pd.DataFrame) -> pd.DataFrame:
    """Every day of every configured school year with its window: lets a date find its window by equality."""
    days = windows.assign(
        calendar_date=[pd.date_range(s, e, freq="D") for s, e in zip(windows["start_date"], windows["end_date"])]
    ).explode("calendar_date")
    days["calendar_date"] = pd.to_datetime(days["calendar_date"]).dt.date
    return days[["calendar_date", "school_year", "window_name"]].reset_index(drop=True)
