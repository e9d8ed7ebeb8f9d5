"""The one Definitions object: used by `spt run` (in-process) and by `make ui` (dagster dev)."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from . import assets
from .sensors import landing_sensor, daily_schedule, pipeline_job
from .settings import private_files

private_files()

defs = dg.Definitions(
    assets=[assets.district_definitions, assets.landing_files, assets.warehouse_models, assets.published_warehouse],
    asset_checks=[assets.raw_quality_gate, assets.publication_gate],
    jobs=[pipeline_job],
    sensors=[landing_sensor],
    schedules=[daily_schedule],
    resources={
        "dbt": DbtCliResource(
            project_dir=assets.DBT_PROJECT,
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        )
    },
)
