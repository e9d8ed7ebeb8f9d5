"""Landing files: content hash, header sniffing, and the scan of a landing folder."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

DATA_SUFFIXES = {".csv", ".txt", ".tsv"}


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str
    size_bytes: int
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def landing_paths(landing_dir: Path) -> list[Path]:
    """Every data file under the landing folder, in a stable order."""
    return [
        path
        for path in sorted(p for p in landing_dir.rglob("*") if p.is_file())
        if not path.name.startswith(".") and path.suffix.lower() in DATA_SUFFIXES
    ]


def scan_landing(landing_dir: Path) -> Iterator[LandingFile]:
    """The landing files with their content hashes, in a stable order.

    Hashing runs one file ahead on a second thread (hashlib releases the GIL), so the hash of
    the next file is ready while the current one is being loaded.
    """
    paths = landing_paths(landing_dir)
    with ThreadPoolExecutor(max_workers=1) as hasher:
        digests = [hasher.submit(file_sha256, path) for path in paths]
        for path, digest in zip(paths, digests):
            yield LandingFile(
                path=path,
                relative_path=path.relative_to(landing_dir).as_posix(),
                size_bytes=path.stat().st_size,
                sha256=digest.result(),
            )


def _first_line(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    text = head.decode("utf-8-sig", errors="replace")
    return text.splitlines()[0] if text.strip() else ""


def header_delimiter(path: Path) -> str:
    first_line = _first_line(path)
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def read_header(path: Path) -> list[str]:
    """The column names on the first line (byte-order mark removed), or [] for an empty file."""
    first_line = _first_line(path)
    if not first_line:
        return []
    row = next(csv.reader(io.StringIO(first_line), delimiter=header_delimiter(path)), [])
    return [column.strip() for column in row]
