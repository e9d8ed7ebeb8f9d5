"""OneRoster 1.1 and 1.2 rosters, as a folder or a ZIP, load and stage to the same students.

OneRoster 1.2 moves a user's role and school out of users.csv into roles.csv; the warehouse
must give every user the same role and school whichever version the SIS sends.
"""

from __future__ import annotations

import json
import gc
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner

from ingestion.files import scan_landing, sniff
from ingestion.formats import matching_formats
from ingestion.formats.headers import ONEROSTER_HEADERS
from ingestion.formats.oneroster import ONEROSTER12_ROLES_HEADER, ONEROSTER12_USERS_HEADER
from ingestion.load import IngestSummary
from synthetic import generate_district
from orchestration import stages
from orchestration.settings import DBT_PROJECT_DIR, Paths

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
DISTRICT = {"students": 300, "schools": 3, "years": 2, "seed": 11}
ZIP_PATH = "oneroster/oneroster_2026-06-05.zip"
# The roster marts and everything they are built from.
ROSTER_MODELS = ["+dim_students", "+fct_class_enrollments", "+dim_class_teachers"]
ROSTER_TABLES = [
    "marts.dim_students",
    "marts.fct_class_enrollments",
    "marts.dim_class_teachers",
    "intermediate.int_roster__students_joined",
    "intermediate.int_roster__enrollments_dated",
]


@dataclass(frozen=True)
class Warehouse:
    paths: Paths
    summary: IngestSummary

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.paths.build_db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


class Builder:
    """Runs the pipeline stages up to dbt in one working warehouse and keeps a copy of each result.

    Every build uses the same build database path and dbt target folder, so dbt parses the
    project once and reuses that parse for the next builds.
    """

    def __init__(self, root: Path):
        self.root = root
        self.warehouse_dir = root / "warehouse"

    def build(self, landing: Path, models: list[str], name: str, fresh: bool = True) -> Warehouse:
        """Ingest `landing` (into an empty warehouse when `fresh`), dbt build `models` and the
        tests on them alone; the warehouse as built is kept under `name`."""
        if fresh and self.warehouse_dir.exists():
            shutil.rmtree(self.warehouse_dir)
        paths = Paths(landing_dir=landing, config_dir=CONFIG_DIR, warehouse_dir=self.warehouse_dir)
        stages.load_config(paths)
        summary = stages.ingest(paths)
        target = self.root / "dbt_target"
        args = [
            "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(target / "logs"),
            "--indirect-selection", "cautious", "--select", *models,
        ]
        # dbt runs in this process (starting it anew costs more than these builds); its DuckDB
        # handle is released afterwards so that the next ingest can open the database.
        with pytest.MonkeyPatch.context() as env:
            env.setenv("SPT_BUILD_DB", str(paths.build_db))
            env.setenv("SPT_STUDENT_KEY_SECRET", "test-student-key-secret")
            env.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            try:
                result = dbtRunner().invoke(args)
            finally:
                DuckDBConnectionManager.close_all_connections()
                gc.collect()
        failed = [r.node.name for r in getattr(result.result, "results", []) if r.status in ("error", "fail")]
        assert result.success, f"dbt build failed: {failed or result.exception}"
        kept = self.root / "kept" / name
        if kept.exists():
            shutil.rmtree(kept)
        shutil.copytree(self.warehouse_dir, kept)
        return Warehouse(Paths(landing_dir=landing, config_dir=CONFIG_DIR, warehouse_dir=kept), summary)


@pytest.fixture(scope="module")
def builder(tmp_path_factory) -> Builder:
    return Builder(tmp_path_factory.mktemp("builds"))


@pytest.fixture(scope="module")
def districts(tmp_path_factory) -> dict[str, Path]:
    """The same district with its roster as a OneRoster 1.1 folder and as a 1.2 ZIP."""
    out = {}
    for version, zipped in (("1.1", False), ("1.2", True)):
        out[version] = tmp_path_factory.mktemp(f"district_{version}")
        generate_district(out[version], **DISTRICT, roster_version=version, roster_zip=zipped)
    return out


@pytest.fixture(scope="module")
def warehouses(districts, builder) -> dict[str, Warehouse]:
    """Each district ingested into its own warehouse and built to the roster marts."""
    return {
        version: builder.build(district / "landing", ROSTER_MODELS, f"district_{version}")
        for version, district in districts.items()
    }


# ---- the generated deliveries ------------------------------------------------------------


def test_the_default_roster_is_a_oneroster_11_folder(districts):
    folder = districts["1.1"] / "landing" / "oneroster"
    assert sorted(p.name for p in folder.iterdir()) == sorted(ONEROSTER_HEADERS)
    assert "oneroster.version,1.1" in (folder / "manifest.csv").read_text().splitlines()


