"""Amplify mCLASS DIBELS 8th Edition exports.

Benchmark (dibels8_BM_*.csv): one wide row per student and benchmark period, with the composite
and each measure as a block of columns (DIBELS8_BENCHMARK_HEADER). A percentile cell may hold
"Tested Out" or "Discontinued" instead of a number; such a result loads with no percentile.

Progress monitoring (dibels8_PM_*.csv): one row per probe (DIBELS8_PM_HEADER), e.g.

    School Year  ... Assessment Grade  PM Period  Device Date  Measure                Probe Number  Total Number of Probes  Score
    2025-2026    ... 2                 MOY->EOY   2026-02-09   Reading Fluency (ORF)  3             12                      41

`PM Period` names the stretch between two benchmarks ("BOY->MOY", "MOY->EOY"); `Measure` is
either the benchmark label ("Reading Fluency (ORF)", "Letter Sounds (NWF-CLS)") or its bare
code ("ORF", "NWF-CLS", "Maze"), both of which mCLASS has written; older files name the date
column `Client Date`. The aimline variant (DIBELS8_PM_AIMLINE_HEADER) adds, after Score,
`Aimline Value By Date` (the score the aimline expects on that date), `Aimline Status`
("At or Above" or "Below") and `Goal` (the student's end-of-period goal), loaded as goal_score.
Probes land in raw.progress_monitoring_results under the benchmark measure ids (dibels8_orf,
dibels8_nwf_cls, ...); a measure without a configured id (e.g. "(DEC-IW)") is rejected as
unknown_measure. The export names no score metric: the measure id says what is counted
(words correct per minute for ORF, correct letter sounds for NWF-CLS).
"""

from .base import MeasureBlock, ResultFormat
from .headers import (
    DIBELS8_BENCHMARK_HEADER,
    DIBELS8_MEASURE_LABELS,
    DIBELS8_PM_AIMLINE_HEADER,
    DIBELS8_PM_HEADER,
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
        "school_year": "School Year",
        "enrolled_grade": "Enrollment Grade",
        "assessed_grade": "Assessment Grade",
    },
    measures=MEASURE_BLOCKS,
    declared_columns=DIBELS8_BENCHMARK_HEADER,
    description="Amplify mCLASS DIBELS 8th Edition benchmark export",
)

# The code in parentheses of a benchmark label ("Reading Fluency (ORF)" -> ORF), or the bare code.
_PM_CODE = r"upper(trim(coalesce(nullif(regexp_extract(measure_name, '\(([^()]+)\)', 1), ''), measure_name)))"
PM_MEASURE_SQL = f"""
case {_PM_CODE}
    when 'COMPOSITE' then 'dibels8_composite'
    when 'LNF' then 'dibels8_lnf'
    when 'PSF' then 'dibels8_psf'
    when 'NWF-CLS' then 'dibels8_nwf_cls'
    when 'NWF-WRC' then 'dibels8_nwf_wrc'
    when 'WRF' then 'dibels8_wrf'
    when 'ORF' then 'dibels8_orf'
    when 'ORF-ACCU' then 'dibels8_orf_accuracy'
    when 'MAZE' then 'dibels8_maze'
end
"""

DATE_COLUMN = ("Device Date", "Client Date")

_PM_COLUMNS = {
    "vendor_student_id": "Student Primary ID",
    "state_student_id": "Secondary Student ID",
    "school_ref": "School Primary ID",
    "school_name": "School Name",
    "assessment_date": DATE_COLUMN,
    "reported_period": "PM Period",
    "school_year": "School Year",
    "enrolled_grade": "Enrollment Grade",
    "assessed_grade": "Assessment Grade",
    "measure_name": "Measure",
    "scale_score": "Score",
}
_PM_REQUIRED = ("School Year", "Student Primary ID", "PM Period", DATE_COLUMN, "Measure", "Score")


def _with_date_alternative(header: tuple[str, ...]) -> tuple:
    return tuple(DATE_COLUMN if column == "Device Date" else column for column in header)


MCLASS_DIBELS8_PM_AIMLINE = ResultFormat(
    name="mclass_dibels8_pm_aimline",
    raw_table="progress_monitoring_results",
    signature=("PM Period", "Probe Number", "Student Primary ID", "Measure", "Aimline Status"),
    required_columns=_PM_REQUIRED,
    columns={**_PM_COLUMNS, "goal_score": "Goal"},
    measure_expr=PM_MEASURE_SQL,
    declared_columns=_with_date_alternative(DIBELS8_PM_AIMLINE_HEADER),
    description="Amplify mCLASS DIBELS 8th Edition progress-monitoring export with aimline",
)

MCLASS_DIBELS8_PM = ResultFormat(
    name="mclass_dibels8_pm",
    raw_table="progress_monitoring_results",
    signature=("PM Period", "Probe Number", "Student Primary ID", "Measure"),
    excludes=("Aimline Status",),
    required_columns=_PM_REQUIRED,
    columns=dict(_PM_COLUMNS),
    measure_expr=PM_MEASURE_SQL,
    declared_columns=_with_date_alternative(DIBELS8_PM_HEADER),
    description="Amplify mCLASS DIBELS 8th Edition progress-monitoring export",
)

FORMATS = (MCLASS_DIBELS8_BENCHMARK, MCLASS_DIBELS8_PM_AIMLINE, MCLASS_DIBELS8_PM)
