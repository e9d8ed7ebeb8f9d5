"""The student-key secret keys the published keys and is written nowhere.

The test session's secret is random (tests/conftest.py), so any file that holds its bytes
after a whole pipeline run got them from that run: compiled SQL, dbt's manifest, run
results or log, Dagster's storage, the run log, the publication.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT, TEST_SECRET, PipelineRun

pytestmark = pytest.mark.e2e

# The installed environment and the repository's history are not written by a run.
NOT_WRITTEN_BY_RUNS = {".venv", ".git", "node_modules"}


def files_under(root: Path):
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in NOT_WRITTEN_BY_RUNS]
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def holds(path: Path, needle: bytes) -> bool:
    with open(path, "rb") as handle:
        tail = b""
        while block := handle.read(1 << 20):
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
    return False


def test_no_file_of_the_project_the_warehouse_or_the_district_holds_the_secret(pipeline_run: PipelineRun):
    secret = TEST_SECRET.encode()
    roots = [PROJECT_ROOT, pipeline_run.warehouse_dir, pipeline_run.district_dir]
    scanned = [path for root in roots for path in files_under(root)]
    # the run wrote dbt artifacts and a run log where the scan looks
    assert any(path.name == "manifest.json" and "target" in path.parts for path in scanned)
    assert any(path.suffix == ".log" for path in scanned if pipeline_run.warehouse_dir in path.parents)
    assert [str(path) for path in scanned if holds(path, secret)] == []
    assert TEST_SECRET not in pipeline_run.result.stdout + pipeline_run.result.stderr


def test_published_keys_are_the_keyed_hash_of_the_local_id(pipeline_run: PipelineRun):
    with duckdb.connect(str(pipeline_run.published_dir / "district.duckdb"), read_only=True) as con:
        students = con.execute("select local_student_id, student_key from dim_students").fetchall()
    assert len(students) > 100
    expected = {local: hashlib.sha256(f"{TEST_SECRET}:{local}".encode()).hexdigest()[:20] for local, _ in students}
    assert {local: key for local, key in students} == expected