def test_a_12_zip_holds_users_without_roles_and_a_roles_table(districts):
    landing = districts["1.2"] / "landing"
    assert [p.name for p in (landing / "oneroster").iterdir()] == ["oneroster_2026-06-05.zip"]
    with zipfile.ZipFile(landing / ZIP_PATH) as zipped:
        assert sorted(zipped.namelist()) == sorted([*ONEROSTER_HEADERS, "roles.csv"])
        users = zipped.read("users.csv").decode().splitlines()
        roles = zipped.read("roles.csv").decode().splitlines()
        manifest = zipped.read("manifest.csv").decode().splitlines()
    assert tuple(users[0].split(",")) == ONEROSTER12_USERS_HEADER
    assert "role" not in users[0].split(",") and "orgSourcedIds" not in users[0].split(",")
    assert tuple(roles[0].split(",")) == ONEROSTER12_ROLES_HEADER
    assert len(roles) == len(users)
    assert "oneroster.version,1.2" in manifest and "file.roles,bulk" in manifest


def test_the_roster_form_changes_no_other_file_nor_the_truth(districts):
    def other_files(root: Path) -> dict[str, bytes]:
        # Workbooks are left out: they carry the time they were written.
        landing = root / "landing"
        return {
            str(p.relative_to(landing)): p.read_bytes()
            for p in sorted(landing.rglob("*"))
            if p.is_file() and not p.is_relative_to(landing / "oneroster") and p.suffix != ".xlsx"
        }

    assert other_files(districts["1.1"]) == other_files(districts["1.2"])
    for name in ("students.csv", "enrollments.csv", "results.csv"):
        assert (districts["1.1"] / "truth" / name).read_bytes() == (districts["1.2"] / "truth" / name).read_bytes()


def test_the_same_district_gives_the_same_zip_bytes(tmp_path):
    for name in ("first", "again"):
        generate_district(tmp_path / name, students=40, schools=1, years=1, roster_version="1.2", roster_zip=True)
    first, again = ((tmp_path / name / "landing" / ZIP_PATH).read_bytes() for name in ("first", "again"))
    assert first == again


def test_every_generated_header_matches_one_layout_without_drift(districts):
    formats = {}
    for version, district in districts.items():
        for landing_file in scan_landing(district / "landing"):
            header = sniff(landing_file).header
            matches = matching_formats(header)
            assert len(matches) == 1, (landing_file.relative_path, [f.name for f in matches])
            if landing_file.relative_path.startswith("oneroster/"):
                assert matches[0].drift(header) == ([], []), landing_file.relative_path
                formats[(version, landing_file.relative_path.rsplit("/", 1)[-1])] = matches[0].name
    assert formats[("1.1", "users.csv")] == "oneroster_users"
    assert formats[("1.2", "users.csv")] == "oneroster_users_v1p2"
    assert formats[("1.2", "roles.csv")] == "oneroster_roles"
    assert formats[("1.1", "demographics.csv")] == formats[("1.2", "demographics.csv")] == "oneroster_demographics"


# ---- loading and staging -----------------------------------------------------------------


def test_every_roster_row_loads_with_no_rejection_and_no_drift(warehouses, districts):
    for version, warehouse in warehouses.items():
        rows_per_file = json.loads((districts[version] / "truth" / "summary.json").read_text())["rows_per_file"]
        written = {path: rows for path, rows in rows_per_file.items() if path.startswith("oneroster/")}
        loaded = [f for f in warehouse.summary.files if f.source_file.startswith("oneroster/")]
        assert {f.source_file for f in loaded} == set(written)
        for outcome in loaded:
            assert outcome.status == "loaded", (outcome.source_file, outcome.reason)
            assert outcome.rows_read == outcome.rows_loaded == written[outcome.source_file]
            assert outcome.rows_rejected == 0
        drift = warehouse.query("select count(*) from raw.schema_drift where source_file like 'oneroster/%'")
        assert drift == [(0,)]
    assert warehouses["1.2"].query("select distinct source_file from raw.oneroster_users") == [
        (f"{ZIP_PATH}/users.csv",),
    ]


def test_the_raw_roster_checks_pass_for_both_versions(warehouses):
    for warehouse in warehouses.values():
        failed = [r for r in stages.raw_gate(warehouse.paths) if not r.passed and "oneroster" in r.name]
        assert failed == []


def test_a_12_zip_builds_the_same_students_and_enrollments_as_a_11_folder(warehouses):
    def fingerprint(warehouse: Warehouse) -> dict[str, tuple]:
        return {
            table: warehouse.query(
                f"select count(*), md5(string_agg(r::varchar, '|' order by r::varchar)) from {table} r"
            )[0]
            for table in ROSTER_TABLES
        }

    folder, zipped = fingerprint(warehouses["1.1"]), fingerprint(warehouses["1.2"])
    assert folder["marts.dim_students"][0] > 300
    assert zipped == folder


