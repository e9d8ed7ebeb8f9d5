"""Measures, descriptor sets and cut scores (measures.csv, descriptor_sets.csv, cut_scores.csv)."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, field_validator

from ingestion.grades import grade_level

from .base import ALL_GRADES, StrictModel


class MeasureRow(StrictModel):
    measure_id: str = Field(pattern=r"^[a-z0-9_]+$")
    vendor: str = Field(min_length=1)
    assessment_name: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    score_type: str = Field(min_length=1)
    scale_min: float
    scale_max: float
    is_primary: bool
    # vendor_level: the level the export states (a placement, a risk level, a rating) is the
    # performance level itself, looked up in the descriptor set; no cut scores are needed.
    level_basis: Literal["scale_score", "percentile", "vendor_level"]
    descriptor_set: str = Field(min_length=1)


class DescriptorRow(StrictModel):
    descriptor_set: str = Field(min_length=1)
    descriptor: str = Field(min_length=1)
    rank: int = Field(ge=1)
    numeric_value: float
    expectation: Literal["below", "at", "above"]
    is_proficient: bool


class CutScoreRow(StrictModel):
    measure_id: str = Field(min_length=1)
    grade_level: str
    window_name: str = Field(min_length=1)
    level: str = Field(min_length=1)
    min_score: float
    max_score: float
    source: str | None = None

    @field_validator("grade_level")
    @classmethod
    def _valid_grade(cls, value: str) -> str:
        value = value.strip()
        if value != "*" and grade_level(value) is None:
            raise ValueError(f"'{value}' is not a grade (use PK, K, 1-12 or * for every grade)")
        return value


def expand_cut_scores(cuts: pd.DataFrame, window_names: list[str]) -> pd.DataFrame:
    """Replace '*' grades and windows by one row per grade and per window (a specific row wins)."""
    frame = cuts.copy()
    frame["is_specific"] = (frame["grade_level"] != "*").astype(int) + (frame["window_name"] != "*").astype(int)
    frame["grade_level"] = frame["grade_level"].map(lambda g: ALL_GRADES if g == "*" else [grade_level(g)])
    frame["window_name"] = frame["window_name"].map(lambda w: window_names if w == "*" else [w])
    frame = frame.explode("grade_level").explode("window_name")
    frame["grade_level"] = frame["grade_level"].astype(int)
    most_specific = frame.groupby(["measure_id", "grade_level", "window_name"])["is_specific"].transform("max")
    frame = frame[frame["is_specific"] == most_specific].drop(columns=["is_specific"])
    return frame.sort_values(["measure_id", "grade_level", "window_name", "min_score"]).reset_index(drop=True)


def overlapping_bands(cuts: pd.DataFrame) -> list[str]:
    ordered = cuts.sort_values(["measure_id", "grade_level", "window_name", "min_score"])
    previous = ordered.groupby(["measure_id", "grade_level", "window_name"])[["max_score", "line"]].shift(1)
    clash = ordered[ordered["min_score"] <= previous["max_score"]]
    return sorted(
        {
            f"cut_scores.csv line {int(row.line)}, field 'min_score': band '{row.level}' overlaps the band on line "
            f"{int(previous.loc[idx, 'line'])} for {row.measure_id}, grade {row.grade_level}, window {row.window_name}"
            for idx, row in clash.iterrows()
        }
    )
