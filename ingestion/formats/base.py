"""What a source format declares, so that detection, reading and loading stay generic."""

from __future__ import annotations

from dataclasses import dataclass, field


def q(column: str) -> str:
    """Quote a file column name for DuckDB SQL."""
    return '"' + column.replace('"', '""') + '"'


@dataclass(frozen=True)
class MeasureBlock:
    """One measure inside a wide file: which file columns hold its values."""

    measure_id: str
    score: str
    percentile: str | None = None
    level: str | None = None


@dataclass(frozen=True)
class ResultFormat:
    """An assessment export layout mapped to the canonical long result shape.

    `columns` maps a canonical column to the file column that holds it (or to a SQL
    expression when the value is written with `expr:`); `measures` lists the measure
    blocks of a wide file. A long file has one block whose measure comes from `measure_expr`.
    """

    name: str
    raw_table: str
    required_columns: tuple[str, ...]
    signature: tuple[str, ...]
    columns: dict[str, str]
    measures: tuple[MeasureBlock, ...] = ()
    measure_expr: str | None = None
    date_formats: tuple[str, ...] = ("%m/%d/%Y", "%Y-%m-%d")
    excludes: tuple[str, ...] = ()
    description: str = ""

    def matches(self, header: list[str]) -> bool:
        present = set(header)
        return all(c in present for c in self.signature) and not any(c in present for c in self.excludes)


@dataclass(frozen=True)
class RosterFormat:
    """A roster table kept as the file writes it (all text), e.g. a OneRoster CSV."""

    name: str
    raw_table: str
    signature: tuple[str, ...]
    required_columns: tuple[str, ...]
    excludes: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""

    def matches(self, header: list[str]) -> bool:
        present = set(header)
        return all(c in present for c in self.signature) and not any(c in present for c in self.excludes)
