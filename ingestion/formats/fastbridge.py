"""FastBridge (Illuminate) exports: the screening reports of CBMreading, aReading and aMath, and the
progress-monitoring report.

A screening report holds one assessment for one school year: one row per student, with one block of
columns per screening season ("Fall", "Winter", "Spring", "Screening Period 4" and "5"), each with
its score, "Percentile at Nation", "Risk Level" and "Final Date" (the block's test date). The grade
is written as a word ("Two", "Kindergarten"), and the column after "Grade" has no name. Headers
follow the samples published in edanalytics/earthmover_edfi_bundles (FastBridge_CBMreading,
FastBridgeCAT). The scores read: CBMreading "Median WRC" (median words read correctly in a minute
over three passages), aReading and aMath "Test Theta" (the scaled score).

The risk level written in the file is the performance level (level_basis vendor_level). FastBridge
writes highRisk, someRisk, lowRisk, and for the advanced band one of AD, AV or LI depending on the
export; config/descriptor_sets.csv has one set per advanced code (fastbridge_risk_ad, _av, _li)
and config/measures.csv points each measure at the set whose code the district's exports write.

The progress-monitoring report is long (one row per probe and score metric) and lands in
raw.progress_monitoring_results with its goal (End Goal, Goal End Date). Its header is the one in
PowerSchool ETL-Assistant-Tool's FASTBRIDGE_PM signature; older reports stop after "End Goal".
"""

from .base import MeasureBlock, ResultFormat

SEASONS = ("Fall", "Winter", "Spring", "Screening Period 4", "Screening Period 5")

IDENTITY_HEADER: tuple[str, ...] = (
    "Assessment",
    "Assessment Language",
    "State",
    "District",
    "School",
    "Local ID",
    "State ID",
    "FAST ID",
    "First Name",
    "Last Name",
    "Gender",
    "DOB",
    "Race",
    "Special Ed. Status",
    "Grade",
    "",
)
GROWTH_STATISTICS = (
    "Growth Score",
    "School Growth Percentile",
    "District Growth Percentile",
    "National Growth Percentile",
    "Growth Percentile by Start Score",
)
NORM_COLUMNS = ("Percentile at School", "Percentile at LEA", "Percentile at Nation", "Risk Level", "Final Date")

CBMREADING = "CBMR-English"
CBMR_PASSAGE_PARTS = ("TOTAL_WORDS_READ", "WORDS_READ_CORRECT", "WRC_PER_MIN", "Accuracy (WRC/TWR)")
CBMR_MEDIANS = ("Median WRC", "Median Accuracy", "Median Error")


def growth_columns(position: int) -> tuple[str, ...]:
    """The growth columns written after a season's block: from each earlier season to it."""
    season = SEASONS[position]
    return tuple(f"{statistic} from {earlier} to {season}" for earlier in SEASONS[:position] for statistic in GROWTH_STATISTICS)


def cbmreading_season_columns(season: str) -> tuple[str, ...]:
    passages = tuple(
        f"{season} {CBMREADING} - (Passage {p}) {part}" for p in (1, 2, 3) for part in CBMR_PASSAGE_PARTS
    )
    return passages + tuple(f"{season} {CBMREADING} {c}" for c in CBMR_MEDIANS + NORM_COLUMNS)


def cat_season_columns(assessment: str, season: str) -> tuple[str, ...]:
    return tuple(f"{season} {assessment} {c}" for c in ("Test Theta",) + NORM_COLUMNS)


CBMREADING_HEADER: tuple[str, ...] = IDENTITY_HEADER + tuple(
    c for i, s in enumerate(SEASONS) for c in cbmreading_season_columns(s) + growth_columns(i)
)


def cat_header(assessment: str, linked_scale: str) -> tuple[str, ...]:
    """aReading / aMath report: season blocks, then the season's Lexile / Quantile measures."""
    blocks = tuple(c for i, s in enumerate(SEASONS) for c in cat_season_columns(assessment, s) + growth_columns(i))
    return IDENTITY_HEADER + blocks + tuple(f"{s} {linked_scale}" for s in SEASONS)


AREADING_HEADER = cat_header("aReading", "Lexile")
AMATH_HEADER = cat_header("aMath", "Quantile")


