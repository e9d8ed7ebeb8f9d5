"""1EdTech OneRoster 1.1 bulk CSV tables, kept as the SIS writes them (all text)."""

from .base import RosterFormat

ONEROSTER_TABLES = (
    RosterFormat(
        name="oneroster_orgs",
        raw_table="oneroster_orgs",
        signature=("sourcedId", "name", "type", "identifier", "parentSourcedId"),
        required_columns=("sourcedId", "name", "type", "identifier"),
    ),
    RosterFormat(
        name="oneroster_academic_sessions",
        raw_table="oneroster_academic_sessions",
        signature=("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
        required_columns=("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
    ),
    RosterFormat(
        name="oneroster_courses",
        raw_table="oneroster_courses",
        signature=("sourcedId", "title", "courseCode", "orgSourcedId"),
        required_columns=("sourcedId", "title"),
    ),
    RosterFormat(
        name="oneroster_classes",
        raw_table="oneroster_classes",
        signature=("sourcedId", "title", "classType", "schoolSourcedId", "termSourcedIds"),
        required_columns=("sourcedId", "title", "grades", "schoolSourcedId", "termSourcedIds"),
    ),
    RosterFormat(
        name="oneroster_users",
        raw_table="oneroster_users",
        signature=("sourcedId", "givenName", "familyName", "identifier"),
        required_columns=("sourcedId", "givenName", "familyName", "identifier", "role"),
    ),
    RosterFormat(
        name="oneroster_enrollments",
        raw_table="oneroster_enrollments",
        signature=("sourcedId", "classSourcedId", "userSourcedId", "role"),
        required_columns=("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
    ),
    RosterFormat(
        name="oneroster_demographics",
        raw_table="oneroster_demographics",
        signature=("sourcedId", "birthDate", "sex"),
        required_columns=("sourcedId", "birthDate", "sex"),
    ),
    RosterFormat(
        name="oneroster_manifest",
        raw_table="oneroster_manifest",
        signature=("propertyName", "value"),
        required_columns=("propertyName", "value"),
    ),
)