def test_every_staged_user_has_its_role_and_school_in_both_versions(warehouses, districts):
    truth = {
        row.split(",")[0]: row.split(",")
        for row in (districts["1.1"] / "truth" / "students.csv").read_text().splitlines()
    }
    school_column = truth.pop("local_student_id").index("school_id")
    for version, warehouse in warehouses.items():
        rows = warehouse.query(
            "select u.oneroster_version, u.user_role, u.user_identifier, o.org_identifier, u.org_sourced_ids "
            "from staging.stg_oneroster__users u "
            "left join staging.stg_oneroster__orgs o on o.org_sourced_id = u.primary_org_sourced_id"
        )
        assert {r[0] for r in rows} == {version}
        students = {r[2]: r for r in rows if r[1] == "student"}
        assert set(students) == set(truth)
        assert all(r[3] == truth[local][school_column] and r[4] == f"sch-{r[3]}" for local, r in students.items())
        assert {r[1] for r in rows} == {"student", "teacher"}


# ---- hand-written deliveries -------------------------------------------------------------

# ManageBac's OneRoster 1.2 export: "dateModified" and "agentSourceIds", no resourceSourcedIds.
USERS_12 = """\
sourcedId,status,dateModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourceIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns
u-ada,,,true,ada.l,{StateID:5550001},Ada,Lovelace,,1001,,,,,03,,5550001,Addie,,,sch-2,she/her
u-grace,,,true,grace.h,,Grace,Hopper,,T01,,,,,,,,,,,,
"""
# Ada is an aide somewhere but a student first; Grace's school comes from her primary role.
ROLES_12 = """\
sourcedId,status,dateModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId
r-1,,,u-ada,secondary,aide,,,sch-1,
r-2,,,u-ada,primary,student,2025-08-15,,sch-2,
r-3,,,u-grace,primary,teacher,,,sch-1,
r-4,,,u-grace,secondary,administrator,,,sch-2,
"""
# A later OneRoster 1.1 users.csv: roles are in the file again.
USERS_11 = """\
sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password
u-ada,,,true,"sch-3,sch-1",student,ada.l,{StateID:5550001},Ada,Lovelace,,1001,,,,,04,
u-grace,,,true,sch-1,administrator,grace.h,,Grace,Hopper,,T01,,,,,,
"""
STAGED_USERS = (
    "select user_sourced_id, oneroster_version, user_role, primary_org_sourced_id, org_sourced_ids, "
    "preferred_given_name, pronouns, user_master_identifier, grade_level "
    "from staging.stg_oneroster__users order by user_sourced_id"
)


def test_12_users_take_the_primary_role_from_roles_and_a_later_11_file_ignores_roles(tmp_path, builder):
    landing = tmp_path / "landing"
    (landing / "sis").mkdir(parents=True)
    (landing / "sis" / "users.csv").write_text(USERS_12)
    (landing / "sis" / "roles.csv").write_text(ROLES_12)
    models = ["stg_oneroster__roles", "stg_oneroster__users"]
    warehouse = builder.build(landing, models, "handwritten_12")

    loaded = [
        (f.source_file, f.file_format, f.rows_loaded, f.new_columns, f.missing_columns) for f in warehouse.summary.files
    ]
    assert loaded == [
        ("sis/roles.csv", "oneroster_roles", 4, [], []),
        ("sis/users.csv", "oneroster_users_v1p2", 2, [], ["resourceSourcedIds"]),
    ]
    assert warehouse.query(STAGED_USERS) == [
        ("u-ada", "1.2", "student", "sch-2", "sch-1,sch-2", "Addie", "she/her", "5550001", 3),
        ("u-grace", "1.2", "teacher", "sch-1", "sch-1,sch-2", None, None, None, None),
    ]

    (landing / "sis" / "users_2026.csv").write_text(USERS_11)
    warehouse = builder.build(landing, models, "handwritten_12_then_11", fresh=False)
    assert [(f.source_file, f.file_format) for f in warehouse.summary.files if f.status == "loaded"] == [
        ("sis/users_2026.csv", "oneroster_users"),
    ]
    # Grace's 1.2 role (teacher) is not used: the latest users file states her role itself.
    assert warehouse.query(STAGED_USERS) == [
        ("u-ada", "1.1", "student", "sch-3", "sch-3,sch-1", None, None, None, 4),
        ("u-grace", "1.1", "administrator", "sch-1", "sch-1", None, None, None, None),
    ]
