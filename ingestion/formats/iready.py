"""Curriculum Associates i-Ready Diagnostic results export (diagnostic_results_ela.csv and
diagnostic_results_math.csv): one row per completed diagnostic, the ELA and math files told apart
by their domain columns.

The export is long: each row is one diagnostic, so the measure is fixed by the file's layout. The
performance level is the file's own "Overall Relative Placement" (config/measures.csv level_basis
vendor_level, descriptor set iready_relative_placement). Headers follow the 2025-2026 sample exports
published in edanalytics/earthmover_edfi_bundles (assessments/i-Ready/data); renamed columns keep
their other names as alternatives: the 2026-2027 export writes "Assessment" where earlier ones
write "Diagnostic", and older exports wrote "Diagnostic Gain (Note: Negative Gains = Zero)".
"""

from .base import ResultFormat

_IDENTITY: tuple = (
    "Last Name",
    "First Name",
    "Student ID",
    "Student Grade",
    "Academic Year",
    "School",
    "Enrolled",
    "District State ID",
    "Account State ID",
    "School State ID",
    "Student State ID",
    "User Name",
    "Sex",
    "Hispanic or Latino",
    "Race",
    "English Language Learner",
    "Special Education",
    "Economically Disadvantaged",
    "Migrant",
    "Class(es)",
    "Class Teacher(s)",
    "Report Group(s)",
    "Start Date",
    "Completion Date",
    "Norming Window",
    ("Baseline Diagnostic (Y/N)", "Baseline Assessment (Y/N)"),
    ("Most Recent Diagnostic YTD (Y/N)", "Most Recent Assessment YTD (Y/N)"),
    "Duration (min)",
    "Rush Flag",
    "Read Aloud",
    "Overall Scale Score",
    "Overall Placement",
    "Overall Relative Placement",
    "Percentile",
    "Grouping",
)

_GROWTH: tuple = (
    ("Diagnostic Gain", "Assessment Gain", "Diagnostic Gain (Note: Negative Gains = Zero)"),
    "Annual Typical Growth Measure",
    "Annual Stretch Growth Measure",
    "Percent Progress to Annual Typical Growth (%)",
    "Percent Progress to Annual Stretch Growth (%)",
    "Mid On Grade Level Scale Score",
)

# Domain name -> older names the export has used for it.
ELA_DOMAINS: dict[str, tuple[str, ...]] = {
    "Phonological Awareness": (),
    "Phonics": (),
    "High-Frequency Words": (),
    "Vocabulary": (),
    "Comprehension: Overall": ("Reading Comprehension: Overall",),
    "Comprehension: Literature": ("Reading Comprehension: Literature",),
    "Comprehension: Informational Text": ("Reading Comprehension: Informational Text",),
}
MATH_DOMAINS: dict[str, tuple[str, ...]] = {
    "Number and Operations": (),
    "Algebra and Algebraic Thinking": (),
    "Measurement and Data": (),
    "Geometry": (),
}
DOMAIN_PARTS = ("Scale Score", "Placement", "Relative Placement")


def _domain_columns(domains: dict[str, tuple[str, ...]]) -> tuple:
    columns = []
    for domain, older in domains.items():
        for part in DOMAIN_PARTS:
            names = (f"{domain} {part}", *(f"{o} {part}" for o in older))
            columns.append(names if len(names) > 1 else names[0])
    return tuple(columns)


IREADY_ELA_HEADER: tuple = (
    _IDENTITY
    + ("Lexile Measure", "Lexile Range")
    + _domain_columns(ELA_DOMAINS)
    + _GROWTH
    + ("Reading Difficulty Indicator (Y/N)",)
)
IREADY_MATH_HEADER: tuple = (
    _IDENTITY
    + ("Quantile Measure", "Quantile Range")
    + _domain_columns(MATH_DOMAINS)
    + _GROWTH
    + (
        "Proficiency if Student Shows No Additional Growth",
        "Projection if Student Achieves Typical Growth",
        "Projection if Student Achieves Stretch Growth",
    )
)

_COLUMNS = {
    "vendor_student_id": "Student ID",
    "state_student_id": "Student State ID",
    "school_ref": "School State ID",
    "school_name": "School",
    "assessment_date": "Completion Date",
    "reported_period": "Norming Window",
    "enrolled_grade": "Student Grade",
    "school_year": "Academic Year",
    "scale_score": "Overall Scale Score",
    "percentile": "Percentile",
    "vendor_level": "Overall Relative Placement",
    "typical_growth": "Annual Typical Growth Measure",
    "stretch_growth": "Annual Stretch Growth Measure",
}
_REQUIRED = ("Student ID", "Student Grade", "Academic Year", "Completion Date", "Overall Scale Score")

IREADY_DIAGNOSTIC_ELA = ResultFormat(
    name="iready_diagnostic_ela",
    raw_table="iready_results",
    signature=("Student ID", "Overall Relative Placement", "Phonics Scale Score"),
    required_columns=_REQUIRED,
    columns=dict(_COLUMNS),
    measure_expr="'iready_reading'",
    date_formats=("%m/%d/%Y",),
    declared_columns=IREADY_ELA_HEADER,
    description="Curriculum Associates i-Ready Diagnostic results, ELA (diagnostic_results_ela.csv)",
)

IREADY_DIAGNOSTIC_MATH = ResultFormat(
    name="iready_diagnostic_math",
    raw_table="iready_results",
    signature=("Student ID", "Overall Relative Placement", "Number and Operations Scale Score"),
    required_columns=_REQUIRED,
    columns=dict(_COLUMNS),
    measure_expr="'iready_math'",
    date_formats=("%m/%d/%Y",),
    declared_columns=IREADY_MATH_HEADER,
    description="Curriculum Associates i-Ready Diagnostic results, math (diagnostic_results_math.csv)",
)

FORMATS = (IREADY_DIAGNOSTIC_ELA, IREADY_DIAGNOSTIC_MATH)