def _blocks(measure_id: str, prefix: str, score: str) -> tuple[MeasureBlock, ...]:
    return tuple(
        MeasureBlock(
            measure_id=measure_id,
            score=f"{season} {prefix} {score}",
            percentile=f"{season} {prefix} Percentile at Nation",
            level=f"{season} {prefix} Risk Level",
            period=season,
            date=f"{season} {prefix} Final Date",
        )
        for season in SEASONS
    )


_SCREENING_COLUMNS = {
    "vendor_student_id": "Local ID",
    "state_student_id": "State ID",
    "school_name": "School",
    "enrolled_grade": "Grade",
}


def _screening(name: str, prefix: str, score: str, measure_id: str, header: tuple[str, ...], title: str) -> ResultFormat:
    return ResultFormat(
        name=name,
        raw_table="fastbridge_results",
        signature=("FAST ID", "Local ID", f"Fall {prefix} {score}", f"Fall {prefix} Risk Level"),
        required_columns=("Local ID", "Grade", f"Fall {prefix} {score}"),
        columns=dict(_SCREENING_COLUMNS),
        measures=_blocks(measure_id, prefix, score),
        date_formats=("%m/%d/%Y", "%Y-%m-%d"),
        # the unnamed column holds nothing and is not part of the schema (drift ignores it)
        declared_columns=tuple(c for c in header if c),
        description=f"FastBridge {title} screening report",
    )


FASTBRIDGE_CBMREADING = _screening(
    "fastbridge_cbmreading_screening", CBMREADING, "Median WRC", "fastbridge_cbmreading", CBMREADING_HEADER, "CBMreading"
)
FASTBRIDGE_AREADING = _screening(
    "fastbridge_areading_screening", "aReading", "Test Theta", "fastbridge_areading", AREADING_HEADER, "aReading"
)
FASTBRIDGE_AMATH = _screening(
    "fastbridge_amath_screening", "aMath", "Test Theta", "fastbridge_amath", AMATH_HEADER, "aMath"
)

PROGRESS_MONITORING_HEADER: tuple[str, ...] = (
    "Assessment",
    "State",
    "District",
    "School",
    "Student Id",
    "Student State Id",
    "Fast ID",
    "First Name",
    "Last Name",
    "Gender",
    "BirthDate",
    "Race",
    "SpecialEdStatus",
    "Grade",
    "AssessmentDate",
    "ScoreMetric",
    "Score",
    "Start Goal",
    "End Goal",
    "Goal Start Date",
    "Goal End Date",
    "Assessment Level",
)

# Progress-monitoring probes count toward the screening measure they monitor when they are on its
# scale: CBMreading probes are words read correctly, like the screening median. aReading and aMath
# probes report items correct, not the scaled score, and are left unknown until a measure is
# configured for them.
PROGRESS_MONITORING_MEASURE_SQL = """
case lower(assessment_name)
    when 'cbm-r' then 'fastbridge_cbmreading'
    when 'cbmr-english' then 'fastbridge_cbmreading'
    when 'cbmreading' then 'fastbridge_cbmreading'
end
"""

FASTBRIDGE_PROGRESS_MONITORING = ResultFormat(
    name="fastbridge_progress_monitoring",
    raw_table="progress_monitoring_results",
    signature=("Fast ID", "AssessmentDate", "ScoreMetric", "End Goal"),
    required_columns=("Assessment", "Student Id", "AssessmentDate", "ScoreMetric", "Score"),
    columns={
        "vendor_student_id": "Student Id",
        "state_student_id": "Student State Id",
        "school_name": "School",
        "assessment_date": "AssessmentDate",
        "enrolled_grade": "Grade",
        "score_metric": "ScoreMetric",
        "scale_score": "Score",
        "goal_score": "End Goal",
        "goal_date": "Goal End Date",
        "assessment_name": "Assessment",
    },
    measure_expr=PROGRESS_MONITORING_MEASURE_SQL,
    date_formats=("%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d"),
    declared_columns=PROGRESS_MONITORING_HEADER,
    description="FastBridge progress-monitoring report",
)

FORMATS = (FASTBRIDGE_CBMREADING, FASTBRIDGE_AREADING, FASTBRIDGE_AMATH, FASTBRIDGE_PROGRESS_MONITORING)
