"""Amplify mCLASS DIBELS 8th Edition benchmark export (dibels8_BM_<YYYY-YYYY>_<YYYYMMDD>.csv),
one file per school year with BOY, MOY and EOY rows for students enrolled in grades K-3.

mCLASS writes UTF-8 with a byte-order mark and CRLF line endings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr

from ingestion.formats.headers import DIBELS8_BENCHMARK_HEADER, DIBELS8_MEASURE_LABELS

from . import csvtext
from .calendar import DIBELS_PERIODS, DIBELS_TESTING, WINDOW_NAMES
from .context import (
    GRADE_TEXT,
    TRUTH_RESULT_SCHEMA,
    District,
    StudentText,
    YearPlan,
    class_sourced_ids,
    class_title,
    latent_z,
)
from .norms import (
    DIBELS_LEVELS,
    DIBELS_MEASURE_ORDER,
    DIBELS_MEASURES_BY_GRADE,
    dibels_level,
    dibels_score,
)

HIGHEST_GRADE = 3
RACE_CODES = ("H", "I", "A", "B", "P", "W", "M")
LANGUAGE_CODES = ("Eng", "Spa", "Vie", "Chi", "Hmn", "Som", "Ara", "Rus")
# How far ahead of the enrolled grade's norms a student stands on an easier grade's form, per grade.
LOWER_FORM_GAIN = 0.9
OCCASION_NOISE = 0.25
_HALF_POINT_MEASURES = {"dibels8_maze"}


def file_name(plan: YearPlan) -> str:
    export_day = np.busday_offset(np.datetime64(f"{plan.school_year}-06-10"), 0, roll="forward")
    return f"dibels8_BM_{plan.label}_{str(export_day).replace('-', '')}.csv"


def _columns_for(measure: str) -> tuple[str, str, str]:
    if measure == "dibels8_composite":
        return "Composite Level", "Composite Score", "Composite - National Norm Percentile"
    label = DIBELS8_MEASURE_LABELS[measure]
    return f"{label} - Level", f"{label} - Score", f"{label} - National Norm Percentile"


def _simulate(
    district: District, plan: YearPlan, anchors: dict, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    """Benchmark events of the year and, per measure, score/percentile/level (NaN/-1 where not given)."""
    enrollment = plan.enrollment
    events: dict[str, list[np.ndarray]] = {}
    for window, days in enumerate(enrollment.calendar.testing_days(DIBELS_TESTING)):
        rows = np.flatnonzero(plan.tested[window] & (enrollment.grade <= HIGHEST_GRADE))
        day = days[rng.integers(0, len(days), len(rows))]
        grade = enrollment.grade[rows]
        below = district.students.grades_below[enrollment.student[rows]]
        form = np.maximum(grade - below, 0)
        z = latent_z(district, plan, rows, "reading", window)
        z = z + LOWER_FORM_GAIN * (grade - form) + rng.normal(0, OCCASION_NOISE, len(rows))
        for key, value in (
            ("row", rows),
            ("window", np.full(len(rows), window)),
            ("day", day),
            ("school", enrollment.school_on(rows, day)),
            ("form", form),
            ("z", z),
        ):
            events.setdefault(key, []).append(value)
    merged = {key: np.concatenate(value) for key, value in events.items()}
    n = len(merged["row"])

    scores: dict[str, dict[str, np.ndarray]] = {}
    for measure in DIBELS_MEASURE_ORDER:
        loading = 0.95 if measure == "dibels8_composite" else 0.8
        z_measure = loading * merged["z"] + np.sqrt(1 - loading**2) * rng.normal(0, 1, n)
        score = np.full(n, np.nan)
        level = np.full(n, -1)
        for form_grade, measures in DIBELS_MEASURES_BY_GRADE.items():
            if measure not in measures:
                continue
            for window in range(3):
                at = np.flatnonzero((merged["form"] == form_grade) & (merged["window"] == window))
                key = anchors[(measure, form_grade, window)]
                raw = dibels_score(measure, key, z_measure[at])
                # Scores are whole (Maze: half) points below the continuous value, so a score reaches
                # a band exactly when the value does.
                rounded = np.floor(raw * 2) / 2 if measure in _HALF_POINT_MEASURES else np.floor(raw)
                score[at] = rounded
                level[at] = dibels_level(key, rounded)
        given = ~np.isnan(score)
        percentile = np.where(given, np.clip(np.rint(100 * ndtr(z_measure)), 1, 99), np.nan)
        scores[measure] = {"score": score, "percentile": percentile, "level": level}
    return merged, scores


def _optional(values: np.ndarray, given: np.ndarray, halves: bool = False) -> pa.Array:
    filled = np.where(given, values, 0)
    text = csvtext.halves(filled) if halves else csvtext.integers(np.rint(filled))
    return pc.if_else(pa.array(given), text, "")


def write_year(
    district: District, plan: YearPlan, anchors: dict, landing: Path, rng: np.random.Generator
) -> tuple[str, pa.Table]:
    """Write the year's benchmark export; return its path under the landing root and its truth rows."""
    events, scores = _simulate(district, plan, anchors, rng)
    enrollment = plan.enrollment
    students, schools, teachers, text = district.students, district.schools, district.teachers, district.text
    student = enrollment.student[events["row"]]
    order = np.lexsort((students.local_id[student], events["school"], events["window"]))
    events = {key: value[order] for key, value in events.items()}
    scores = {m: {k: v[order] for k, v in parts.items()} for m, parts in scores.items()}
    student = student[order]
    n = len(order)
    rows = events["row"]
    grade = enrollment.grade[rows]
    school = events["school"]
    day = events["day"]

    moved_in = enrollment.is_mover[rows] & (day >= enrollment.move_date[rows])
    enrolled_since = np.where(moved_in, enrollment.move_date[rows], enrollment.calendar.first_day)
    teacher = teachers.of[school, grade]
    teacher_name = np.char.add(np.char.add(np.char.upper(teachers.last_name.astype(str)), ", "), np.char.upper(teachers.first_name.astype(str)))
    meal = np.where(students.is_econ[student], np.where(students.state_id[student] % 6 == 0, 1, 0), 2)
    sync_day = day + (rng.random(n) < 0.1)

    cells: dict[str, csvtext.Column] = {
        "School Year": plan.label,
        "Account Name": district.config.name,
        "District Name": district.config.name,
        "District Primary ID": district.config.state_district_id,
        "School Name": csvtext.lookup(schools.name, school),
        "Primary School ID": csvtext.lookup(schools.school_id, school),
        "Student Last Name": StudentText.take(text.last_name, student),
        "Student First Name": StudentText.take(text.first_name, student),
        "Student Middle Name": StudentText.take(text.middle_name, student),
        "Enrollment Date": csvtext.dates(enrolled_since, "%Y-%m-%d"),
        "Enrollment Grade": csvtext.lookup(GRADE_TEXT, grade),
        "Date of Birth": csvtext.dates(students.birth_date[student], "%Y-%m-%d"),
        "Gender": csvtext.lookup(("M", "F"), students.is_female[student].astype(np.int64)),
        "Race": csvtext.lookup(RACE_CODES, students.race[student]),
        "Special Education": csvtext.lookup(("N", "Y"), students.has_disability[student].astype(np.int64)),
        "Economically Disadvantaged": csvtext.lookup(("N", "Y"), students.is_econ[student].astype(np.int64)),
        "Meal Status": csvtext.lookup(("Free", "Reduced", "Paid"), meal),
        "ELL Status": csvtext.lookup(("N", "Y"), students.is_el[student].astype(np.int64)),
        "Home Language": csvtext.lookup(LANGUAGE_CODES, students.home_language[student]),
        "Classed": "Y",
        "Reporting Class Name": csvtext.lookup([class_title(g) for g in range(9)], grade),
        "Reporting Class ID": csvtext.lookup(class_sourced_ids(schools, plan.school_year), school * 9 + grade),
        "Official Teacher Name": csvtext.lookup(teacher_name, teacher),
        "Official Teacher Staff ID": csvtext.lookup(teachers.staff_id, teacher),
        "Assessing Teacher Name": csvtext.lookup(teacher_name, teacher),
        "Assessing Teacher Staff ID": csvtext.lookup(teachers.staff_id, teacher),
        "Assessment": "mCLASS",
        "Assessment Edition": "DIBELS 8th Edition",
        "Assessment Grade": csvtext.lookup(GRADE_TEXT, events["form"]),
        "Benchmark Period": csvtext.lookup(DIBELS_PERIODS, events["window"]),
        "Client Date": csvtext.dates(day, "%Y-%m-%d"),
        "Sync Date": csvtext.dates(sync_day, "%Y-%m-%d"),
        "Student Primary ID": StudentText.take(text.local_id, student),
        "Primary ID - Student ID (State ID)": StudentText.take(text.state_id, student),
        "Administration Type": csvtext.lookup(("Online", "Offline"), (rng.random(n) < 0.3).astype(np.int64)),
    }
    for measure, parts in scores.items():
        level_col, score_col, percentile_col = _columns_for(measure)
        given = parts["level"] >= 0
        cells[level_col] = pc.if_else(
            pa.array(given), csvtext.lookup(DIBELS_LEVELS, np.maximum(parts["level"], 0)), ""
        )
        cells[score_col] = _optional(parts["score"], given, halves=measure in _HALF_POINT_MEASURES)
        cells[percentile_col] = _optional(parts["percentile"], given)
    # Maze adjusted score = correct - incorrect / 2.
    maze = scores["dibels8_maze"]["score"]
    has_maze = ~np.isnan(maze)
    incorrect = np.where(has_maze, rng.integers(0, 5, n), 0)
    correct = np.where(has_maze, np.nan_to_num(maze) + incorrect / 2, 0)
    cells["Correct Responses (Maze) - Score"] = _optional(correct, has_maze, halves=True)
    cells["Incorrect Responses (Maze) - Score"] = _optional(incorrect, has_maze)

    unknown = set(cells) - set(DIBELS8_BENCHMARK_HEADER)
    if unknown:
        raise AssertionError(f"columns not in the DIBELS 8 benchmark header: {sorted(unknown)}")

    path = f"mclass/{file_name(plan)}"
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        sink.write(csvtext.UTF8_BOM)
        sink.write(csvtext.header_line(DIBELS8_BENCHMARK_HEADER, "\r\n"))
        csvtext.write_rows(sink, [cells.get(c, "") for c in DIBELS8_BENCHMARK_HEADER], n, quote_all=False, eol="\r\n")

    return path, _truth(path, plan, events, scores, student, students.local_id, schools.school_id, grade)


