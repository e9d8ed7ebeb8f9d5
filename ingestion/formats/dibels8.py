"""Amplify mCLASS DIBELS 8th Edition benchmark export: one wide row per student and
benchmark period, with the composite and each measure as a block of columns."""

from .base import MeasureBlock, ResultFormat
from .headers import DIBELS8_MEASURE_LABELS

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
    for measure_id, label in DIBELS8_MEASURE_LABELS.items()
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
