"""Where the pipeline reads and writes: set by environment variables (the CLI sets them from its options)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from publication.contract import DBT_PROJECT_DIR  # noqa: F401

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paths:
    landing_dir: Path
    config_dir: Path
    warehouse_dir: Path

    @property
    def build_db(self) -> Path:
        return self.warehouse_dir / "build.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.warehouse_dir / "published"

    @property
    def runs_dir(self) -> Path:
        return self.warehouse_dir / "runs"

    @property
    def reports_dir(self) -> Path:
        return self.warehouse_dir / "reports"

    @classmethod
    def from_env(cls) -> "Paths":
        return cls(
            landing_dir=Path(os.environ.get("SPT_LANDING_DIR", "landing")).resolve(),
            config_dir=Path(os.environ.get("SPT_CONFIG_DIR", PROJECT_ROOT / "config")).resolve(),
            warehouse_dir=Path(os.environ.get("SPT_WAREHOUSE_DIR", "warehouse")).resolve(),
        )

    def export(self) -> None:
        """Make these paths (and the student key secret) the ones every stage and the dbt subprocess use."""
        self.prepare_warehouse()
        ensure_student_key_secret(self.warehouse_dir)
        os.environ["SPT_LANDING_DIR"] = str(self.landing_dir)
        os.environ["SPT_CONFIG_DIR"] = str(self.config_dir)
        os.environ["SPT_WAREHOUSE_DIR"] = str(self.warehouse_dir)
        os.environ["SPT_BUILD_DB"] = str(self.build_db)


    def prepare_warehouse(self) -> None:
        """The warehouse folder, traversable so the public file can be reached; what it holds is owner-only.

        A folder this creates is 0755; build.duckdb (with its .wal), runs/, reports/ and secrets/ are
        made owner-only, also in a warehouse written by an earlier release.
        """
        private_files()
        if not self.warehouse_dir.exists():
            self.warehouse_dir.mkdir(parents=True)
            self.warehouse_dir.chmod(0o755)
        for folder in (self.runs_dir, self.reports_dir, self.warehouse_dir / "secrets"):
            folder.mkdir(exist_ok=True)
            folder.chmod(0o700)
            for inner in folder.rglob("*"):
                inner.chmod(0o700 if inner.is_dir() else 0o600)
        for name in ("build.duckdb", "build.duckdb.wal", ".run.lock"):
            if (self.warehouse_dir / name).exists():
                (self.warehouse_dir / name).chmod(0o600)


def private_files() -> None:
    """Everything this process and its subprocesses (dbt) create is readable by its owner only.

    Publication opens up the public file and the manifest explicitly (publication.publish).
    """
    os.umask(0o077)


SECRET_ENV = "SPT_STUDENT_KEY_SECRET"
SECRET_FILE = "secrets/student_key.secret"


def ensure_student_key_secret(warehouse_dir: Path) -> str:
    """The secret that keys `student_key`: SPT_STUDENT_KEY_SECRET if set, else this warehouse's own.

    A warehouse without the variable gets a random secret at <warehouse>/secrets/student_key.secret
    (readable by its owner only) on first use and keeps it, so keys stay stable across runs. The
    secret is never in the repository. Set the variable (from a secret store) in production, so
    keys survive a rebuilt warehouse folder.
    """
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = Path(warehouse_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    os.environ[SECRET_ENV] = path.read_text().strip()
    return os.environ[SECRET_ENV]
