"""Acadience Reading K-6 benchmark export (acadience/benchmark_data_<YYYY>_<YYYY>.csv): the last
school year, kindergarten to grade 3 of one school (the district's K-8 school, else its first
elementary school), beginning, middle and end of year.

Which measures each grade takes in each period follows the Acadience Reading schedule (FSF and
LNF in kindergarten, NWF from mid-kindergarten to the start of grade 2, ORF from mid-grade 1,
Maze in grade 3, a Reading Composite every time). Scores follow the student's latent reading
level; the Status the file states is the band of the score against benchmark goals that
approximate the DIBELS Next goals Acadience kept (cut point for risk, benchmark goal, above
benchmark), with national shares of about 23/18/36/23 % well below/below/at/above. Each measure
group is dated on its own day in the benchmark window; the composite is dated on the last of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr, ndtri

from ingestion.formats.headers import ACADIENCE_READING_HEADER

from . import csvtext
from .calendar import DIBELS_TESTING, WINDOW_NAMES
from .context import (
    GRADE_TEXT,
    District,
    SourceFile,
    StudentText,
    YearPlan,
    class_sourced_ids,
    class_title,
    latent_z,
)
from .norms import DIBELS_LEVEL_SHARES

HIGHEST_GRADE = 3
PERIODS = ("beginning", "middle", "end")
STATUS_TEXT = ("well below benchmark", "below benchmark", "at benchmark", "above benchmark")
PATHWAY_TEXT = ("well below typical", "below typical", "typical", "above typical", "well above typical")
OCCASION_NOISE = 0.25
DATE_FORMAT = "%m/%d/%Y"

# measure -> (score column, date group, lowest and highest score written)
MEASURES = {
    "acadience_composite": ("Reading Composite Score", "Reading Composite", 0, 800),
    "acadience_fsf": ("FSF Score", "FSF", 0, 100),
    "acadience_lnf": ("LNF Score", "LNF", 0, 150),
    "acadience_psf": ("PSF Score", "PSF", 0, 100),
    "acadience_nwf_cls": ("NWF CLS Score", "NWF", 0, 250),
    "acadience_nwf_wwr": ("NWF WWR Score", "NWF", 0, 100),
    "acadience_orf": ("ORF WC Score", "ORF", 0, 300),
    "acadience_orf_accuracy": ("ORF Accuracy Score", "ORF", 0, 100),
    "acadience_maze": ("Maze Adjusted Score", "Maze", 0, 100),
}
DATE_GROUPS = ("FSF", "LNF", "PSF", "NWF", "ORF", "Maze")

# (measure, grade) -> per period (beginning, middle, end): the lowest below-benchmark, benchmark
# and above-benchmark scores, or None where the measure is not given. LNF has no benchmark goal
# (the numbers only shape its scores), nor has NWF WWR at the beginning of grade 1.
GOALS: dict[tuple[str, int], tuple] = {
    ("acadience_composite", 0): ((13, 26, 38), (85, 122, 156), (89, 119, 152)),
    ("acadience_composite", 1): ((97, 113, 129), (100, 130, 177), (111, 155, 208)),
    ("acadience_composite", 2): ((109, 141, 202), (145, 190, 256), (180, 238, 287)),
    ("acadience_composite", 3): ((180, 220, 289), (235, 285, 349), (280, 330, 405)),
    ("acadience_fsf", 0): ((5, 10, 16), (20, 30, 43), None),
    ("acadience_lnf", 0): ((3, 8, 22), (15, 27, 44), (29, 40, 56)),
    ("acadience_lnf", 1): ((27, 40, 55), None, None),
    ("acadience_psf", 0): (None, (10, 20, 44), (25, 40, 56)),
    ("acadience_psf", 1): ((25, 40, 47), None, None),
    ("acadience_nwf_cls", 0): (None, (8, 17, 28), (15, 28, 40)),
    ("acadience_nwf_cls", 1): ((18, 27, 34), (33, 43, 59), (47, 58, 81)),
    ("acadience_nwf_cls", 2): ((35, 54, 72), None, None),
    ("acadience_nwf_wwr", 1): ((0, 1, 4), (3, 8, 13), (6, 13, 21)),
    ("acadience_nwf_wwr", 2): ((6, 13, 21), None, None),
    ("acadience_orf", 1): (None, (16, 23, 34), (32, 47, 67)),
    ("acadience_orf", 2): ((37, 52, 68), (55, 72, 91), (65, 87, 104)),
    ("acadience_orf", 3): ((55, 70, 90), (68, 86, 105), (80, 100, 118)),
    ("acadience_orf_accuracy", 1): (None, (68, 78, 90), (82, 90, 97)),
    ("acadience_orf_accuracy", 2): ((81, 90, 96), (85, 93, 97), (89, 95, 98)),
    ("acadience_orf_accuracy", 3): ((89, 95, 98), (92, 96, 99), (93, 97, 99)),
    ("acadience_maze", 3): ((7, 11, 15), (11, 16, 18), (14, 19, 21)),
}
_ANCHOR_Z = ndtri(np.cumsum(DIBELS_LEVEL_SHARES)[:3])
_TAIL_Z = 2.6
RACE_TEXT = ("Hispanic", "American Indian", "Asian", "Black", "Pacific Islander", "White", "Multi-racial")


def is_rated(measure: str, grade: int, period: int) -> bool:
    """Whether Acadience states a Status for the measure at that grade and period."""
    return measure != "acadience_lnf" and not (measure == "acadience_nwf_wwr" and grade == 1 and period == 0)


def file_name(plan: YearPlan) -> str:
    return f"benchmark_data_{plan.school_year - 1}_{plan.school_year}.csv"


def chosen_school(district: District) -> int:
    """The school whose K-3 classes take Acadience: the K-8 school, else the first elementary school."""
    kinds = district.schools.kind
    k8 = np.flatnonzero(kinds == "k8")
    return int(k8[0]) if len(k8) else int(np.flatnonzero(district.schools.low_grade == 0)[0])


def _score(goals: tuple[float, float, float], z: np.ndarray, low: float, high: float) -> np.ndarray:
    """Whole-number score through the goals (piecewise linear in z), flattening at a floor and ceiling."""
    b1, b2, b3 = goals
    spread = max(b3 - b1, 1)
    xs = np.concatenate([[-_TAIL_Z], _ANCHOR_Z, [_TAIL_Z]])
    ys = np.array([max(low, b1 - 1.2 * spread), b1, b2, b3, min(high, b3 + 1.2 * spread)])
    return np.clip(np.floor(np.interp(z, xs, ys)), low, high)


def _simulate(district: District, plan: YearPlan, school: int, rng: np.random.Generator):
    """Benchmark rows of the school's K-3 students and, per measure, score/percentile/level/date."""
    enrollment = plan.enrollment
    calendar = enrollment.calendar
    events: dict[str, list[np.ndarray]] = {}
    for window, days in enumerate(calendar.testing_days(DIBELS_TESTING)):
        rows = np.flatnonzero(plan.tested[window] & (enrollment.grade <= HIGHEST_GRADE))
        day = days[rng.integers(0, len(days), len(rows))]
        here = enrollment.school_on(rows, day) == school
        rows, day = rows[here], day[here]
        z = latent_z(district, plan, rows, "reading", window) + rng.normal(0, OCCASION_NOISE, len(rows))
        for key, value in (("row", rows), ("window", np.full(len(rows), window)), ("day", day), ("z", z)):
            events.setdefault(key, []).append(value)
    merged = {key: np.concatenate(value) for key, value in events.items()}
    n = len(merged["row"])
    grade = enrollment.grade[merged["row"]]

    # Each measure group is given on its own school day, up to three school days after the first.
    group_day = {}
    for group in DATE_GROUPS:
        later = np.busday_offset(merged["day"], rng.integers(0, 4, n), roll="forward", holidays=calendar.holidays)
        group_day[group] = np.minimum(later, calendar.last_day)

    results = {}
    for measure, (_, group, low, high) in MEASURES.items():
        loading = 0.95 if measure == "acadience_composite" else 0.8
        z_measure = loading * merged["z"] + np.sqrt(1 - loading**2) * rng.normal(0, 1, n)
        score = np.full(n, np.nan)
        level = np.full(n, -1)
        for (goal_measure, goal_grade), periods in GOALS.items():
            if goal_measure != measure:
                continue
            for period, goals in enumerate(periods):
                if goals is None:
                    continue
                at = np.flatnonzero((grade == goal_grade) & (merged["window"] == period))
                score[at] = _score(goals, z_measure[at], low, high)
                if is_rated(measure, goal_grade, period):
                    level[at] = np.searchsorted(np.asarray(goals), score[at], side="right")
        given = ~np.isnan(score)
        percentile = np.where(given, np.clip(np.rint(100 * ndtr(z_measure)), 1, 99), np.nan)
        results[measure] = {"score": score, "percentile": percentile, "level": level, "given": given}

    # The composite is scored once every measure of the period is in.
    given_days = [
        np.where(results[m]["given"], group_day[group], merged["day"])
        for m, (_, group, _, _) in MEASURES.items()
        if group in group_day
    ]
    group_day["Reading Composite"] = np.max(np.stack(given_days), axis=0)
    for measure, (_, group, _, _) in MEASURES.items():
        results[measure]["day"] = group_day[group]
    return merged, results


