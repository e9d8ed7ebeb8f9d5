"""What a OneRoster 1.2 delivery of the synthetic SIS changes against 1.1: its manifest, users.csv
without role and orgSourcedIds, and roles.csv.

The roster is written once, for every year, by `oneroster.write_oneroster(..., roster_version="1.2")`;
`write_year` adds no file per year.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from . import csvtext
from .context import District, SourceFile, YearPlan

# manifest.csv of a 1.2 bulk export: the 1.2 file list (roles, userProfiles and userResources
# are new) and the system that wrote it.
MANIFEST_V1P2: tuple[tuple[str, str], ...] = (
    ("manifest.version", "1.0"),
    ("oneroster.version", "1.2"),
    ("file.academicSessions", "bulk"),
    ("file.categories", "absent"),
    ("file.classes", "bulk"),
    ("file.classResources", "absent"),
    ("file.courses", "bulk"),
    ("file.courseResources", "absent"),
    ("file.demographics", "bulk"),
    ("file.enrollments", "bulk"),
    ("file.lineItemLearningObjectiveIds", "absent"),
    ("file.lineItems", "absent"),
    ("file.lineItemScoreScales", "absent"),
    ("file.orgs", "bulk"),
    ("file.resources", "absent"),
    ("file.resultLearningObjectiveIds", "absent"),
    ("file.results", "absent"),
    ("file.resultScoreScales", "absent"),
    ("file.roles", "bulk"),
    ("file.scoreScales", "absent"),
    ("file.userProfiles", "absent"),
    ("file.userResources", "absent"),
    ("file.users", "bulk"),
    ("source.systemName", "Synthetic SIS"),
    ("source.systemCode", "synthetic-sis"),
)


def users_and_roles(
    users_v1p1: dict[str, csvtext.Column], master_identifier: pa.Array
) -> tuple[dict[str, csvtext.Column], dict[str, csvtext.Column]]:
    """The 1.2 users.csv and roles.csv cells of the users a 1.1 users.csv describes.

    `users_v1p1` holds one school in orgSourcedIds per user. Its role and school move to one
    primary role per user in roles.csv (and the school to primaryOrgSourcedId); the
    userMasterIdentifier is `master_identifier` (the state ID of students, blank for staff).
    """
    users = {k: v for k, v in users_v1p1.items() if k not in ("orgSourcedIds", "role")}
    users["userMasterIdentifier"] = master_identifier
    users["primaryOrgSourcedId"] = users_v1p1["orgSourcedIds"]
    roles = {
        "sourcedId": csvtext.join("role-", users_v1p1["sourcedId"]),
        "userSourcedId": users_v1p1["sourcedId"],
        "roleType": "primary",
        "role": users_v1p1["role"],
        "orgSourcedId": users_v1p1["orgSourcedIds"],
    }
    return users, roles


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    """No file per year: the roster, every year in it, is written once by write_oneroster."""
    return []
