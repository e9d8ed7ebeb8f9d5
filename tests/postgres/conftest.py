"""A private PostgreSQL server for the publication tests: started once per session, stopped at its end.

The server is installed with apt-get when it is missing; a machine where that is impossible
fails these tests with the reason rather than skipping them.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

import pytest

from publication.postgres import publish_postgres
from tests.postgres.server import TemporaryServer, start_temporary_server

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(scope="session")
def postgres_server() -> TemporaryServer:
    try:
        server = start_temporary_server(durable=False)
    except RuntimeError as error:
        pytest.fail(f"a PostgreSQL server for the publication tests could not be started: {error}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_publication(published_dir: Path, postgres_server: TemporaryServer) -> dict:
    """The test district's publication with the readers of tests/postgres/readers."""
    return publish_postgres(published_dir, postgres_server.url, readers_config_dir())


READERS_DIR = Path(__file__).resolve().parent / "readers"


@functools.cache
def readers_config_dir() -> Path:
    """The project's config with access.csv and caseloads.csv naming people of the test district.

    config/ itself names people of the demo district (`spt demo`), which the test district,
    smaller and from another seed, does not have.
    """
    folder = Path(tempfile.mkdtemp(prefix="spt-test-readers-config-"))
    shutil.copytree(CONFIG_DIR, folder, dirs_exist_ok=True)
    for name in ("access.csv", "caseloads.csv"):
        shutil.copy(READERS_DIR / name, folder / name)
    return folder
