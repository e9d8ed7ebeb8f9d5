"""Amplify mCLASS DIBELS 8th Edition benchmark export: one wide row per student and
benchmark period, with the composite and each measure as a block of columns."""

from .base import MeasureBlock, ResultFormat

# (measure_id, the name written in the header before " - Score")
_MEASURE_HEADERS = (
    ("dibels8_lnf", "Letter Names (LNF)"),
    ("dibels8_psf", "Phonemic Awareness (PSF)"),
    ("dibels8_nwf_cls", "Letter Sounds (NWF-CLS)"),
    ("dibels8_nwf_wrc", "Decoding (NWF-WRC)"),
    ("dibels8_wrf", "Word Reading (WRF)"),
    ("dibels8_orf_accuracy", "Reading Accuracy (ORF-Accu)"),
    ("dibels8_orf", "Reading Fluency (ORF)"),
    ("dibels8_maze", "Reading Comprehension (Maze)"),
)

MEASURE_BLOCKS = (
    MeasureBlock(
        measure_id="dibels8_composite",
        score="Composite Score",
        percentile="Composite - National Norm Percentile",
        level="Composite Level",
    ),
) + tuple(
    MeasureBlock(
        measure_id=measure_id,
        score=f"{label} - Score",
        percentile=f"{label} - National Norm Percentile",
        level=f"{label} - Level",
    )
    for measure_id, label in _MEASURE_HEADERS
)

MCLASS_DIBELS8_BENCHMARK = ResultFormat(
    name="mclass_dibels8_benchmark",
    raw_table="mclass_dibels8_results",
    signature=("Benchmark Period", "Composite Score", "Student Primary ID", "Assessment Edition"),
    required_columns=(
        "School Year",
        "Student Primary ID",
        "Benchmark Period",
        "Client Date",
        "Enrollment Grade",
        "Assessment Grade",
        "Composite Score",
    ),
    columns={
        "vendor_student_id": "Student Primary ID",
        "state_student_id": "Primary ID - Student ID (State ID)",
        "school_ref": "Primary School ID",
        "school_name": "School Name",
        "assessment_date": "Client Date",
        "reported_period": "Benchmark Period",
        "enrolled_grade": "Enrollment Grade",
        "assessed_grade": "Assessment Grade",
    },
    measures=MEASURE_BLOCKS,
    description="Amplify mCLASS DIBELS 8th Edition benchmark export",
)
