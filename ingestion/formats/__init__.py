"""Source formats, detected from a file's header.

Each module declares the layouts of one source family in a `FORMATS` tuple; a header is matched
against them in the order below (the more specific layouts of a family first).
"""

from __future__ import annotations

from . import (
    acadience,
    aimsweb,
    crosswalk,
    dibels8,
    fastbridge,
    iready,
    nwea_map,
    oneroster,
    school_defined,
    seb,
    star,
)
from .base import RecordFormat, ResultFormat, RosterFormat, _missing, first_present

FORMATS: tuple[ResultFormat | RosterFormat | RecordFormat, ...] = (
    *nwea_map.FORMATS,
    *dibels8.FORMATS,
    *acadience.FORMATS,
    *iready.FORMATS,
    *star.FORMATS,
    *fastbridge.FORMATS,
    *aimsweb.FORMATS,
    *seb.FORMATS,
    *crosswalk.FORMATS,
    *school_defined.FORMATS,
    *oneroster.FORMATS,
)

# Every raw result table exists from the first ingest, whether or not a file of its family has
# arrived, so the dbt staging views over them always compile.
PROGRESS_MONITORING_TABLE = "progress_monitoring_results"
RESULT_TABLES = tuple(
    sorted(
        {f.raw_table for f in FORMATS if isinstance(f, ResultFormat)}
        | {
            "nwea_map_results", "mclass_dibels8_results", "acadience_results", "iready_results",
            "star_results", "fastbridge_results", "aimsweb_results", "seb_screener_results",
            "school_measure_results", PROGRESS_MONITORING_TABLE,
        }
    )
)
ROSTER_TABLES = tuple(dict.fromkeys(f.raw_table for f in FORMATS if isinstance(f, RosterFormat)))
RECORD_FORMATS = tuple(f for f in FORMATS if isinstance(f, RecordFormat))
RECORD_TABLES = tuple(dict.fromkeys(f.raw_table for f in RECORD_FORMATS))
# Written by every ingest beside the data tables.
BOOKKEEPING_TABLES = ("file_manifest", "rejected_rows", "schema_drift", "superseded_files")


def matching_formats(header: list[str]) -> list[ResultFormat | RosterFormat | RecordFormat]:
    return [fmt for fmt in FORMATS if fmt.matches(header)]


def detect_format(header: list[str]) -> ResultFormat | RosterFormat | RecordFormat | None:
    """The first format whose signature columns are all in the header, or None."""
    for fmt in FORMATS:
        if fmt.matches(header):
            return fmt
    return None


def _identifying(fmt) -> tuple:
    """The columns that identify a layout and that it cannot do without: signature, then required."""
    return tuple(dict.fromkeys((*fmt.signature, *fmt.required_columns)))


def closest_format(header: list[str]) -> ResultFormat | RosterFormat | RecordFormat | None:
    """For a header that matches no layout: the layout it was most likely meant to be, when more
    than half of that layout's identifying columns (and at least two) are present and none of
    its excluded ones; None when no layout comes that close."""
    present = set(header)
    best, best_key = None, (0.0, 0)
    for fmt in FORMATS:
        if any(first_present(c, present) for c in fmt.excludes):
            continue
        wanted = _identifying(fmt)
        hits = sum(1 for c in wanted if first_present(c, present))
        declared = sum(1 for c in fmt.declared_columns if first_present(c, present))
        key = (hits / len(wanted), declared)
        if hits >= 2 and key[0] > 0.5 and key > best_key:
            best, best_key = fmt, key
    return best


def missing_identifying(fmt, header: list[str]) -> list[str]:
    """The identifying columns of `fmt` the header lacks, each with its alternative names."""
    return _missing(_identifying(fmt), header)
