"""Social, emotional and behavioural settings (district.yml `seb`) and their config tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
from pydantic import Field

from .base import StrictModel

if TYPE_CHECKING:
    from .loader import DistrictDefinitions


class IncidentPatternsConfig(StrictModel):
    """When behaviour incidents count as specific to a few students rather than spread across many."""

    minimum_incidents: int = Field(default=5, ge=1)
    top_students: int = Field(default=3, ge=1)
    top_student_share: float = Field(default=0.10, ge=0, lt=1)
    specific_share: float = Field(default=0.5, gt=0, le=1)


class SebConfig(StrictModel):
    """Social, emotional and behavioural settings."""

    incident_patterns: IncidentPatternsConfig = Field(default_factory=IncidentPatternsConfig)


def write_seb(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """config.seb_incident_patterns: one row with the incident pattern thresholds."""
    patterns = definitions.district.seb.incident_patterns
    con.execute(
        """
        create or replace table config.seb_incident_patterns (
            minimum_incidents integer, top_students integer, top_student_share double, specific_share double
        )
        """
    )
    con.execute(
        "insert into config.seb_incident_patterns values (?, ?, ?, ?)",
        [patterns.minimum_incidents, patterns.top_students, patterns.top_student_share, patterns.specific_share],
    )
    return {"seb_incident_patterns": 1}
