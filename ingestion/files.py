"""Landing files: content hash, header sniffing, and the scan of a landing folder."""

from __future__ import annotations

import csv
import hashlib
import io
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


def scan_landing(landing_dir: Path) -> list[LandingFile]:
    """Every data file under the landing folder, in a stable order."""
    files = []
    for path in sorted(p for p in landing_dir.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.suffix.lower() not in DATA_SUFFIXES:
            continue
        files.append(
            LandingFile(
                path=path,
                relative_path=path.relative_to(landing_dir).as_posix(),
                size_bytes=path.stat().st_size,
                sha256=file_sha256(path),
            )
        )
    return files


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
