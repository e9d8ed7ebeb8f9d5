"""A private PostgreSQL server for the tests and benchmarks: Debian's postgresql package,
installed with apt-get when missing, a cluster in a temporary folder, listening on 127.0.0.1."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg


@dataclass
class TemporaryServer:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only, with trust logins."""

    url: str
    port: int
    directory: Path
    bin_dir: Path
    run_as: tuple[str, ...]

    def url_for(self, user: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{self.url.rsplit('/', 1)[1]}"

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        subprocess.run(
            [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True, text=True, timeout=120,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def find_postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def install_postgres() -> Path:
    """Install Debian's postgresql package when initdb is missing; returns its bin folder.

    Raises RuntimeError saying why when it cannot be installed (not root, no apt-get, no package).
    """
    found = find_postgres_bin()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError("PostgreSQL is not installed and cannot be installed here: run `apt-get install -y postgresql` as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    result = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    if result.returncode != 0:
        # A new machine has no package lists yet.
        subprocess.run(["apt-get", "update"], capture_output=True, text=True, env=env, timeout=900)
        result = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    found = find_postgres_bin()
    if result.returncode != 0 or not found:
        tail = " ".join(result.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"installing PostgreSQL with apt-get failed: {tail}")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_temporary_server(durable: bool = True, install: bool = True) -> TemporaryServer:
    """Start a private PostgreSQL server on a free 127.0.0.1 port; stop it with `.stop()`.

    initdb refuses to run as root, so as root the cluster belongs to the `postgres` OS user.
    `durable=False` turns off fsync and full-page writes, for throw-away test clusters only.
    Raises RuntimeError with the server's own words when it cannot start.
    """
    bin_dir = install_postgres() if install else find_postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's initdb and pg_ctl were not found")
    as_root = os.geteuid() == 0
    # As root, the postgres user must reach the folder: /tmp, not a private TMPDIR.
    directory = Path(tempfile.mkdtemp(prefix="spt-postgres-", dir="/tmp" if as_root else None))
    run_as: tuple[str, ...] = ()
    if as_root:
        import pwd

        owner = pwd.getpwnam("postgres")
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        run_as = ("runuser", "-u", "postgres", "--")
    data = directory / "data"
    initdb = subprocess.run(
        [*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
         "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
        capture_output=True, text=True, timeout=300,
    )
    if initdb.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {initdb.stderr.strip()}")
    settings = ["-c listen_addresses=127.0.0.1", f"-k {directory}", "-c max_wal_size=4GB"]
    if not durable:
        settings += ["-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=off"]
    log = directory / "server.log"
    for _ in range(3):
        port = _free_port()
        started = subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
             "-o", " ".join([f"-p {port}", *settings]), "start"],
            capture_output=True, text=True, timeout=120,
        )
        if started.returncode == 0:
            break
    else:
        reason = log.read_text()[-2000:] if log.exists() else started.stderr
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {reason.strip()}")
    server = TemporaryServer(f"postgresql://postgres@127.0.0.1:{port}/spt", port, directory, bin_dir, run_as)
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        conn.execute("create database spt")
    return server
