"""Funding inputs: the count dates and the per-school counts file (district.yml `funding`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
from pydantic import Field

from .base import StrictModel, parse_month_day

if TYPE_CHECKING:
    from .district import DistrictConfig
    from .loader import DistrictDefinitions


class SchoolCountRow(StrictModel):
    """A per-school count supplied by the district (config/<funding.counts_file>); blank school_year = every year."""

    school_id: str = Field(min_length=1)
    school_year: int | None = None
    enrollment: int | None = Field(default=None, ge=0)
    low_income_public: int | None = Field(default=None, ge=0)
    direct_certification: int | None = Field(default=None, ge=0)
    low_income_private: int | None = Field(default=None, ge=0)


def funding_count_dates(district: DistrictConfig) -> pd.DataFrame:
    """The day of each configured school year on which students are counted for funding."""
    calendar = district.calendar
    year_month, year_day = parse_month_day(calendar.year_starts)
    month, day = parse_month_day(district.funding.count_date)
    autumn = (month, day) >= (year_month, year_day)
    years = range(calendar.first_school_year, calendar.last_school_year + 1)
    return pd.DataFrame(
        {"school_year": list(years), "count_date": [date(y - 1 if autumn else y, month, day) for y in years]}
    )


def write_funding(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """config.funding_formulas (one JSON document per formula), funding_count_dates and funding_counts."""
    funding = definitions.district.funding
    formulas = pd.DataFrame(
        {
            "formula_position": range(1, len(funding.formulas) + 1),
            "formula_name": [f.name for f in funding.formulas],
            "method": [f.method for f in funding.formulas],
            "formula_json": [f.model_dump_json() for f in funding.formulas],
        }
    )
    dates = funding_count_dates(definitions.district)
    con.execute(
        """
        create or replace table config.funding_formulas (
            formula_position integer, formula_name varchar, method varchar, formula_json varchar
        )
        """
    )
    con.execute("create or replace table config.funding_count_dates (school_year integer, count_date date)")
    con.execute(
        """
        create or replace table config.funding_counts (
            school_id varchar, school_year integer, enrollment integer, low_income_public integer,
            direct_certification integer, low_income_private integer
        )
        """
    )
    for table, frame in (("funding_formulas", formulas), ("funding_count_dates", dates), ("funding_counts", definitions.funding_counts)):
        if len(frame):
            con.register("_funding_frame", frame)
            con.execute(f"insert into config.{table} select * from _funding_frame")
            con.unregister("_funding_frame")
    return {"funding_formulas": len(formulas), "funding_count_dates": len(dates), "funding_counts": len(definitions.funding_counts)}