def _optional(values: np.ndarray, given: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(given), csvtext.integers(np.rint(np.where(given, values, 0))), "")


def _optional_text(table, codes: np.ndarray, given: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(given), csvtext.lookup(table, np.where(given, codes, 0)), "")


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    """Write the last school year's benchmark export; other years get none."""
    if plan.school_year != district.school_years[-1]:
        return []
    school = chosen_school(district)
    events, results = _simulate(district, plan, school, rng)
    enrollment = plan.enrollment
    students, schools, teachers, text = district.students, district.schools, district.teachers, district.text
    student = enrollment.student[events["row"]]
    order = np.lexsort((students.local_id[student], events["window"]))
    events = {key: value[order] for key, value in events.items()}
    results = {m: {k: v[order] for k, v in parts.items()} for m, parts in results.items()}
    student = student[order]
    n = len(order)
    grade = enrollment.grade[events["row"]]
    window = events["window"]
    teacher = teachers.of[school, grade]
    pathway = rng.integers(0, len(PATHWAY_TEXT), n)
    has_pathway = window > 0

    homeroom = teachers.of[school, : HIGHEST_GRADE + 1]
    class_names = [
        f"{teachers.last_name[t]}, {teachers.first_name[t]} - {class_title(g)}" for g, t in enumerate(homeroom)
    ]
    class_ids = class_sourced_ids(schools, plan.school_year)[school * 9 : school * 9 + 9]
    cells: dict[str, csvtext.Column] = {
        "School Year": plan.label,
        "District Name": district.config.name,
        "School Name": str(schools.name[school]),
        "School SIS ID": str(schools.school_id[school]),
        "Class Name": csvtext.lookup(class_names, grade),
        "Class SIS ID": csvtext.lookup(class_ids, grade),
        "Teacher Primary ID": csvtext.lookup(teachers.staff_id, teacher),
        "Teacher SIS ID": csvtext.lookup(teachers.staff_id, teacher),
        "Teacher Last Name": csvtext.lookup(teachers.last_name, teacher),
        "Teacher First Name": csvtext.lookup(teachers.first_name, teacher),
        "Student Number": StudentText.take(text.local_id, student),
        "Student State ID": StudentText.take(text.state_id, student),
        "Student SIS ID": StudentText.take(text.local_id, student),
        "Student Last Name": StudentText.take(text.last_name, student),
        "Student First Name": StudentText.take(text.first_name, student),
        "Student DOB": csvtext.dates(students.birth_date[student], DATE_FORMAT),
        "Student Grade Level": csvtext.lookup(GRADE_TEXT, grade),
        "Benchmark Period": csvtext.lookup(PERIODS, window),
        "Gender": csvtext.lookup(("Male", "Female"), students.is_female[student].astype(np.int64)),
        "Race/Ethnicity": csvtext.lookup(RACE_TEXT, students.race[student]),
        "ELL Status": csvtext.lookup(("No", "Yes"), students.is_el[student].astype(np.int64)),
        "Special Education": csvtext.lookup(("No", "Yes"), students.has_disability[student].astype(np.int64)),
        "Free/Reduced Lunch": csvtext.lookup(("No", "Yes"), students.is_econ[student].astype(np.int64)),
    }
    for group in DATE_GROUPS:
        in_group = [m for m, (_, g, _, _) in MEASURES.items() if g == group]
        given = np.any([results[m]["given"] for m in in_group], axis=0)
        day = csvtext.dates(results[in_group[0]]["day"], DATE_FORMAT)
        cells[f"{group} Date"] = pc.if_else(pa.array(given), day, "")
        for suffix, values in (
            ("Assessor Primary ID", csvtext.lookup(teachers.staff_id, teacher)),
            ("Assessor SIS ID", csvtext.lookup(teachers.staff_id, teacher)),
            ("Assessor Last Name", csvtext.lookup(teachers.last_name, teacher)),
            ("Assessor First Name", csvtext.lookup(teachers.first_name, teacher)),
        ):
            cells[f"{group} {suffix}"] = pc.if_else(pa.array(given), values, "")
    composite = results["acadience_composite"]
    cells["Reading Composite Date"] = csvtext.dates(composite["day"], DATE_FORMAT)
    for measure, (score_column, _, _, _) in MEASURES.items():
        parts = results[measure]
        prefix = score_column.removesuffix(" Score").removesuffix(" Adjusted")
        rated = parts["level"] >= 0
        cells[score_column] = _optional(parts["score"], parts["given"])
        cells[f"{prefix} National Percentile"] = _optional(parts["percentile"], parts["given"])
        if measure != "acadience_lnf":
            cells[f"{prefix} Status"] = _optional_text(STATUS_TEXT, parts["level"], rated)
            cells[f"{prefix} Pathway"] = _optional_text(PATHWAY_TEXT, pathway, rated & has_pathway)
    # ORF errors follow from words correct and accuracy.
    orf, accuracy = results["acadience_orf"], results["acadience_orf_accuracy"]
    words, percent = np.nan_to_num(orf["score"]), np.maximum(np.nan_to_num(accuracy["score"]), 1)
    errors = np.where(orf["given"], np.rint(words * (100 / percent - 1)), 0)
    cells["ORF Errors"] = _optional(np.minimum(errors, 99), orf["given"])
    eoy_goal = np.array([GOALS[("acadience_composite", g)][2][1] for g in range(HIGHEST_GRADE + 1)])
    cells["Reading Composite Goal"] = csvtext.integers(eoy_goal[grade])
    cells["Reading Composite Goal Status"] = "at benchmark"
    cells["Reading Composite Goal Pathway"] = "typical"

    unknown = set(cells) - set(ACADIENCE_READING_HEADER)
    if unknown:
        raise AssertionError(f"columns not in the Acadience Reading header: {sorted(unknown)}")

    path = f"acadience/{file_name(plan)}"
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        sink.write(csvtext.header_line(ACADIENCE_READING_HEADER, "\n"))
        csvtext.write_rows(sink, [cells.get(c, "") for c in ACADIENCE_READING_HEADER], n, quote_all=False)
    return [SourceFile(path, n, _truth(path, plan, events, results, student, district, school, grade))]


