"""Run the pipeline when new files land, and once a day."""

from __future__ import annotations

import hashlib

import dagster as dg

from .settings import Paths

pipeline_job = dg.define_asset_job(
    "spt_pipeline",
    selection=dg.AssetSelection.all(),
    description="Config, ingestion, dbt build, the publication gate and publish.",
)


def landing_fingerprint(paths: Paths) -> str:
    """Changes whenever a file is added to, removed from or rewritten in the landing folder."""
    digest = hashlib.sha256()
    if paths.landing_dir.is_dir():
        for path in sorted(p for p in paths.landing_dir.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(paths.landing_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(job=pipeline_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED)
def landing_sensor(context: dg.SensorEvaluationContext):
    fingerprint = landing_fingerprint(Paths.from_env())
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed files in the landing folder")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)


daily_schedule = dg.ScheduleDefinition(
    name="daily_pipeline",
    job=pipeline_job,
    cron_schedule="0 6 * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
