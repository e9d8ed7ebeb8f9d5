"""aimswebPlus score export (AIMSWEB_PLUS_HEADER, 93 columns): long format, one row per student,
measure and benchmark period. Comma- or tab-separated (ExportScore .txt files are tab-separated).

A battery row (IsBatteryScore 1) holds a composite: "Early Literacy" and "Early Numeracy" in
kindergarten and grade 1, "Reading" and "Math" from grade 2. The other rows are the component
measures ("Oral Reading Fluency", "Number Sense Fluency", ...). `Score` is the measure's score
(the composite on a battery row), `Natl` its national percentile, `MeasureGrade` the grade of
the form given, `Period` Fall, Winter or Spring. `SchoolYear` is written "'24-'25", which names
no century, so the school year is taken from the date.

Levels: aimswebPlus reports every measure in the same five national-percentile bands (Well Below
Average 1-10, Below Average 11-25, Average 26-74, Above Average 75-89, Well Above Average 90-99),
so every measure has level_basis percentile with those bands in config/cut_scores.csv.
`RiskStatus` (HIGH, MODERATE, LOW on battery rows) is kept as the vendor level but does not set
the performance level.

Only benchmark rows (Type "BM") are results; an export that also holds progress-monitoring rows
(Type "PM") should be filtered to BM before it lands.
"""

from .base import ResultFormat
from .headers import AIMSWEB_PLUS_HEADER

# MeasureName -> measure id (config/measures.csv): the four composites and the English reading
# and math measures of K-8. Other measures (e.g. the Spanish ones) are rejected as unknown until
# the district configures them.
MEASURE_SQL = """
case lower(trim(measure_name))
    when 'early literacy' then 'aimsweb_early_literacy'
    when 'reading' then 'aimsweb_reading'
    when 'letter naming fluency' then 'aimsweb_lnf'
    when 'letter word sounds fluency' then 'aimsweb_lwsf'
    when 'nonsense word fluency' then 'aimsweb_nwf'
    when 'word reading fluency' then 'aimsweb_wrf'
    when 'oral reading fluency' then 'aimsweb_orf'
    when 'silent reading fluency' then 'aimsweb_srf'
    when 'reading comprehension' then 'aimsweb_rc'
    when 'vocabulary' then 'aimsweb_vocabulary'
    when 'early numeracy' then 'aimsweb_early_numeracy'
    when 'math' then 'aimsweb_math'
    when 'mathematics' then 'aimsweb_math'
    when 'number naming fluency' then 'aimsweb_nnf'
    when 'quantity total fluency' then 'aimsweb_qtf'
    when 'number comparison fluency-pairs' then 'aimsweb_ncf_p'
    when 'math facts fluency-1 digit' then 'aimsweb_mff_1d'
    when 'number sense fluency' then 'aimsweb_nsf'
    when 'concepts & applications' then 'aimsweb_ca'
    when 'concepts and applications' then 'aimsweb_ca'
end
"""

# The tab-separated ExportScore files write some identifiers with a lower-case "uid".
_UID_SPELLINGS = {
    "DistrictUID": ("DistrictUID", "Districtuid"),
    "SchoolUID": ("SchoolUID", "Schooluid"),
    "ClassUID": ("ClassUID", "ClassUid"),
    "TeacherUID": ("TeacherUID", "Teacheruid"),
}
DECLARED_COLUMNS = tuple(_UID_SPELLINGS.get(column, column) for column in AIMSWEB_PLUS_HEADER)

AIMSWEB_PLUS_SCORES = ResultFormat(
    name="aimswebplus_scores",
    raw_table="aimsweb_results",
    signature=("Studentuid", "Period", "MeasureName", "Score", "Natl"),
    required_columns=("Studentuid", "Period", "MeasureName", "Score", "AdministrationDate"),
    columns={
        "vendor_student_id": "Studentuid",
        "state_student_id": "SSID",
        "school_ref": _UID_SPELLINGS["SchoolUID"],
        "school_name": "SchoolName",
        "assessment_date": "AdministrationDate",
        "reported_period": "Period",
        "enrolled_grade": "StudentGrade",
        "assessed_grade": "MeasureGrade",
        "measure_name": "MeasureName",
        "scale_score": "Score",
        "standard_error": "CSEM",
        "percentile": "Natl",
        "vendor_level": "RiskStatus",
    },
    measure_expr=MEASURE_SQL,
    date_formats=("%m/%d/%Y", "%Y-%m-%d"),
    declared_columns=DECLARED_COLUMNS,
    description="aimswebPlus score export (long format)",
)

FORMATS = (AIMSWEB_PLUS_SCORES,)
