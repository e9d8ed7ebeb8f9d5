"""Source formats, detected from a file's header."""

from __future__ import annotations

from .base import ResultFormat, RosterFormat
from .dibels8 import MCLASS_DIBELS8_BENCHMARK
from .nwea_map import NWEA_MAP_ASSESSMENT_RESULTS, NWEA_MAP_COMBINED
from .oneroster import ONEROSTER_TABLES

FORMATS: tuple[ResultFormat | RosterFormat, ...] = (
    NWEA_MAP_COMBINED,
    NWEA_MAP_ASSESSMENT_RESULTS,
    MCLASS_DIBELS8_BENCHMARK,
    *ONEROSTER_TABLES,
)

RESULT_TABLES = tuple(sorted({f.raw_table for f in FORMATS if isinstance(f, ResultFormat)}))
ROSTER_TABLES = tuple(f.raw_table for f in FORMATS if isinstance(f, RosterFormat))


def detect_format(header: list[str]) -> ResultFormat | RosterFormat | None:
    """The first format whose signature columns are all in the header, or None."""
    for fmt in FORMATS:
        if fmt.matches(header):
            return fmt
    return None
