"""Renaissance Star assessment exports (Star data-sharing files SR.csv, SM.csv and SEL.csv, often
delivered in one zip per district): one PascalCase row per completed test.

Reading, Math and Early Literacy share one header except for their subject columns, and the export
names no subject in any column (AssessmentType says "Enterprise", not which product), so each file
is told apart by the columns only its subject has: InstructionalReadingLevel (Star Reading),
Quantile (Star Math), LiteracyClassification (Star Early Literacy). The SR header is the 126-column
sample published in edanalytics/earthmover_edfi_bundles (assessments/STAR/data); the SM and SEL
headers replace its reading columns with the subject columns listed in TEAMSchools/teamster's Star
schema.

Scores: `scale_score` is UnifiedScore, the Star Unified Scale (0-1400 for all three products, Early
Literacy about 200-1100), the only scale Renaissance reports since 2023-24; the Enterprise scale
(Reading and Math 0-1400, Early Literacy 300-900) is not comparable across products or across the
2023 change, so it is not read. The performance level comes from PercentileRank through the
district benchmark bands in config/cut_scores.csv (level_basis percentile); the file's own
RenaissanceBenchmarkCategoryName is kept as vendor_level.

Students: StudentSourcedID is the district's (SIS) student ID and is the vendor student ID;
StudentRenaissanceID is Renaissance's internal GUID and is not read. The test date is the school's
local date (CompletedDateLocal); an export without it falls back to CompletedDate (UTC).
"""

from .base import ResultFormat

_BEFORE_SUBJECT: tuple[str, ...] = (
    "RenaissanceClientID",
    "SchoolYear",
    "SchoolYearStartDate",
    "SchoolYearEndDate",
    "StudentRenaissanceID",
    "StudentSourcedID",
    "StudentIdentifier",
    "StudentUserID",
    "StudentStateID",
    "StudentEmail",
    "StudentFirstName",
    "StudentMiddleName",
    "StudentLastName",
    "Gender",
    "BirthDate",
    "MultiRace",
    "HispanicOrLatino",
    "AmericanIndianOrAlaskaNative",
    "Asian",
    "BlackOrAfricanAmerican",
    "NativeHawaiianOrOtherPacificIslander",
    "White",
    "CurrentGrade",
    "EnrollmentStatus",
    "DistrictRenaissanceID",
    "DistrictSourcedID",
    "DistrictIdentifier",
    "DistrictStateID",
    "DistrictName",
    "SchoolRenaissanceID",
    "SchoolSourcedID",
    "SchoolIdentifier",
    "SchoolStateID",
    "SchoolName",
    "CourseRenaissanceID",
    "CourseSourcedID",
    "CourseCode",
    "CourseName",
    "ClassRenaissanceID",
    "ClassSourcedID",
    "ClassCode",
    "GroupID",
    "GroupOrClassName",
    "TeacherRenaissanceID",
    "TeacherSourcedID",
    "TeacherIdentifier",
    "TeacherUserID",
    "TeacherStateID",
    "TeacherEmail",
    "TeacherFirstName",
    "TeacherMiddleName",
    "TeacherLastName",
    "AssessmentID",
    "LaunchDate",
    "CompletedDate",
    "CompletedDateLocal",
    "AssessmentNumber",
    "AssessmentType",
    "AssessmentStatus",
    "DeactivationReason",
    "GradePlacement",
    "Grade",
    "ExtraTime",
    "ScaledScore",
    "StandardErrorOfMeasurement",
    "RaschScore",
    "UnifiedScore",
    "PartnershipForAssessmentOfReadinessForCollegeAndCareers",
    "SmarterBalancedAssessmentConsortium",
    "OpenGrowthScore",
    "GradeEquivalent",
    "PercentileRank",
    "NormalCurveEquivalent",
)

