"""Acadience Reading K-6 benchmark export from Acadience Data Management (ACADIENCE_READING_HEADER,
141 columns): one wide row per student and benchmark period.

Each measure block carries its own date ("NWF Date" covers both NWF scores, "ORF Date" the ORF
scores), so a result's assessment date is its block's date, or the composite's date where the
block has none. `Benchmark Period` is "beginning", "middle" or "end". Dates are written
"05/10/2024" by some exports and "21-08-2024" by others.

Levels: the Status columns are the performance level (level_basis vendor_level, descriptor set
acadience_status). Acadience writes them in lower case ("well below benchmark", "below
benchmark", "at benchmark", "above benchmark"), and the descriptors are spelled the same way.
LNF has no benchmark goal and no Status column: its results load with no level. Retell and RAN
are not loaded as measures.
"""

from .base import MeasureBlock, ResultFormat
from .headers import ACADIENCE_READING_HEADER


def _block(measure_id: str, score: str, date: str, rated: bool = True) -> MeasureBlock:
    prefix = score.removesuffix(" Score")
    return MeasureBlock(
        measure_id=measure_id,
        score=score,
        percentile=f"{prefix} National Percentile",
        level=f"{prefix} Status" if rated else None,
        date=date,
    )


MEASURE_BLOCKS = (
    _block("acadience_composite", "Reading Composite Score", "Reading Composite Date"),
    _block("acadience_fsf", "FSF Score", "FSF Date"),
    _block("acadience_lnf", "LNF Score", "LNF Date", rated=False),
    _block("acadience_psf", "PSF Score", "PSF Date"),
    _block("acadience_nwf_cls", "NWF CLS Score", "NWF Date"),
    _block("acadience_nwf_wwr", "NWF WWR Score", "NWF Date"),
    _block("acadience_orf", "ORF WC Score", "ORF Date"),
    _block("acadience_orf_accuracy", "ORF Accuracy Score", "ORF Date"),
    MeasureBlock(
        measure_id="acadience_maze",
        score="Maze Adjusted Score",
        percentile="Maze National Percentile",
        level="Maze Status",
        date="Maze Date",
    ),
)

ACADIENCE_READING_BENCHMARK = ResultFormat(
    name="acadience_reading_benchmark",
    raw_table="acadience_results",
    signature=("Student Number", "Benchmark Period", "Reading Composite Score", "Student Grade Level"),
    required_columns=("School Year", "Student Number", "Benchmark Period", "Student Grade Level"),
    columns={
        "vendor_student_id": "Student Number",
        "state_student_id": "Student State ID",
        "school_ref": "School SIS ID",
        "school_name": "School Name",
        "assessment_date": "Reading Composite Date",
        "reported_period": "Benchmark Period",
        "school_year": "School Year",
        "enrolled_grade": "Student Grade Level",
        "assessed_grade": "Student Grade Level",
    },
    measures=MEASURE_BLOCKS,
    date_formats=("%m/%d/%Y", "%d-%m-%Y", "%Y-%m-%d"),
    declared_columns=ACADIENCE_READING_HEADER,
    description="Acadience Reading K-6 benchmark export (Acadience Data Management)",
)

FORMATS = (ACADIENCE_READING_BENCHMARK,)
