"""NWEA MAP Growth exports: the combined file (ComboStudentAssessment), AssessmentResults, and
the pre-Lexile AssessmentResults / CombinedAssessmentResults NWEA wrote until about 2015.

Every layout has one row per test event. The combined file adds the roster columns
(StudentLastName, Grade, ...) and has no TestID.

Older names are read as alternatives of the current ones: the subject is `Subject`, formerly
`MeasurementScale` (e.g. "Language Usage", "Science - General Science") and `Discipline`
("Language", "Science"); `MeasurementScale` is preferred where a file has both because it names
the scale. The pre-Lexile layout (MAP_2013_ASSESSMENT_RESULTS_HEADER) has RITtoReading* where
later files have Lexile*, and Typical*Growth without any Projected* columns.

Growth target: `typical_growth` is TypicalFallToSpringGrowth, the RIT gain NWEA's norms expect
from fall to spring of the student's grade, i.e. the within-year target districts set goals
against. A column mapping names one column per file, so the fall-to-spring span is used for
every term: current exports state it on every test event; the 2013 files state it on fall
events only (their other rows load with no typical growth).
"""

from .base import ResultFormat
from .headers import MAP_2013_ASSESSMENT_RESULTS_HEADER, MAP_ASSESSMENT_RESULTS_HEADER, MAP_COMBO_HEADER

SUBJECT: tuple[str, ...] = ("Subject", "MeasurementScale", "Discipline")

# Subject -> measure; measure ids follow config/measures.csv. A subject not listed becomes
# map_<subject> (e.g. map_reading_spanish), which loads and shows up as an unconfigured measure.
SUBJECT_MEASURE_SQL = """
case lower(trim(coalesce(measure_name, '')))
    when 'reading' then 'map_reading'
    when 'mathematics' then 'map_math'
    when 'math' then 'map_math'
    when 'language usage' then 'map_language_usage'
    when 'language' then 'map_language_usage'
    when 'science' then 'map_science'
    when 'general science' then 'map_science'
    when 'science - general science' then 'map_science'
    else 'map_' || regexp_replace(lower(trim(coalesce(measure_name, ''))), '[^a-z0-9]+', '_', 'g')
end
"""

_COMMON_COLUMNS = {
    "vendor_student_id": "StudentID",
    "state_student_id": "Student_StateID",
    "school_ref": "School_StateID",
    "school_name": "SchoolName",
    "assessment_date": "TestStartDate",
    "assessment_time": "TestStartTime",
    "reported_period": "TermName",
    "school_year": "TermName",
    "measure_name": SUBJECT,
    "scale_score": "TestRITScore",
    "standard_error": "TestStandardError",
    "percentile": "TestPercentile",
    "vendor_level": "AchievementQuintile",
    "typical_growth": "TypicalFallToSpringGrowth",
}

_REQUIRED = ("TermName", "StudentID", SUBJECT, "TestStartDate", "TestRITScore")
# MAP writes "09/16/2021" in current files and "9/16/2013" in old ones; %m reads both.
_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")


def _declared(header: tuple[str, ...]) -> tuple:
    """A current header with the subject column open to its older names."""
    return tuple(SUBJECT if column == "Subject" else column for column in header)


NWEA_MAP_COMBINED = ResultFormat(
    name="nwea_map_combined",
    raw_table="nwea_map_results",
    signature=("TermName", "StudentID", "TestRITScore", "StudentLastName"),
    excludes=("RITtoReadingScore",),
    required_columns=_REQUIRED + ("Grade",),
    columns={**_COMMON_COLUMNS, "enrolled_grade": "Grade", "assessed_grade": "Grade"},
    measure_expr=SUBJECT_MEASURE_SQL,
    date_formats=_DATE_FORMATS,
    declared_columns=_declared(MAP_COMBO_HEADER),
    description="NWEA MAP Growth combined export (ComboStudentAssessment.csv)",
)

NWEA_MAP_ASSESSMENT_RESULTS = ResultFormat(
    name="nwea_map_assessment_results",
    raw_table="nwea_map_results",
    signature=("TermName", "StudentID", "TestRITScore", "TestID"),
    excludes=("StudentLastName", "RITtoReadingScore"),
    required_columns=_REQUIRED,
    columns=dict(_COMMON_COLUMNS),
    measure_expr=SUBJECT_MEASURE_SQL,
    date_formats=_DATE_FORMATS,
    declared_columns=_declared(MAP_ASSESSMENT_RESULTS_HEADER),
    description="NWEA MAP Growth AssessmentResults.csv",
)

NWEA_MAP_2013_ASSESSMENT_RESULTS = ResultFormat(
    name="nwea_map_2013_assessment_results",
    raw_table="nwea_map_results",
    signature=("TermName", "StudentID", "TestRITScore", "RITtoReadingScore"),
    required_columns=_REQUIRED,
    # A combined file of that era adds the roster's Grade; where it is absent the grade is unknown.
    columns={**_COMMON_COLUMNS, "enrolled_grade": "Grade", "assessed_grade": "Grade"},
    measure_expr=SUBJECT_MEASURE_SQL,
    date_formats=_DATE_FORMATS,
    declared_columns=MAP_2013_ASSESSMENT_RESULTS_HEADER,
    description="NWEA MAP AssessmentResults / CombinedAssessmentResults before Lexile (2013 layout)",
)

FORMATS = (NWEA_MAP_COMBINED, NWEA_MAP_ASSESSMENT_RESULTS, NWEA_MAP_2013_ASSESSMENT_RESULTS)