_AFTER_SUBJECT: tuple[str, ...] = (
    "StudentGrowthPercentileFallFall",
    "StudentGrowthPercentileFallSpring",
    "StudentGrowthPercentileFallWinter",
    "StudentGrowthPercentileSpringFall",
    "StudentGrowthPercentileSpringSpring",
    "StudentGrowthPercentileWinterSpring",
    "ScreeningPeriodWindowName",
    "ScreeningWindowStartDate",
    "ScreeningWindowEndDate",
    "RenaissanceBenchmarkCategoryName",
    "RenaissanceBenchmarkCategoryLevel",
    "RenaissanceBenchmarkCategoryNumberOfLevels",
    "RenaissanceBenchmarkCategoryMinPercentileRank",
    "RenaissanceBenchmarkCategoryMaxPercentileRank",
    "StateBenchmarkAssessmentName",
    "StateBenchmarkCategoryName",
    "StateBenchmarkProficient",
    "StateBenchmarkCategoryLevel",
    "StateBenchmarkNumberOfCategoryLevels",
    "StateBenchmarkMinScaledScore",
    "StateBenchmarkMaxScaledScore",
    "DistrictBenchmarkCategoryName",
    "DistrictBenchmarkProficient",
    "DistrictBenchmarkCategoryLevel",
    "DistrictBenchmarkNumberOfCategoryLevels",
    "DistrictBenchmarkMinPercentileRank",
    "DistrictBenchmarkMaxPercentileRank",
    "SchoolBenchmarkCategoryName",
    "SchoolBenchmarkProficient",
    "SchoolBenchmarkCategoryLevel",
    "SchoolBenchmarkNumberOfCategoryLevels",
    "SchoolBenchmarkMinPercentileRank",
    "SchoolBenchmarkMaxPercentileRank",
    "CurrentSGP",
    "TakenAt",
    "TakenAtByIPAddress",
    "StudentDisplayID",
    "TeacherDisplayID",
    "SATBenchmarkCategory",
    "ACTBenchmarkCategory",
)

_TOTALS = ("TotalTimeInSeconds", "TotalCorrect", "TotalPossible")

# Star Reading (SR.csv): the 126-column sample export.
STAR_READING_HEADER: tuple[str, ...] = (
    _BEFORE_SUBJECT
    + (
        "InstructionalReadingLevel",
        "EstimatedOralReadingFluency",
        "LowerZoneOfProximalDevelopment",
        "UpperZoneOfProximalDevelopment",
        "Lexile",
        "LowerLexileZoneOfProximalDevelopment",
        "UpperLexileZoneOfProximalDevelopment",
    )
    + _TOTALS
    + ("Grade3_AssessmentAttempts", "Grade3_PassingStatus", "Grade3_PassingScore")
    + _AFTER_SUBJECT
)
# Star Math (SM.csv).
STAR_MATH_HEADER: tuple[str, ...] = _BEFORE_SUBJECT + ("Quantile",) + _TOTALS + _AFTER_SUBJECT
# Star Early Literacy (SEL.csv).
STAR_EARLY_LITERACY_HEADER: tuple[str, ...] = (
    _BEFORE_SUBJECT
    + ("LiteracyClassification", "EstimatedOralReadingFluency", "Lexile", "LexileRange")
    + _TOTALS
    + _AFTER_SUBJECT
)

_COLUMNS = {
    "vendor_student_id": "StudentSourcedID",
    "state_student_id": "StudentStateID",
    "school_ref": "SchoolStateID",
    "school_name": "SchoolName",
    "assessment_date": ("CompletedDateLocal", "CompletedDate"),
    "reported_period": "ScreeningPeriodWindowName",
    "enrolled_grade": "Grade",
    "school_year": "SchoolYear",
    "scale_score": "UnifiedScore",
    "percentile": "PercentileRank",
    "vendor_level": "RenaissanceBenchmarkCategoryName",
}
_REQUIRED = ("StudentSourcedID", ("CompletedDateLocal", "CompletedDate"), "Grade", "UnifiedScore", "PercentileRank")
# Renaissance writes ISO-8601 timestamps with milliseconds and a Z, the local one included.
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%f", "%m/%d/%Y")
_SUBJECT_COLUMNS = ("InstructionalReadingLevel", "Quantile", "LiteracyClassification")


def _star_format(name: str, subject_column: str, measure_id: str, header: tuple[str, ...], product: str) -> ResultFormat:
    return ResultFormat(
        name=name,
        raw_table="star_results",
        signature=("StudentRenaissanceID", "UnifiedScore", "PercentileRank", subject_column),
        excludes=tuple(c for c in _SUBJECT_COLUMNS if c != subject_column),
        required_columns=_REQUIRED,
        columns=dict(_COLUMNS),
        measure_expr=f"'{measure_id}'",
        date_formats=_DATE_FORMATS,
        declared_columns=header,
        description=f"Renaissance {product} export",
    )


STAR_READING = _star_format(
    "star_reading", "InstructionalReadingLevel", "star_reading", STAR_READING_HEADER, "Star Reading (SR.csv)"
)
STAR_MATH = _star_format("star_math", "Quantile", "star_math", STAR_MATH_HEADER, "Star Math (SM.csv)")
STAR_EARLY_LITERACY = _star_format(
    "star_early_literacy", "LiteracyClassification", "star_early_literacy", STAR_EARLY_LITERACY_HEADER,
    "Star Early Literacy (SEL.csv)",
)

FORMATS = (STAR_READING, STAR_MATH, STAR_EARLY_LITERACY)