def _truth(path, plan, events, results, student, district, school, grade) -> pa.Table:
    """One truth row per measure given in each file row, ordered by file row then measure."""
    parts: dict[str, list[np.ndarray]] = {}
    for position, values in enumerate(results.values()):
        at = np.flatnonzero(values["given"])
        for key, value in (
            ("line", at + 2),
            ("measure", np.full(len(at), position)),
            ("score", values["score"][at]),
            ("percentile", values["percentile"][at]),
            ("level", values["level"][at]),
            ("day", values["day"][at]),
        ):
            parts.setdefault(key, []).append(value)
    merged = {key: np.concatenate(value) for key, value in parts.items()}
    order = np.lexsort((merged["measure"], merged["line"]))
    merged = {key: value[order] for key, value in merged.items()}
    at = merged["line"] - 2
    n = len(at)
    rated = merged["level"] >= 0
    return pa.table(
        {
            "source_file": csvtext.lookup([path], np.zeros(n, dtype=np.int64)),
            "source_row": pa.array(merged["line"].astype(np.int64)),
            "local_student_id": csvtext.integers(district.students.local_id[student[at]]),
            "school_id": csvtext.lookup([str(district.schools.school_id[school])], np.zeros(n, dtype=np.int64)),
            "school_year": pa.array(np.full(n, plan.school_year, dtype=np.int64)),
            "window_name": csvtext.lookup(WINDOW_NAMES, events["window"][at]),
            "assessment_date": pa.array(merged["day"].astype("datetime64[D]")).cast(pa.date32()),
            "enrolled_grade": pa.array(grade[at].astype(np.int64)),
            "instructional_grade": pa.array(grade[at].astype(np.int64)),
            "measure_id": csvtext.lookup(list(results), merged["measure"]),
            "scale_score": pa.array(merged["score"].astype(np.float64)),
            "percentile": pa.array(merged["percentile"].astype(np.int64)),
            "is_retest": pa.array(np.zeros(n, dtype=bool)),
            "performance_level": pc.if_else(
                pa.array(rated),
                csvtext.lookup(STATUS_TEXT, np.maximum(merged["level"], 0)),
                pa.scalar(None, pa.string()),
            ),
        }
    )
