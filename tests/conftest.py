"""Shared fixtures: one small generated district run through the real pipeline (CLI, Dagster, dbt)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SPT = str(Path(sys.executable).parent / "spt")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = PROJECT_ROOT / "config"
# A new secret each test session, so a test can look for its bytes in what a run wrote. Kept in
# the environment because pytest may import this module twice (as conftest and tests.conftest).
TEST_SECRET = os.environ.setdefault("SPT_TEST_STUDENT_KEY_SECRET", secrets.token_hex(16))

# Small enough to run in under a minute, large enough that most school-grade cells exceed
# the minimum n of 10.
DISTRICT = {"students": 900, "schools": 3, "years": 2, "seed": 11}


@dataclass(frozen=True)
class PipelineRun:
    district_dir: Path
    landing_dir: Path
    truth_dir: Path
    warehouse_dir: Path
    published_dir: Path
    result: subprocess.CompletedProcess


def spt(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           # one secret for every test warehouse, so publications of the same files compare equal
           "SPT_STUDENT_KEY_SECRET": TEST_SECRET}
    return subprocess.run([SPT, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=900)


def run_pipeline(landing: Path, warehouse: Path, config: Path = CONFIG_DIR) -> subprocess.CompletedProcess:
    return spt("run", "--landing", str(landing), "--config", str(config), "--warehouse", str(warehouse))


@pytest.fixture(scope="session")
def generated_district(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("district")
    result = spt(
        "generate",
        "--students", str(DISTRICT["students"]),
        "--schools", str(DISTRICT["schools"]),
        "--years", str(DISTRICT["years"]),
        "--seed", str(DISTRICT["seed"]),
        "--out", str(out),
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def pipeline_run(generated_district: Path, tmp_path_factory) -> PipelineRun:
    warehouse = tmp_path_factory.mktemp("warehouse")
    result = run_pipeline(generated_district / "landing", warehouse)
    assert result.returncode == 0, f"spt run failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return PipelineRun(
        district_dir=generated_district,
        landing_dir=generated_district / "landing",
        truth_dir=generated_district / "truth",
        warehouse_dir=warehouse,
        published_dir=warehouse / "published",
        result=result,
    )


@pytest.fixture(scope="session")
def published_dir(pipeline_run: PipelineRun) -> Path:
    return pipeline_run.published_dir
