"""Write-audit-publish: copy the checked marts to the published files and swap them in atomically.

The build database is never read by dashboards or BI tools. Each publication is built complete
in its own folder, `published/versions/<publication_id>/` (district.duckdb, public.duckdb,
parquet/, manifest.json). `published/current` is a symbolic link to the live version, replaced
with one atomic rename, and the stable paths readers use (`published/district.duckdb`,
`public.duckdb`, `parquet`, `manifest.json`) are links through `current`. So a reader opens
either the previous publication or the new one, whole; a process killed at any point of a
publish leaves `current` on the previous version. The last N versions are kept for rollback.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from . import contract
from .disclosure import DisclosureError, copy_public_table

# Which marts are published, and to whom, is declared in each mart's YAML (publication.contract):
# student-level tables stay in the restricted file; the public file has aggregates only.
IDENTIFYING_COLUMNS = frozenset(
    {
        "student_key",
        "local_student_id",
        "state_student_id",
        "vendor_student_id",
        "first_name",
        "middle_name",
        "last_name",
        "birth_date",
        "source_row",
    }
)
VERSIONS = "versions"
CURRENT = "current"
# The paths readers open; each is a link through `current` into the live version.
READER_PATHS = ("district.duckdb", "public.duckdb", "parquet", "manifest.json")
# Readable by everyone who can reach the folder; every other file of a publication is owner-only.
PUBLIC_FILES = ("public.duckdb", "manifest.json")


class PublicationError(Exception):
    """The new publication failed its own checks; the previous one stays in place."""


@dataclass
class Publication:
    run_id: str
    published_dir: Path
    tables: dict[str, int]
    public_tables: dict[str, int]


@contextmanager
def writer_lock(published_dir: Path):
    """One writer at a time; readers never take this lock."""
    published_dir.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(published_dir / ".publish.lock", os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _identifying_columns(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name, column_name from information_schema.columns where table_catalog = ?", [catalog]
    ).fetchall()
    return [f"{t}.{c}" for t, c in rows if c in IDENTIFYING_COLUMNS]


def publish(
    build_db: Path,
    published_dir: Path,
    run_id: str,
    keep_last: int = 5,
    checks: list[dict] | None = None,
    build_schema: str = "marts",
    quality_runs=None,
    minimum_n: int = 10,
    manifest_extra: dict | None = None,
) -> Publication:
    """Publish the marts of `build_db` into `published_dir` (district.duckdb, public.duckdb, parquet/).

    `run_id` names the publication; names must sort by time, since the newest versions are kept.
    `quality_runs` (a DataFrame, see quality.report) is published as `data_quality_runs` in both files.
    `minimum_n` is the district's small-cell size, used by the public file's disclosure rules
    (publication.disclosure). The restricted files are readable by their owner only; the public file,
    the manifest and the folders leading to them are readable by everyone.
    """
    published_dir = Path(published_dir)
    with writer_lock(published_dir):
        _adopt_unversioned_files(published_dir)
        versions = published_dir / VERSIONS
        staging = versions / f".staging-{run_id}"
        for leftover in versions.glob(".staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        versions.mkdir(parents=True, exist_ok=True)
        published_dir.chmod(0o755)
        versions.chmod(0o755)
        # built where nobody else can look; the modes of the finished version are set before it is swapped in
        staging.mkdir(mode=0o700)
        (staging / "parquet").mkdir(mode=0o700)
        try:
            tables, public_tables, coded = _build_files(Path(build_db), staging, build_schema, quality_runs, minimum_n)
            manifest = {
                "run_id": run_id,
                "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "tables": tables,
                "public_tables": public_tables,
                "public_coded_shares": coded,
                "checks": checks or [],
                **(manifest_extra or {}),
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
            _set_modes(staging)
            version = versions / run_id
            if version.exists():
                shutil.rmtree(version)
            os.rename(staging, version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _point_current_at(published_dir, run_id)
        _prune_versions(published_dir, keep_last)
    return Publication(run_id, published_dir, tables, public_tables)


def rollback(published_dir: Path, to_run_id: str | None = None) -> str:
    """Make an earlier kept publication the current one again (default: the one before the current).

    Returns the restored publication's id. The rolled-back version stays in versions/ until pruned.
    """
    published_dir = Path(published_dir)
    with writer_lock(published_dir):
        _adopt_unversioned_files(published_dir)
        kept = kept_publications(published_dir)
        current = _current_run_id(published_dir)
        if to_run_id is None:
            earlier = [v for v in kept if current is None or v < current]
            if not earlier:
                raise PublicationError(
                    f"no publication before {current} is kept in {published_dir / VERSIONS}; nothing to roll back to"
                )
            to_run_id = earlier[-1]
        elif to_run_id not in kept:
            raise PublicationError(f"publication {to_run_id} is not kept; kept: {', '.join(kept) or 'none'}")
        _point_current_at(published_dir, to_run_id)
    return to_run_id


def kept_publications(published_dir: Path) -> list[str]:
    """Ids of the complete publications kept in versions/, oldest first."""
    versions = Path(published_dir) / VERSIONS
    if not versions.exists():
        return []
    return sorted(p.name for p in versions.iterdir() if not p.name.startswith(".") and (p / "manifest.json").exists())


def _point_current_at(published_dir: Path, run_id: str) -> None:
    """Swap `current` to versions/<run_id> with one rename; make sure the stable reader paths exist."""
    link = published_dir / f".current-{run_id}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path(VERSIONS) / run_id)
    os.replace(link, published_dir / CURRENT)
    for name in READER_PATHS:
        path = published_dir / name
        if not path.is_symlink():
            path.symlink_to(Path(CURRENT) / name)


def _adopt_unversioned_files(published_dir: Path) -> None:
    """A publication written before versions/ existed (or copied without its links) becomes a version."""
    published_dir.mkdir(parents=True, exist_ok=True)
    current = published_dir / CURRENT
    loose = [published_dir / name for name in READER_PATHS if (published_dir / name).exists() and not (published_dir / name).is_symlink()]
    if current.exists() and not current.is_symlink():
        loose.append(current)
    old_history = published_dir / "history"
    if old_history.is_dir():
        # earlier releases kept replaced publications under history/<id>/
        for kept in old_history.iterdir():
            if not (published_dir / VERSIONS / kept.name).exists():
                (published_dir / VERSIONS).mkdir(exist_ok=True)
                os.replace(kept, published_dir / VERSIONS / kept.name)
        shutil.rmtree(old_history, ignore_errors=True)
    if not loose:
        return
    manifest = published_dir / "manifest.json"
    if current.exists() and not current.is_symlink():
        manifest = current / "manifest.json"
    run_id = "unversioned"
    if manifest.exists() and not manifest.is_symlink():
        try:
            run_id = json.loads(manifest.read_text())["run_id"]
        except (ValueError, KeyError):
            pass
    target = published_dir / VERSIONS / run_id
    if (target / "manifest.json").exists():
        # the same publication is already kept (the folder was copied with its links resolved)
        for path in loose:
            _remove(path)
    else:
        target.mkdir(parents=True, exist_ok=True)
        sources = [item for item in current.iterdir()] if current in loose else []
        sources += [path for path in loose if path != current]
        for item in sources:
            if item.exists() and not (target / item.name).exists():
                os.replace(item, target / item.name)
        for path in loose:
            if path.exists():
                _remove(path)
    for name in READER_PATHS:
        path = published_dir / name
        if path.is_symlink() and not path.exists():
            path.unlink()
    _point_current_at(published_dir, run_id)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _set_modes(version: Path) -> None:
    """Owner-only restricted files; the public file and the manifest readable by everyone."""
    version.chmod(0o755)
    for path in version.iterdir():
        if path.name in PUBLIC_FILES:
            path.chmod(0o644)
        elif path.is_dir():
            path.chmod(0o700)
            for inner in path.rglob("*"):
                inner.chmod(0o700 if inner.is_dir() else 0o600)
        else:
            path.chmod(0o600)


def _build_files(
    build_db: Path, staging: Path, schema: str, quality_runs=None, minimum_n: int = 10
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    con = duckdb.connect(
        str(staging / "district.duckdb"),
        config={"memory_limit": os.environ.get("SPT_DUCKDB_MEMORY_LIMIT", "3GB")},
    )
    con.execute("set enable_progress_bar = false")
    try:
        con.execute(f"attach '{build_db}' as build (read_only)")
        con.execute(f"attach '{staging / 'public.duckdb'}' as public")
        tables: dict[str, int] = {}
        marts = contract.marts()
        for table in marts:
            con.execute(f"create table district.main.{table} as select * from build.{schema}.{table}")
            tables[table] = con.execute(f"select count(*) from district.main.{table}").fetchone()[0]
            con.execute(
                f"copy district.main.{table} to '{staging / 'parquet' / (table + '.parquet')}' "
                f"(format parquet)"
            )
        public_tables: dict[str, int] = {}
        coded: dict[str, int] = {}
        if quality_runs is not None:
            con.register("_quality_runs", quality_runs)
            con.execute("create table district.main.data_quality_runs as select * from _quality_runs")
            con.unregister("_quality_runs")
            tables["data_quality_runs"] = len(quality_runs)
            con.execute(
                f"copy district.main.data_quality_runs to '{staging / 'parquet' / 'data_quality_runs.parquet'}' "
                f"(format parquet)"
            )
        public = [name for name, mart in marts.items() if mart.is_public]
        for table in public + (["data_quality_runs"] if quality_runs is not None else []):
            try:
                n_coded = copy_public_table(con, table, f"district.main.{table}", f"public.main.{table}", minimum_n)
            except DisclosureError as error:
                raise PublicationError(f"public file: {error}") from error
            public_tables[table] = tables[table]
            if n_coded:
                coded[table] = n_coded
        leaked = _identifying_columns(con, "public")
        if leaked:
            raise PublicationError(f"public file would contain identifying columns: {', '.join(leaked)}")
        con.execute("detach public")
        con.execute("detach build")
    finally:
        con.close()
    return tables, public_tables, coded


def _current_run_id(published_dir: Path) -> str | None:
    current = published_dir / CURRENT
    if not current.is_symlink():
        return None
    return Path(os.readlink(current)).name


def _prune_versions(published_dir: Path, keep_last: int) -> None:
    """Keep the newest `keep_last` publications, and always the current one."""
    current = _current_run_id(published_dir)
    kept = kept_publications(published_dir)
    for old in kept[: max(len(kept) - keep_last, 0)]:
        if old != current:
            shutil.rmtree(published_dir / VERSIONS / old, ignore_errors=True)


def read_manifest(published_dir: Path) -> dict | None:
    manifest = Path(published_dir) / "manifest.json"
    return json.loads(manifest.read_text()) if manifest.exists() else None
