"""Where the pipeline reads and writes: set by environment variables (the CLI sets them from its options)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


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
        """Make these paths the ones every stage (and the dbt subprocess) uses."""
        os.environ["SPT_LANDING_DIR"] = str(self.landing_dir)
        os.environ["SPT_CONFIG_DIR"] = str(self.config_dir)
        os.environ["SPT_WAREHOUSE_DIR"] = str(self.warehouse_dir)
        os.environ["SPT_BUILD_DB"] = str(self.build_db)
