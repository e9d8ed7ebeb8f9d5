"""Social-emotional-behavioural (SEB) screeners: FastBridge SAEBRS (teacher form), the SRSS-IE
teacher rating sheet and the DESSA-mini rating export. All land in raw.seb_screener_results.

SAEBRS follows the FastBridge screening report: one row per student and school year, one block of
columns per season; "Items Correct" is the score (the total behaviour score, 0-57; Social 0-18,
Academic 0-18, Emotional 0-21) and "Total Items" the number of items rated (19 on the teacher
form). The risk level is read from the national percentile (config/cut_scores.csv), as FastBridge
has done since 2021.

The SRSS-IE and DESSA-mini layouts are long (one row per student and rating); their headers are
documented in docs/school-defined-format.md, section "SEB screeners".
"""

from .base import MeasureBlock, ResultFormat

SEASONS = ("Fall", "Winter", "Spring")
SAEBRS_SUBSCALES = ("Social", "Academic", "Emotional")

SAEBRS_IDENTITY_COLUMNS = (
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
)
_GROWTH_STATISTICS = (
    "Growth Score",
    "School Growth Percentile",
    "District Growth Percentile",
    "National Growth Percentile",
    "Growth Percentile by Start Score",
)


def saebrs_column(season: str, part: str) -> str:
    """A teacher-form column of one season, e.g. saebrs_column('Fall', 'Risk Level')."""
    return f"{season} SAEBRS Teacher {part}"


def saebrs_score_column(season: str, subscale: str | None = None, part: str = "Items Correct") -> str:
    """The score ("Items Correct") or item count ("Total Items") column of the total or a subscale."""
    scale = f"SAEBRS {subscale} " if subscale else "SAEBRS "
    return saebrs_column(season, f"SEBA {scale}{part}")


def _season_columns(position: int) -> tuple[str, ...]:
    season = SEASONS[position]
    columns = [saebrs_score_column(season, None, "Total Items"), saebrs_score_column(season)]
    for subscale in SAEBRS_SUBSCALES:
        columns += [saebrs_score_column(season, subscale, "Total Items"), saebrs_score_column(season, subscale)]
    columns += [
        saebrs_column(season, "Percentile at School"),
        saebrs_column(season, "Percentile at LEA"),
        saebrs_column(season, "Percentile at Nation"),
        saebrs_column(season, "Risk Level"),
        saebrs_column(season, "Final Date"),
    ]
    for earlier in SEASONS[:position]:
        columns += [saebrs_column(season, f"{statistic} from {earlier} to {season}") for statistic in _GROWTH_STATISTICS]
    return tuple(columns)


SAEBRS_TEACHER_HEADER: tuple[str, ...] = SAEBRS_IDENTITY_COLUMNS + tuple(
    column for position in range(len(SEASONS)) for column in _season_columns(position)
)

SAEBRS_MEASURES = {"saebrs_total": None, "saebrs_social": "Social", "saebrs_academic": "Academic", "saebrs_emotional": "Emotional"}

_SAEBRS_BLOCKS = tuple(
    MeasureBlock(
        measure_id=measure_id,
        score=saebrs_score_column(season, subscale),
        # the national percentile and the risk level belong to the total score only
        percentile=None if subscale else saebrs_column(season, "Percentile at Nation"),
        level=None if subscale else saebrs_column(season, "Risk Level"),
        period=season,
        date=saebrs_column(season, "Final Date"),
    )
    for season in SEASONS
    for measure_id, subscale in SAEBRS_MEASURES.items()
)

FASTBRIDGE_SAEBRS_TEACHER = ResultFormat(
    name="fastbridge_saebrs_teacher",
    raw_table="seb_screener_results",
    signature=("Local ID", "FAST ID", tuple(saebrs_column(s, "Risk Level") for s in SEASONS)),
    required_columns=("Local ID", "Grade"),
    columns={
        "vendor_student_id": "Local ID",
        "state_student_id": "State ID",
        "school_name": "School",
        "enrolled_grade": "Grade",
    },
    measures=_SAEBRS_BLOCKS,
    date_formats=("%m/%d/%Y", "%Y-%m-%d"),
    declared_columns=SAEBRS_TEACHER_HEADER,
    description="FastBridge SAEBRS teacher-rated screening report (Fall, Winter and Spring blocks)",
)

