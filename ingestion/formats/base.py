"""What a source format declares, so that detection, reading and loading stay generic.

A file column is named by one string or by a tuple of alternative names (current name first,
then the older ones a vendor has used): the first alternative present in a file's header is
the one read. Adding a vendor layout is a declaration in a module of this package, not code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Column = str | tuple[str, ...]


def q(column: str) -> str:
    """Quote a column name for DuckDB SQL."""
    return '"' + column.replace('"', '""') + '"'


def alternatives(column: Column) -> tuple[str, ...]:
    return (column,) if isinstance(column, str) else tuple(column)


def first_present(column: Column | None, present: set[str]) -> str | None:
    """The first of a column's alternative names found in the header, or None."""
    if column is None:
        return None
    return next((name for name in alternatives(column) if name in present), None)


def _matches(signature, excludes, header: list[str]) -> bool:
    present = set(header)
    return all(first_present(c, present) for c in signature) and not any(
        first_present(c, present) for c in excludes
    )


def _missing(required, header: list[str]) -> list[str]:
    present = set(header)
    return [" or ".join(alternatives(c)) for c in required if not first_present(c, present)]


def _declared(declared, header: list[str]) -> tuple[list[str], list[str]]:
    """(new columns, missing columns) of a header against a declared schema; () declares none."""
    if not declared:
        return [], []
    known = {name for c in declared for name in alternatives(c)}
    present = set(header)
    new = [c for c in header if c and c not in known]
    missing = [alternatives(c)[0] for c in declared if not first_present(c, present)]
    return new, missing


@dataclass(frozen=True)
class MeasureBlock:
    """One measure inside a wide file: which file columns hold its values.

    `period` names the window the block belongs to when the file has one block per season
    (FastBridge); `date` is the block's own test date column when each measure is dated
    (Acadience). Both fall back to the row's period and date.
    """

    measure_id: str
    score: Column
    percentile: Column | None = None
    level: Column | None = None
    period: str | None = None
    date: Column | None = None


@dataclass(frozen=True)
class ResultFormat:
    """An assessment export layout mapped to the canonical long result shape.

    `columns` maps a canonical column (see ingestion.canonical.RESULT_COLUMNS, plus
    `measure_name` and `school_year` for a file that names them) to the file column(s) holding
    it. A wide file lists its `measures` blocks; a long file has `measure_expr`, a SQL
    expression over the canonical text columns (e.g. `measure_name`) giving the measure id.
    `declared_columns` is the layout's full header as the vendor writes it (alternatives
    allowed): every ingest reports columns that are new or missing against it.
    `raw_table` is where rows land: benchmark and screening results feed fct_assessment_results;
    progress-monitoring probes go to raw.progress_monitoring_results.
    """

    name: str
    raw_table: str
    required_columns: tuple[Column, ...]
    signature: tuple[Column, ...]
    columns: dict[str, Column]
    measures: tuple[MeasureBlock, ...] = ()
    measure_expr: str | None = None
    date_formats: tuple[str, ...] = ("%m/%d/%Y", "%Y-%m-%d")
    excludes: tuple[Column, ...] = ()
    declared_columns: tuple[Column, ...] = ()
    # False where a result may be a level alone (a portfolio rating): a row then needs a score
    # or a level.
    score_required: bool = True
    # True where the layout writes numbers with a decimal comma (81,5); otherwise a comma may
    # only group thousands, and "81,5" is refused rather than read as 815.
    decimal_comma: bool = False
    # The vendor (config/measures.csv) whose measures this layout may carry, for a layout that
    # names its measure in the file: a row naming another vendor's measure is refused, so that
    # results never mix with that vendor's own. Empty for layouts whose measures are fixed.
    vendor: str = ""
    description: str = ""

    def matches(self, header: list[str]) -> bool:
        return _matches(self.signature, self.excludes, header)

    def missing_columns(self, header: list[str]) -> list[str]:
        return _missing(self.required_columns, header)

    def drift(self, header: list[str]) -> tuple[list[str], list[str]]:
        return _declared(self.declared_columns, header)


@dataclass(frozen=True)
class RosterFormat:
    """A roster table kept as the file writes it (all text), e.g. a OneRoster CSV."""

    name: str
    raw_table: str
    signature: tuple[Column, ...]
    required_columns: tuple[Column, ...]
    excludes: tuple[Column, ...] = field(default_factory=tuple)
    declared_columns: tuple[Column, ...] = ()
    description: str = ""

    def matches(self, header: list[str]) -> bool:
        return _matches(self.signature, self.excludes, header)

    def missing_columns(self, header: list[str]) -> list[str]:
        return _missing(self.required_columns, header)

    def drift(self, header: list[str]) -> tuple[list[str], list[str]]:
        return _declared(self.declared_columns, header)


@dataclass(frozen=True)
class Field:
    """One typed column of a record table: its file column(s), type and whether it is required.

    `kind` is text, date, number (double) or integer. `choices` (lower-case) restricts a text
    field to a vocabulary. `observed` marks a date on which something happened (not a planned
    one): it may not lie in the future.
    """

    column: Column
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    observed: bool = False


@dataclass(frozen=True)
class RecordFormat:
    """A typed record layout (school-defined interventions, goals, incidents, markbook entries):
    each canonical field is read from its file column and typed; `key` fields identify a record
    (two rows of one file with the same key are duplicates)."""

    name: str
    raw_table: str
    signature: tuple[Column, ...]
    fields: dict[str, Field]
    key: tuple[str, ...] = ()
    excludes: tuple[Column, ...] = ()
    date_formats: tuple[str, ...] = ("%Y-%m-%d", "%m/%d/%Y")
    declared_columns: tuple[Column, ...] = ()
    decimal_comma: bool = False
    description: str = ""

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(f.column for f in self.fields.values() if f.required)

    def matches(self, header: list[str]) -> bool:
        return _matches(self.signature, self.excludes, header)

    def missing_columns(self, header: list[str]) -> list[str]:
        return _missing(self.required_columns, header)

    def drift(self, header: list[str]) -> tuple[list[str], list[str]]:
        return _declared(self.declared_columns or tuple(f.column for f in self.fields.values()), header)


def read_columns(fmt, header: list[str]) -> set[str]:
    """The header names a layout reads (a roster table reads every column)."""
    if isinstance(fmt, RosterFormat):
        return {c for c in header if c}
    if isinstance(fmt, RecordFormat):
        declared = [f.column for f in fmt.fields.values()]
    else:
        declared = list(fmt.columns.values()) + [
            c for block in fmt.measures for c in (block.score, block.percentile, block.level, block.date) if c
        ]
    return {name for column in declared for name in alternatives(column)}


def repeated_columns(fmt, header: list[str]) -> list[str]:
    """Names the layout reads that the header holds more than once, in header order."""
    read = read_columns(fmt, header)
    seen: set[str] = set()
    repeated = []
    for name in header:
        if name in seen and name in read and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated
