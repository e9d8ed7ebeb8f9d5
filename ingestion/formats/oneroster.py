"""1EdTech OneRoster 1.1 and 1.2 bulk CSV tables, kept as the SIS writes them (all text).

The two versions share every table but users: 1.2 moves a user's roles and orgs out of
users.csv (no orgSourcedIds, no role) into the new roles.csv, and adds userMasterIdentifier,
the preferred names, primaryOrgSourcedId and pronouns. Both users layouts land in
raw.oneroster_users (a column one version lacks stays NULL for its rows); dbt's
stg_oneroster__users takes each user's role from users.csv or roles.csv according to the layout
of the latest users file. A delivery is a folder or a ZIP of these files.

ManageBac's OneRoster 1.2 export names dateLastModified "dateModified" and agentSourcedIds
"agentSourceIds"; both are accepted as alternatives.
"""

from .base import RosterFormat
from .headers import (
    ONEROSTER_ACADEMIC_SESSIONS_HEADER,
    ONEROSTER_CLASSES_HEADER,
    ONEROSTER_COURSES_HEADER,
    ONEROSTER_DEMOGRAPHICS_HEADER,
    ONEROSTER_ENROLLMENTS_HEADER,
    ONEROSTER_MANIFEST_HEADER,
    ONEROSTER_ORGS_HEADER,
    ONEROSTER_USERS_HEADER,
)

_BASE = ("sourcedId", "status", "dateLastModified")

# OneRoster 1.2 users.csv and roles.csv (1EdTech OneRoster v1.2 CSV tables, in file order).
ONEROSTER12_USERS_HEADER: tuple[str, ...] = _BASE + (
    "enabledUser", "username", "userIds", "givenName", "familyName", "middleName", "identifier",
    "email", "sms", "phone", "agentSourcedIds", "grades", "password", "userMasterIdentifier",
    "resourceSourcedIds", "preferredGivenName", "preferredMiddleName", "preferredFamilyName",
    "primaryOrgSourcedId", "pronouns",
)
ONEROSTER12_ROLES_HEADER: tuple[str, ...] = _BASE + (
    "userSourcedId", "roleType", "role", "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId",
)

# file name in a delivery -> header, per version (the other tables are the same in 1.1 and 1.2)
_SHARED_HEADERS: dict[str, tuple[str, ...]] = {
    "manifest.csv": ONEROSTER_MANIFEST_HEADER,
    "orgs.csv": ONEROSTER_ORGS_HEADER,
    "academicSessions.csv": ONEROSTER_ACADEMIC_SESSIONS_HEADER,
    "courses.csv": ONEROSTER_COURSES_HEADER,
    "classes.csv": ONEROSTER_CLASSES_HEADER,
}
ONEROSTER_HEADERS_BY_VERSION: dict[str, dict[str, tuple[str, ...]]] = {
    "1.1": {
        **_SHARED_HEADERS,
        "users.csv": ONEROSTER_USERS_HEADER,
        "enrollments.csv": ONEROSTER_ENROLLMENTS_HEADER,
        "demographics.csv": ONEROSTER_DEMOGRAPHICS_HEADER,
    },
    "1.2": {
        **_SHARED_HEADERS,
        "users.csv": ONEROSTER12_USERS_HEADER,
        "roles.csv": ONEROSTER12_ROLES_HEADER,
        "enrollments.csv": ONEROSTER_ENROLLMENTS_HEADER,
        "demographics.csv": ONEROSTER_DEMOGRAPHICS_HEADER,
    },
}

_ALTERNATIVES = {
    "dateLastModified": ("dateLastModified", "dateModified"),
    "agentSourcedIds": ("agentSourcedIds", "agentSourceIds"),
}


def _declared(header: tuple[str, ...]) -> tuple[str | tuple[str, ...], ...]:
    """A header as declared columns, with the other names vendors use for some columns."""
    return tuple(_ALTERNATIVES.get(column, column) for column in header)


