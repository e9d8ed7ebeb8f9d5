"""The publication survives a killed run, readers never see a partial one, and rollback restores the last.

A run is killed with SIGKILL (its whole process group, dbt included) in ingest, in the dbt
build, in the checks and in the middle of writing the new publication; after each kill the
current publication is byte for byte what it was and opens; the next run completes with the
same tables as a run that was never interrupted.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest

from publication.publish import publish, read_manifest
from tests.conftest import CONFIG_DIR, SPT, TEST_SECRET, PipelineRun, spt

pytestmark = pytest.mark.e2e


def published_digest(published: Path) -> dict[str, str]:
    """Content of what readers see: the files behind the stable paths."""
    files = [published / "district.duckdb", published / "public.duckdb", published / "manifest.json"]
    files += sorted((published / "parquet").glob("*.parquet"))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def table_fingerprints(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
        return {
            t: con.execute(f"select md5(string_agg(r::varchar, '|' order by r::varchar)) from {t} r").fetchone()[0]
            for t in tables
            if t != "data_quality_runs"
        }


def start_run(landing: Path, warehouse: Path) -> subprocess.Popen:
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "SPT_STUDENT_KEY_SECRET": TEST_SECRET}
    return subprocess.Popen(
        [SPT, "run", "--landing", str(landing), "--config", str(CONFIG_DIR), "--warehouse", str(warehouse)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )


def kill_when(process: subprocess.Popen, step: str, after_seconds: float = 0.0, until=None) -> str:
    """SIGKILL the run's process group once `step` starts (then after a delay, or once `until()` holds)."""
    seen = []
    for line in process.stderr:
        seen.append(line)
        if f"▶ {step}" in line:
            break
    else:
        raise AssertionError(f"the run ended before step {step}:\n{''.join(seen)}")
    if until is not None:
        deadline = time.monotonic() + 120
        while not until() and time.monotonic() < deadline:
            time.sleep(0.001)
    time.sleep(after_seconds)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return "".join(seen)


def test_killed_at_each_stage_the_publication_stays_and_the_next_run_completes(
    pipeline_run: PipelineRun, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(pipeline_run.published_dir, warehouse / "published", symlinks=True)
    published = warehouse / "published"
    before = published_digest(published)
    facts = read_manifest(published)["tables"]["fct_assessment_results"]

    def staging_exists() -> bool:
        return any((published / "versions").glob(".staging-*/district.duckdb"))

    for step, delay, until in (
        ("landing_files", 0.4, None),
        ("warehouse_models", 6.0, None),
        ("publication_gate", 0.0, None),
        ("published__warehouse", 0.0, staging_exists),
    ):
        run = start_run(pipeline_run.landing_dir, warehouse)
        kill_when(run, step, delay, until)
        assert run.returncode == -signal.SIGKILL, step
        assert published_digest(published) == before, f"killed in {step}"
        with duckdb.connect(str(published / "district.duckdb"), read_only=True) as con:
            assert con.execute("select count(*) from fct_assessment_results").fetchone()[0] == facts

    completed = spt("run", "--landing", str(pipeline_run.landing_dir), "--config", str(CONFIG_DIR),
                    "--warehouse", str(warehouse))
    assert completed.returncode == 0, completed.stderr[-3000:]
    # the same tables as the run that was never interrupted: nothing lost, nothing counted twice
    assert table_fingerprints(published / "district.duckdb") == table_fingerprints(
        pipeline_run.published_dir / "district.duckdb"
    )


def test_readers_polling_during_publishes_never_fail_or_see_a_partial_table(pipeline_run: PipelineRun, tmp_path: Path):
    build = tmp_path / "build.duckdb"
    shutil.copyfile(pipeline_run.warehouse_dir / "build.duckdb", build)
    published = tmp_path / "published"
    publish(build, published, "p-00")
    with duckdb.connect(str(published / "public.duckdb"), read_only=True) as con:
        expected = con.execute("select count(*), sum(n_tested) from agg_school_proficiency").fetchone()
    failures: list[str] = []
    reads = 0
    done = threading.Event()

    def reader() -> None:
        nonlocal reads
        while not done.is_set():
            try:
                with duckdb.connect(str(published / "public.duckdb"), read_only=True) as con:
                    seen = con.execute("select count(*), sum(n_tested) from agg_school_proficiency").fetchone()
                if seen != expected:
                    failures.append(f"partial table: {seen}")
                reads += 1
            except Exception as error:  # any failed read is what the test is looking for
                failures.append(repr(error))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for n in range(1, 6):
        publish(build, published, f"p-{n:02d}", keep_last=2)
    done.set()
    for thread in threads:
        thread.join()
    assert failures == []
    assert reads > 20
    assert read_manifest(published)["run_id"] == "p-05"


def test_spt_rollback_restores_the_previous_publication(pipeline_run: PipelineRun, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(pipeline_run.published_dir, warehouse / "published", symlinks=True)
    first = read_manifest(warehouse / "published")["run_id"]
    publish(pipeline_run.warehouse_dir / "build.duckdb", warehouse / "published", "99990101T000000Z-later")

    result = spt("rollback", "--warehouse", str(warehouse))

    assert result.returncode == 0, result.stderr
    assert f"publication {first}" in result.stdout
    assert read_manifest(warehouse / "published")["run_id"] == first
    assert spt("rollback", "--to", "nope", "--warehouse", str(warehouse)).returncode == 2
