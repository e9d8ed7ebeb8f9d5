"""The grade 1-2 accountability sampling design (district.yml `grade12_sampling`) and its config tables."""

from __future__ import annotations

from datetime import date
from statistics import NormalDist
from typing import Literal, TYPE_CHECKING

import duckdb
import pandas as pd
from pydantic import Field, field_validator, model_validator

from .base import StrictModel, parse_month_day

if TYPE_CHECKING:
    from .district import DistrictConfig
    from .loader import DistrictDefinitions


class Grade12SamplingConfig(StrictModel):
    """The grade 1-2 accountability sampling design (who to assess, and how results are estimated)."""

    grades: list[int] = Field(default_factory=lambda: [1, 2], min_length=1)
    # subject -> the measure whose performance level decides proficiency
    measures: dict[str, str] = Field(default_factory=dict)
    windows: list[str] = Field(default_factory=list)
    # month-day of the roster the population is taken from, per window (default: the window's first day)
    draw_dates: dict[str, str] = Field(default_factory=dict)
    seed: str = Field(min_length=1)
    margin_of_error: float = Field(gt=0, lt=1)
    confidence_level: float = Field(gt=0, lt=1)
    expected_proportion: float = Field(default=0.5, gt=0, lt=1)
    minimum_sample: int = Field(default=0, ge=0)
    maximum_sample: int | None = Field(default=None, ge=1)
    stratify_by: Literal["economically_disadvantaged", "english_learner", "students_with_disabilities", "gender"] | None = None
    same_students_for_all_subjects: bool = True
    ci_method: Literal["t_fpc", "hypergeometric"] = "hypergeometric"

    @field_validator("grades")
    @classmethod
    def _valid_grades(cls, value: list[int]) -> list[int]:
        if any(g < -1 or g > 12 for g in value) or len(set(value)) != len(value):
            raise ValueError("grades must be distinct grade numbers from -1 (PK) to 12")
        return value

    @model_validator(mode="after")
    def _bounds_in_order(self) -> "Grade12SamplingConfig":
        if self.maximum_sample is not None and self.maximum_sample < self.minimum_sample:
            raise ValueError("maximum_sample must not be below minimum_sample")
        return self

    @field_validator("draw_dates")
    @classmethod
    def _valid_draw_dates(cls, value: dict[str, str]) -> dict[str, str]:
        for window, text in value.items():
            try:
                parse_month_day(text)
            except (ValueError, TypeError):
                raise ValueError(f"draw date of {window} '{text}' is not a month-day like \"09-01\"") from None
        return value


def grade12_draw_windows(
    district: DistrictConfig, windows: pd.DataFrame, measure_ids: set[str], problems: list[str]
) -> pd.DataFrame:
    """The day of each school year's windows on which the grade 1-2 population is taken from the roster."""
    columns = ["school_year", "window_name", "draw_date"]
    design = district.grade12_sampling
    if design is None:
        return pd.DataFrame(columns=columns)
    where = "district.yml, field 'grade12_sampling."
    window_names = set(windows["window_name"])
    for subject, measure_id in design.measures.items():
        if measure_id not in measure_ids:
            problems.append(f"{where}measures.{subject}': '{measure_id}' is not in measures.csv")
    for name in [*design.windows, *design.draw_dates]:
        if name not in window_names:
            problems.append(f"{where}windows': '{name}' is not a window in calendar.windows")
    if problems:
        return pd.DataFrame(columns=columns)
    chosen = windows[windows["window_name"].isin(design.windows)].copy()
    draw_dates = []
    for school_year, name, start, end in zip(chosen["school_year"], chosen["window_name"], chosen["start_date"], chosen["end_date"]):
        if name not in design.draw_dates:
            draw_dates.append(start)
            continue
        month, day = parse_month_day(design.draw_dates[name])
        candidate = date(start.year, month, day)
        if candidate < start:
            candidate = date(start.year + 1, month, day)
        if candidate > end:
            problems.append(
                f"{where}draw_dates.{name}': {design.draw_dates[name]} is not inside the {name} window "
                f"({start:%m-%d} to {end:%m-%d})"
            )
            return pd.DataFrame(columns=columns)
        draw_dates.append(candidate)
    chosen["draw_date"] = draw_dates
    return chosen[columns].reset_index(drop=True)


def write_grade12_design(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """config.grade12_design (one row, none when the district samples nothing), grade12_measures, grade12_windows."""
    design = definitions.district.grade12_sampling
    con.execute(
        """
        create or replace table config.grade12_design (
            seed varchar, margin_of_error double, confidence_level double, z_value double,
            expected_proportion double, minimum_sample integer, maximum_sample integer, stratify_by varchar,
            same_students_for_all_subjects boolean, ci_method varchar
        )
        """
    )
    con.execute("create or replace table config.grade12_measures (grade_level integer, subject varchar, measure_id varchar)")
    con.execute("create or replace table config.grade12_windows (school_year integer, window_name varchar, draw_date date)")
    if design is None:
        return {"grade12_design": 0, "grade12_measures": 0, "grade12_windows": 0}
    z_value = NormalDist().inv_cdf(0.5 + design.confidence_level / 2)
    con.execute(
        "insert into config.grade12_design values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            design.seed,
            design.margin_of_error,
            design.confidence_level,
            z_value,
            design.expected_proportion,
            design.minimum_sample,
            design.maximum_sample,
            design.stratify_by,
            design.same_students_for_all_subjects,
            design.ci_method,
        ],
    )
    measure_rows = [(g, subject, m) for g in design.grades for subject, m in design.measures.items()]
    if measure_rows:
        con.executemany("insert into config.grade12_measures values (?, ?, ?)", measure_rows)
    con.register("grade12_windows", definitions.grade12_windows)
    con.execute("insert into config.grade12_windows select school_year, window_name, draw_date from grade12_windows")
    con.unregister("grade12_windows")
    return {
        "grade12_design": 1,
        "grade12_measures": len(measure_rows),
        "grade12_windows": len(definitions.grade12_windows),
    }