def _truth(path, plan, events, scores, student, local_ids, school_ids, grade) -> pa.Table:
    """One truth row per measure given in each file row, ordered by file row then measure."""
    parts: dict[str, list[np.ndarray]] = {}
    for position, (measure, values) in enumerate(scores.items()):
        at = np.flatnonzero(values["level"] >= 0)
        for key, value in (
            ("line", at + 2),
            ("measure", np.full(len(at), position)),
            ("score", values["score"][at]),
            ("percentile", values["percentile"][at]),
            ("level", values["level"][at]),
        ):
            parts.setdefault(key, []).append(value)
    merged = {key: np.concatenate(value) for key, value in parts.items()}
    order = np.lexsort((merged["measure"], merged["line"]))
    merged = {key: value[order] for key, value in merged.items()}
    at = merged["line"] - 2
    measure_ids = list(scores)
    n = len(at)
    return pa.table(
        {
            "source_file": csvtext.lookup([path], np.zeros(n, dtype=np.int64)),
            "source_row": pa.array(merged["line"].astype(np.int64)),
            "local_student_id": csvtext.integers(local_ids[student[at]]),
            "school_id": csvtext.lookup(school_ids, events["school"][at]),
            "school_year": pa.array(np.full(n, plan.school_year, dtype=np.int64)),
            "window_name": csvtext.lookup(WINDOW_NAMES, events["window"][at]),
            "assessment_date": pa.array(events["day"][at].astype("datetime64[D]")).cast(pa.date32()),
            "enrolled_grade": pa.array(grade[at].astype(np.int64)),
            "instructional_grade": pa.array(events["form"][at].astype(np.int64)),
            "measure_id": csvtext.lookup(measure_ids, merged["measure"]),
            "scale_score": pa.array(merged["score"].astype(np.float64)),
            "percentile": pa.array(merged["percentile"].astype(np.int64)),
            "is_retest": pa.array(np.zeros(n, dtype=bool)),
            "performance_level": csvtext.lookup(DIBELS_LEVELS, merged["level"]),
        },
        schema=TRUTH_RESULT_SCHEMA,
    )
