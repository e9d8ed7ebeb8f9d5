"""A private PostgreSQL server for the publication tests: started once per session, stopped at its end.

The server is installed with apt-get when it is missing; a machine where that is impossible
fails these tests with the reason rather than skipping them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quality.postgres import TemporaryServer, publish_postgres, start_temporary_server

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
    """The demo publication with the project's own access.csv and caseloads.csv."""
    return publish_postgres(published_dir, postgres_server.url, CONFIG_DIR)
