"""Growth settings (district.yml `growth`): gain spans, vendor targets, matrix spans, growth percentiles."""

from __future__ import annotations

from typing import Literal, TYPE_CHECKING

import duckdb
import pandas as pd
from pydantic import Field

from .base import StrictModel, field_path, yaml_line
from .calendar import windows_in_date_order

if TYPE_CHECKING:
    from .calendar import CalendarConfig
    from .district import DistrictConfig
    from .loader import DistrictDefinitions


class GrowthSpan(StrictModel):
    """Two windows growth is measured between; prior_year: the from window is of the previous school year."""

    from_window: str = Field(min_length=1)
    to_window: str = Field(min_length=1)
    prior_year: bool = False

    @property
    def baseline(self) -> str:
        """The start point's name: 'fall' for this year's Fall, 'prior_spring' for last year's Spring."""
        name = "".join(c if c.isalnum() else "_" for c in self.from_window.strip().lower())
        return f"prior_{name}" if self.prior_year else name


def _default_growth_spans() -> list[GrowthSpan]:
    return [
        GrowthSpan(from_window="Fall", to_window="Winter"),
        GrowthSpan(from_window="Winter", to_window="Spring"),
        GrowthSpan(from_window="Fall", to_window="Spring"),
        GrowthSpan(from_window="Spring", to_window="Spring", prior_year=True),
        GrowthSpan(from_window="Fall", to_window="Fall", prior_year=True),
    ]


class SgpConfig(StrictModel):
    """Student growth percentiles (analytics.sgp): the measure per subject, the window, priors, cohort floor."""

    measures: dict[str, str] = Field(default_factory=dict)
    window: str = Field(default="Spring", min_length=1)
    max_priors: Literal[1, 2] = 2
    min_cohort: int = Field(default=500, ge=1)


class GrowthConfig(StrictModel):
    """Which gains fct_student_growth measures, which transitions agg_progress_matrix counts, and SGP settings."""

    spans: list[GrowthSpan] = Field(default_factory=_default_growth_spans)
    vendor_target_span: GrowthSpan | None = Field(
        default_factory=lambda: GrowthSpan(from_window="Fall", to_window="Spring")
    )
    progress_matrix_spans: list[GrowthSpan] = Field(default_factory=lambda: _default_growth_spans()[:3])
    sgp: SgpConfig = Field(default_factory=SgpConfig)


def growth_problems(growth: "GrowthConfig", calendar: CalendarConfig, text: str, file_name: str) -> list[str]:
    """Windows that are not in the calendar, same-year spans that run backwards, repeated spans."""
    order = {w.name: i for i, w in enumerate(windows_in_date_order(calendar))}
    problems = []

    def problem(loc: tuple, message: str) -> None:
        problems.append(f"{file_name} line {yaml_line(text, loc)}, field '{field_path(loc)}': {message}")

    def check_span(span: GrowthSpan, loc: tuple) -> None:
        for field in ("from_window", "to_window"):
            if getattr(span, field) not in order:
                problem((*loc, field), f"'{getattr(span, field)}' is not a window in calendar.windows ({', '.join(order)})")
        if span.from_window in order and span.to_window in order and not span.prior_year:
            if order[span.from_window] >= order[span.to_window]:
                problem(
                    (*loc, "to_window"),
                    f"{span.to_window} does not come after {span.from_window} in the school year "
                    f"(set prior_year: true to measure from {span.from_window} of the previous year)",
                )

    for list_name in ("spans", "progress_matrix_spans"):
        seen: set[tuple[str, str]] = set()
        for index, span in enumerate(getattr(growth, list_name)):
            check_span(span, ("growth", list_name, index))
            if (span.from_window, span.to_window) in seen:
                problem(
                    ("growth", list_name, index),
                    f"{span.from_window} to {span.to_window} is listed twice (a pair of windows is measured once)",
                )
            seen.add((span.from_window, span.to_window))
    if growth.vendor_target_span is not None:
        check_span(growth.vendor_target_span, ("growth", "vendor_target_span"))
    sgp = growth.sgp
    if sgp.measures:
        if sgp.window not in order:
            problem(("growth", "sgp", "window"), f"'{sgp.window}' is not a window in calendar.windows ({', '.join(order)})")
        elif not any(s.prior_year and s.from_window == s.to_window == sgp.window for s in growth.spans):
            problem(
                ("growth", "sgp", "window"),
                f"growth percentiles are attached to the {sgp.window} to {sgp.window} gain of the previous year: "
                f"add {{from_window: {sgp.window}, to_window: {sgp.window}, prior_year: true}} to growth.spans",
            )
    return problems