ONEROSTER_ORGS = RosterFormat(
    name="oneroster_orgs",
    raw_table="oneroster_orgs",
    signature=("sourcedId", "name", "type", "identifier", "parentSourcedId"),
    required_columns=("sourcedId", "name", "type", "identifier"),
    declared_columns=_declared(ONEROSTER_ORGS_HEADER),
    description="OneRoster orgs.csv (1.1 and 1.2)",
)
ONEROSTER_ACADEMIC_SESSIONS = RosterFormat(
    name="oneroster_academic_sessions",
    raw_table="oneroster_academic_sessions",
    signature=("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
    required_columns=("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
    declared_columns=_declared(ONEROSTER_ACADEMIC_SESSIONS_HEADER),
    description="OneRoster academicSessions.csv (1.1 and 1.2)",
)
ONEROSTER_COURSES = RosterFormat(
    name="oneroster_courses",
    raw_table="oneroster_courses",
    signature=("sourcedId", "title", "courseCode", "orgSourcedId"),
    required_columns=("sourcedId", "title"),
    declared_columns=_declared(ONEROSTER_COURSES_HEADER),
    description="OneRoster courses.csv (1.1 and 1.2)",
)
ONEROSTER_CLASSES = RosterFormat(
    name="oneroster_classes",
    raw_table="oneroster_classes",
    signature=("sourcedId", "title", "classType", "schoolSourcedId", "termSourcedIds"),
    required_columns=("sourcedId", "title", "grades", "schoolSourcedId", "termSourcedIds"),
    declared_columns=_declared(ONEROSTER_CLASSES_HEADER),
    description="OneRoster classes.csv (1.1 and 1.2)",
)
# Every column required here is in both users layouts, so the raw table's checks (which read
# the first users format declared) hold for rows of either version.
ONEROSTER12_USERS = RosterFormat(
    name="oneroster_users_v1p2",
    raw_table="oneroster_users",
    signature=("sourcedId", "givenName", "familyName", "primaryOrgSourcedId"),
    required_columns=("sourcedId", "givenName", "familyName", "identifier"),
    excludes=("role",),
    declared_columns=_declared(ONEROSTER12_USERS_HEADER),
    description="OneRoster 1.2 users.csv (roles in roles.csv)",
)
ONEROSTER11_USERS = RosterFormat(
    name="oneroster_users",
    raw_table="oneroster_users",
    signature=("sourcedId", "givenName", "familyName", "identifier"),
    required_columns=("sourcedId", "givenName", "familyName", "identifier", "role"),
    excludes=("primaryOrgSourcedId",),
    declared_columns=_declared(ONEROSTER_USERS_HEADER),
    description="OneRoster 1.1 users.csv",
)
ONEROSTER12_ROLES = RosterFormat(
    name="oneroster_roles",
    raw_table="oneroster_roles",
    signature=("userSourcedId", "roleType", "role", "orgSourcedId"),
    required_columns=("userSourcedId", "roleType", "role", "orgSourcedId"),
    declared_columns=_declared(ONEROSTER12_ROLES_HEADER),
    description="OneRoster 1.2 roles.csv",
)
ONEROSTER_ENROLLMENTS = RosterFormat(
    name="oneroster_enrollments",
    raw_table="oneroster_enrollments",
    signature=("sourcedId", "classSourcedId", "userSourcedId", "role"),
    required_columns=("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
    declared_columns=_declared(ONEROSTER_ENROLLMENTS_HEADER),
    description="OneRoster enrollments.csv (1.1 and 1.2)",
)
ONEROSTER_DEMOGRAPHICS = RosterFormat(
    name="oneroster_demographics",
    raw_table="oneroster_demographics",
    signature=("sourcedId", "birthDate", "sex"),
    required_columns=("sourcedId", "birthDate", "sex"),
    declared_columns=_declared(ONEROSTER_DEMOGRAPHICS_HEADER),
    description="OneRoster demographics.csv (1.1 and 1.2) with the district's metadata.* columns",
)
ONEROSTER_MANIFEST = RosterFormat(
    name="oneroster_manifest",
    raw_table="oneroster_manifest",
    signature=("propertyName", "value"),
    required_columns=("propertyName", "value"),
    declared_columns=ONEROSTER_MANIFEST_HEADER,
    description="OneRoster manifest.csv (oneroster.version 1.1 or 1.2)",
)

ONEROSTER_TABLES = (
    ONEROSTER_ORGS,
    ONEROSTER_ACADEMIC_SESSIONS,
    ONEROSTER_COURSES,
    ONEROSTER_CLASSES,
    ONEROSTER12_USERS,
    ONEROSTER11_USERS,
    ONEROSTER12_ROLES,
    ONEROSTER_ENROLLMENTS,
    ONEROSTER_DEMOGRAPHICS,
    ONEROSTER_MANIFEST,
)

FORMATS = ONEROSTER_TABLES