# SRSS-IE: 7 externalising items (the original SRSS) and 5 internalising items, each rated 0-3; in
# grades 6-12 the internalising total (I6) also counts Peer Rejection.
SRSS_E_ITEMS = (
    "Steal",
    "Lie, Cheat, Sneak",
    "Behavior Problem",
    "Peer Rejection",
    "Low Academic Achievement",
    "Negative Attitude",
    "Aggressive Behavior",
)
SRSS_I_ITEMS = ("Emotionally Flat", "Shy, Withdrawn", "Sad, Depressed", "Anxious", "Lonely")
SRSS_IE_HEADER: tuple[str, ...] = (
    "School Year",
    "Screening Period",
    "Screening Date",
    "School ID",
    "School Name",
    "Teacher ID",
    "Teacher Name",
    "Student ID",
    "Student Last Name",
    "Student First Name",
    "Grade",
    *SRSS_E_ITEMS,
    *SRSS_I_ITEMS,
    "SRSS-E Total",
    "SRSS-E Risk",
    "SRSS-I Total",
    "SRSS-I Risk",
)

# Sheets kept from before the internalising items were added name the 7-item total "SRSS Total".
SRSS_OLDER_NAMES = {"SRSS-E Total": "SRSS Total", "SRSS-E Risk": "SRSS Risk"}

SRSS_IE_TEACHER_RATINGS = ResultFormat(
    name="srss_ie_teacher_ratings",
    raw_table="seb_screener_results",
    signature=(("SRSS-E Total", "SRSS Total"), "Screening Date", "Student ID"),
    required_columns=("Student ID", "Screening Date", "Grade"),
    columns={
        "vendor_student_id": "Student ID",
        "school_ref": "School ID",
        "school_name": "School Name",
        "assessment_date": "Screening Date",
        "reported_period": "Screening Period",
        "school_year": "School Year",
        "enrolled_grade": "Grade",
    },
    measures=(
        MeasureBlock(measure_id="srss_e", score=("SRSS-E Total", "SRSS Total"), level=("SRSS-E Risk", "SRSS Risk")),
        MeasureBlock(measure_id="srss_i", score="SRSS-I Total", level="SRSS-I Risk"),
    ),
    date_formats=("%m/%d/%Y", "%Y-%m-%d"),
    declared_columns=tuple((c, SRSS_OLDER_NAMES[c]) if c in SRSS_OLDER_NAMES else c for c in SRSS_IE_HEADER),
    description="SRSS-IE teacher rating sheet (one row per student and screening)",
)

DESSA_MINI_HEADER: tuple[str, ...] = (
    "Student ID",
    "Student First Name",
    "Student Last Name",
    "Grade",
    "Site Name",
    "Rater Name",
    "Rater Role",
    "Rating Period",
    "Rating Date",
    "Form",
    "Raw Score",
    "T-Score",
    "Percentile",
    "Description",
)

DESSA_MINI_RATINGS = ResultFormat(
    name="dessa_mini_ratings",
    raw_table="seb_screener_results",
    signature=("Rating Date", "T-Score", "Description"),
    required_columns=("Student ID", "Rating Date", "T-Score"),
    columns={
        "vendor_student_id": "Student ID",
        "school_name": "Site Name",
        "assessment_date": "Rating Date",
        "reported_period": "Rating Period",
        "enrolled_grade": "Grade",
    },
    measures=(MeasureBlock(measure_id="dessa_mini", score="T-Score", percentile="Percentile", level="Description"),),
    date_formats=("%m/%d/%Y", "%Y-%m-%d"),
    declared_columns=DESSA_MINI_HEADER,
    description="DESSA-mini rating export (one row per student and rating)",
)

FORMATS = (FASTBRIDGE_SAEBRS_TEACHER, SRSS_IE_TEACHER_RATINGS, DESSA_MINI_RATINGS)
