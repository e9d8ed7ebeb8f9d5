"""What loading one file produced: its outcome (loaded or rejected, with its row counts) and the
writes that commit it in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from .files import LandingFile


@dataclass
class FileOutcome:
    source_file: str
    file_format: str | None
    status: str  # loaded | rejected | already_loaded
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reason: str | None = None
    new_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    supersedes: list[str] = field(default_factory=list)
    rejections: dict[tuple[str, str], int] = field(default_factory=dict)  # (reason_code, column) -> rows


Write = tuple[str, list]


def loaded_outcome(landing_file: LandingFile, fmt_name: str, rows_read: int, rows_rejected: int) -> FileOutcome:
    return FileOutcome(
        landing_file.relative_path, fmt_name, "loaded", rows_read, rows_read - rows_rejected, rows_rejected,
        None if rows_rejected == 0 else f"{rows_rejected} row(s) rejected",
    )