def growth_measure_problems(district: DistrictConfig, measure_by_id: dict, text: str) -> list[str]:
    """Growth percentile measures must be in measures.csv and of the subject they are listed under;
    the primary metrics (the transition matrices' measures) must be in measures.csv."""
    problems = []
    for subject, measure_id in district.growth.sgp.measures.items():
        loc = ("growth", "sgp", "measures", subject)
        measure = measure_by_id.get(measure_id)
        if measure is None:
            message = f"'{measure_id}' is not in measures.csv"
        elif measure.subject != subject:
            message = f"'{measure_id}' is a {measure.subject} measure in measures.csv, not {subject}"
        else:
            continue
        problems.append(f"district.yml line {yaml_line(text, loc)}, field '{field_path(loc)}': {message}")
    if district.growth.progress_matrix_spans:
        for subject, measure_id in district.metrics.primary.items():
            if measure_id not in measure_by_id:
                loc = ("metrics", "primary", subject)
                problems.append(
                    f"district.yml line {yaml_line(text, loc)}, field '{field_path(loc)}': '{measure_id}' is not in "
                    f"measures.csv (the progress matrices of growth.progress_matrix_spans use it)"
                )
    return problems


def write_growth(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """config.growth_spans, growth_measures and growth_sgp (one row; none without SGP measures)."""
    d = definitions.district
    growth = d.growth
    target = growth.vendor_target_span
    spans = pd.DataFrame(
        [
            {
                "span_use": use,
                "from_window": span.from_window,
                "to_window": span.to_window,
                "is_prior_year": span.prior_year,
                "baseline": span.baseline,
                "has_vendor_target": use == "gain"
                and target is not None
                and (span.from_window, span.to_window, span.prior_year)
                == (target.from_window, target.to_window, target.prior_year),
            }
            for use, listed in (("gain", growth.spans), ("progress_matrix", growth.progress_matrix_spans))
            for span in listed
        ],
        columns=["span_use", "from_window", "to_window", "is_prior_year", "baseline", "has_vendor_target"],
    )
    measures = pd.DataFrame(
        [("sgp", subject, m) for subject, m in growth.sgp.measures.items()]
        + [("progress_matrix", subject, m) for subject, m in d.metrics.primary.items() if growth.progress_matrix_spans],
        columns=["purpose", "subject", "measure_id"],
    )
    con.execute(
        """
        create or replace table config.growth_spans (
            span_use varchar, from_window varchar, to_window varchar, is_prior_year boolean, baseline varchar,
            has_vendor_target boolean
        )
        """
    )
    con.execute("create or replace table config.growth_measures (purpose varchar, subject varchar, measure_id varchar)")
    con.execute("create or replace table config.growth_sgp (window_name varchar, max_priors integer, min_cohort integer)")
    for table, frame in (("growth_spans", spans), ("growth_measures", measures)):
        if len(frame):
            con.register("_growth_frame", frame)
            con.execute(f"insert into config.{table} select * from _growth_frame")
            con.unregister("_growth_frame")
    sgp_rows = 0
    if growth.sgp.measures:
        con.execute(
            "insert into config.growth_sgp values (?, ?, ?)",
            [growth.sgp.window, growth.sgp.max_priors, growth.sgp.min_cohort],
        )
        sgp_rows = 1
    return {"growth_spans": len(spans), "growth_measures": len(measures), "growth_sgp": sgp_rows}
