"""School-defined data: one long CSV or XLSX family the district's own staff fill in.

Every kind shares the same conventions (docs/school-defined-format.md): lower-case snake_case
column names, `student_id` is the district's local student ID, `school_id` the state school ID,
dates are YYYY-MM-DD (M/D/YYYY is also read). Each kind is recognised from its header by the
identifier column only it has (measure_id with assessment_date, objective_id, intervention_id
with tier, goal_id, incident_id); the excludes keep a header that mixes two kinds from matching
either.
"""

from .base import Field, RecordFormat, ResultFormat

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S")

SCHOOL_MEASURES_HEADER = (
    "student_id", "school_id", "measure_id", "assessment_date", "score", "level", "percentile",
)
MARKBOOK_HEADER = (
    "student_id", "school_id", "subject", "objective_id", "objective", "descriptor_set", "descriptor",
    "assessment_date", "teacher_id",
)
INTERVENTIONS_HEADER = (
    "intervention_id", "student_id", "school_id", "intervention_name", "tier", "start_date", "end_date",
    "staff_id", "minutes_per_week", "subject", "measure_id",
)
GOALS_HEADER = (
    "goal_id", "student_id", "measure_id", "baseline_score", "baseline_date", "goal_score", "goal_date",
    "intervention_id",
)
INCIDENTS_HEADER = (
    "incident_id", "student_id", "school_id", "incident_date", "incident_type", "class_id", "location", "severity",
)

# The column that names each kind; a header holding another kind's column is not of this kind.
# School measures are named by measure_id with assessment_date, interventions by intervention_id
# with tier: goals and interventions may name a measure and goals an intervention, but neither
# carries an assessment date, nor a goal a tier.
_KIND_COLUMNS = ("objective_id", "intervention_id", "tier", "goal_id", "incident_id", "measure_id", "assessment_date")


def _others(*own: str) -> tuple[str, ...]:
    return tuple(c for c in _KIND_COLUMNS if c not in own)


SCHOOL_MEASURES = ResultFormat(
    name="school_measures",
    raw_table="school_measure_results",
    signature=("student_id", "measure_id", "assessment_date"),
    excludes=_others("measure_id", "assessment_date"),
    required_columns=("student_id", "measure_id", "assessment_date"),
    columns={
        "vendor_student_id": "student_id",
        "school_ref": "school_id",
        "assessment_date": "assessment_date",
        "scale_score": "score",
        "vendor_level": "level",
        "percentile": "percentile",
        "measure_name": "measure_id",
    },
    # the id as written, lower-cased; an id missing from config/measures.csv is reported downstream
    # (measure_not_configured) rather than guessed
    measure_expr="nullif(lower(trim(measure_name)), '')",
    date_formats=DATE_FORMATS,
    declared_columns=SCHOOL_MEASURES_HEADER,
    score_required=False,
    vendor="School-defined",
    description="School-defined measure results (ratings, checks, standardised scores, percentile ranks)",
)

SCHOOL_MARKBOOK = RecordFormat(
    name="school_markbook",
    raw_table="school_markbook",
    signature=("student_id", "objective_id", "descriptor", "assessment_date"),
    excludes=_others("objective_id", "assessment_date"),
    fields={
        "student_id": Field("student_id", required=True),
        "school_id": Field("school_id", required=True),
        "subject": Field("subject", required=True),
        "objective_id": Field("objective_id", required=True),
        "objective": Field("objective"),
        "descriptor_set": Field("descriptor_set", required=True),
        "descriptor": Field("descriptor", required=True),
        "assessment_date": Field("assessment_date", kind="date", required=True, observed=True),
        "teacher_id": Field("teacher_id"),
    },
    key=("student_id", "objective_id", "assessment_date"),
    date_formats=DATE_FORMATS,
    declared_columns=MARKBOOK_HEADER,
    description="Objective markbook: a teacher's judgement of a student against one objective on one date",
)

SCHOOL_INTERVENTIONS = RecordFormat(
    name="school_interventions",
    raw_table="school_interventions",
    signature=("intervention_id", "student_id", "tier", "start_date"),
    excludes=_others("intervention_id", "tier", "measure_id"),
    fields={
        "intervention_id": Field("intervention_id", required=True),
        "student_id": Field("student_id", required=True),
        "school_id": Field("school_id", required=True),
        "intervention_name": Field("intervention_name", required=True),
        "tier": Field("tier", kind="integer", required=True, choices=("2", "3")),
        "start_date": Field("start_date", kind="date", required=True),
        "end_date": Field("end_date", kind="date"),
        "staff_id": Field("staff_id", required=True),
        "minutes_per_week": Field("minutes_per_week", kind="integer", required=True),
        "subject": Field("subject"),
        "measure_id": Field("measure_id"),
    },
    key=("intervention_id",),
    date_formats=DATE_FORMATS,
    declared_columns=INTERVENTIONS_HEADER,
    description="Tier 2 and tier 3 intervention records (one row per student and intervention)",
)

SCHOOL_GOALS = RecordFormat(
    name="school_goals",
    raw_table="school_goals",
    signature=("goal_id", "student_id", "goal_score"),
    excludes=_others("goal_id", "intervention_id", "measure_id"),
    fields={
        "goal_id": Field("goal_id", required=True),
        "student_id": Field("student_id", required=True),
        "measure_id": Field("measure_id", required=True),
        "baseline_score": Field("baseline_score", kind="number", required=True),
        "baseline_date": Field("baseline_date", kind="date", required=True),
        "goal_score": Field("goal_score", kind="number", required=True),
        "goal_date": Field("goal_date", kind="date", required=True),
        "intervention_id": Field("intervention_id"),
    },
    key=("goal_id",),
    date_formats=DATE_FORMATS,
    declared_columns=GOALS_HEADER,
    description="Student goals on a measure: baseline and target score with their dates",
)

SCHOOL_INCIDENTS = RecordFormat(
    name="school_incidents",
    raw_table="school_incidents",
    signature=("incident_id", "student_id", "incident_date"),
    excludes=_others("incident_id"),
    fields={
        "incident_id": Field("incident_id", required=True),
        "student_id": Field("student_id", required=True),
        "school_id": Field("school_id", required=True),
        "incident_date": Field("incident_date", kind="date", required=True, observed=True),
        "incident_type": Field("incident_type", required=True),
        "class_id": Field("class_id"),
        "location": Field("location"),
        "severity": Field("severity", choices=("minor", "major")),
    },
    # one incident may involve several students: one row each, under the same incident_id
    key=("incident_id", "student_id"),
    date_formats=DATE_FORMATS,
    declared_columns=INCIDENTS_HEADER,
    description="Behaviour incidents (one row per student involved in an incident)",
)

FORMATS = (SCHOOL_MEASURES, SCHOOL_MARKBOOK, SCHOOL_INTERVENTIONS, SCHOOL_GOALS, SCHOOL_INCIDENTS)
