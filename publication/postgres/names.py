"""The schemas, reader groups, errors and table shape shared by the PostgreSQL publication's modules."""

from __future__ import annotations

from dataclasses import dataclass

DISTRICT_SCHEMA = "district"
AGGREGATES_SCHEMA = "aggregates"
ACL_SCHEMA = "acl"
SCHEMAS = (DISTRICT_SCHEMA, AGGREGATES_SCHEMA, ACL_SCHEMA)
LOADING_SUFFIX = "__loading"

GROUP_ROLES = {
    "district_admin": "spt_district_admin",
    "school_leader": "spt_school_leader",
    "teacher": "spt_teacher",
    "intervention_staff": "spt_intervention_staff",
    "policymaker": "spt_policymaker",
    "public": "spt_public",
}

# One row per student: a school leader sees the students enrolled at their schools, which
# includes students whose current school (this table's school_id) is another one.
STUDENT_TABLE = "dim_students"

class AccessConfigError(Exception):
    """access.csv or caseloads.csv has problems; each message names file, line and column."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))

class PostgresUnavailable(Exception):
    """The PostgreSQL URL is malformed, or the server cannot be reached or refuses the login."""

class PostgresPublicationError(Exception):
    """The publication could not be loaded; the previous one stays in place."""

@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, PostgreSQL type)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)
