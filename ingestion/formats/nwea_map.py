"""NWEA MAP Growth exports: the combined file (ComboStudentAssessment) and AssessmentResults.

Both carry one row per test event. The combined file adds the roster columns
(StudentLastName, Grade, ...) and has no TestID.
"""

from .base import ResultFormat, q

# Subject -> measure. MAP writes the subject in `Subject` (older files: `Discipline`,
# `MeasurementScale`); measure ids follow config/measures.csv.
SUBJECT_MEASURE_SQL = f"""
case lower(trim(coalesce({q('Subject')}, '')))
    when 'reading' then 'map_reading'
    when 'mathematics' then 'map_math'
    when 'math' then 'map_math'
    when 'language usage' then 'map_language_usage'
    when 'language' then 'map_language_usage'
    when 'science' then 'map_science'
    when 'general science' then 'map_science'
    else 'map_' || regexp_replace(lower(trim(coalesce({q('Subject')}, ''))), '[^a-z0-9]+', '_', 'g')
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
    "scale_score": "TestRITScore",
    "standard_error": "TestStandardError",
    "percentile": "TestPercentile",
    "vendor_level": "AchievementQuintile",
}

_REQUIRED = ("TermName", "StudentID", "Subject", "TestStartDate", "TestRITScore")

NWEA_MAP_COMBINED = ResultFormat(
    name="nwea_map_combined",
    raw_table="nwea_map_results",
    signature=("TermName", "StudentID", "TestRITScore", "StudentLastName"),
    required_columns=_REQUIRED + ("Grade",),
    columns={**_COMMON_COLUMNS, "enrolled_grade": "Grade", "assessed_grade": "Grade"},
    measure_expr=SUBJECT_MEASURE_SQL,
    description="NWEA MAP Growth combined export (ComboStudentAssessment.csv)",
)

NWEA_MAP_ASSESSMENT_RESULTS = ResultFormat(
    name="nwea_map_assessment_results",
    raw_table="nwea_map_results",
    signature=("TermName", "StudentID", "TestRITScore", "TestID"),
    excludes=("StudentLastName",),
    required_columns=_REQUIRED,
    columns=dict(_COMMON_COLUMNS),
    measure_expr=SUBJECT_MEASURE_SQL,
    description="NWEA MAP Growth AssessmentResults.csv",
)
