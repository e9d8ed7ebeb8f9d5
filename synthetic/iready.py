"""Curriculum Associates i-Ready Diagnostic results (iready/diagnostic_results_{ela|math}_<YYYY>.csv,
<YYYY> the autumn year as in KIPP's /exports/<region>/<year> folders), written for the last school
year only: three diagnostics (fall, winter, spring) per subject for the K-8 students of an
elementary and a middle school.

i-Ready writes UTF-8 with a byte-order mark, dates as "1/13/2026" and quotes only where needed.
Scale scores (100-800) follow the student's latent ability; the placement cut points and growth
targets approximate the values visible in the public sample exports, not the vendor's tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr

from ingestion.formats.base import alternatives
from ingestion.formats.iready import ELA_DOMAINS, IREADY_ELA_HEADER, IREADY_MATH_HEADER, MATH_DOMAINS

from . import csvtext
from .calendar import WINDOW_NAMES
from .context import GRADE_TEXT, District, SourceFile, StudentText, YearPlan, class_title, latent_z, with_truth_schema

IREADY_TESTING = (((9, 3), (9, 30)), ((1, 7), (1, 30)), ((5, 4), (5, 22)))
SUBJECTS = ("reading", "math")
FILE_SUBJECT = {"reading": "ela", "math": "math"}
MEASURE_ID = {"reading": "iready_reading", "math": "iready_math"}
SCALE = (100, 800)

# Lowest scale score placing a student at each grade level K..12 ("Early <grade>"), plus the top of
# grade 12. A placement's Mid level starts half-way to the next grade, Late three quarters.
GRADE_LEVEL_START = {
    "reading": np.array([350, 420, 480, 515, 545, 568, 597, 635, 655, 672, 686, 700, 712, 725], dtype=float),
    "math": np.array([360, 385, 410, 438, 462, 480, 496, 515, 532, 548, 562, 575, 588, 600], dtype=float),
}
# National spread of scale scores per enrolled grade K..8.
SCALE_SD = {
    "reading": np.array([32, 40, 45, 48, 50, 50, 50, 52, 52], dtype=float),
    "math": np.array([25, 28, 30, 32, 33, 35, 37, 38, 40], dtype=float),
}
# Where the national median stands within the grade level at each window, as a share of the level.
WINDOW_POSITION = (-0.1, 0.25, 0.5)
OCCASION_NOISE = 0.2
# Annual typical and stretch growth (scale points) per grade K..8.
TYPICAL_GROWTH = {
    "reading": np.array([49, 49, 40, 33, 25, 19, 12, 10, 9]),
    "math": np.array([32, 30, 28, 27, 23, 18, 13, 12, 12]),
}
STRETCH_GROWTH = {
    "reading": np.array([67, 67, 64, 63, 45, 36, 26, 24, 22]),
    "math": np.array([39, 42, 43, 43, 34, 31, 25, 28, 31]),
}
RELATIVE_PLACEMENTS = (
    "3 or More Grade Levels Below",
    "2 Grade Levels Below",
    "1 Grade Level Below",
    "Early On Grade Level",
    "Mid or Above Grade Level",
)
NORMING_WINDOWS = (
    "Fall (Beginning of Year - November 15)",
    "Winter (November 16 - March 1)",
    "Spring (March 2 - End of Year)",
)
_GRADE_LEVEL_TEXT = ("K",) + tuple(str(g) for g in range(1, 13))
# Placement text per (placement level + 1) * 4 + sub-level: "Grade N" off grade, Early/Mid/Late on it.
_PLACEMENT_TEXT = ["Emerging K", "Emerging K", "Emerging K", "Emerging K"] + [
    text
    for level in _GRADE_LEVEL_TEXT
    for text in (f"Grade {level}", f"Early {level}", f"Mid {level}", f"Late {level}")
]
RACE_TEXT = (
    "Other",
    "American Indian or Alaska Native",
    "Asian",
    "Black or African American",
    "Native Hawaiian or Other Pacific Islander",
    "White",
    "Two or More Races",
)
# Foundational ELA domains stop being assessed once a student reads past them.
PHONOLOGICAL_AWARENESS_LAST_GRADE = 1
PHONICS_SURPASSED_SCORE = 545
HIGH_FREQUENCY_WORDS_SURPASSED_SCORE = 520


def file_name(plan: YearPlan, subject: str) -> str:
    return f"diagnostic_results_{FILE_SUBJECT[subject]}_{plan.school_year - 1}.csv"


def chosen_schools(district: District) -> np.ndarray:
    """The last elementary school and the first middle school (K-8 between them), or the first school."""
    kind = district.schools.kind
    picks = [np.flatnonzero(kind == k)[i] for k, i in (("elementary", -1), ("middle", 0)) if (kind == k).any()]
    return np.array(picks or [0])


def placement(subject: str, score: np.ndarray, grade: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(placement level -1..12 with -1 = Emerging K, sub-level 0 Grade / 1 Early / 2 Mid / 3 Late,
    relative placement index into RELATIVE_PLACEMENTS) of scale scores for enrolled grades."""
    starts = GRADE_LEVEL_START[subject]
    level = np.minimum(np.searchsorted(starts[:-1], score, side="right") - 1, 12)
    low = starts[np.maximum(level, 0)]
    span = starts[np.maximum(level, 0) + 1] - low
    sub = np.where(score >= low + 0.75 * span, 3, np.where(score >= low + 0.5 * span, 2, 1))
    on_grade = level == grade
    sub = np.where(on_grade, sub, 0)
    relative = np.where(
        (level > grade) | (on_grade & (sub >= 2)), 4, np.where(on_grade, 3, np.maximum(0, 3 - (grade - level)))
    )
    return level, sub, relative


def _placement_text(level: np.ndarray, sub: np.ndarray) -> pa.Array:
    return csvtext.lookup(_PLACEMENT_TEXT, (level + 1) * 4 + sub)


def _simulate(district: District, plan: YearPlan, subject: str, schools: np.ndarray, rng: np.random.Generator):
    """Every diagnostic of the year in one subject at the chosen schools: enrolled row, window, day, school, score."""
    enrollment = plan.enrollment
    parts: dict[str, list[np.ndarray]] = {}
    for window, days in enumerate(enrollment.calendar.testing_days(IREADY_TESTING)):
        rows = np.flatnonzero(plan.tested[window])
        day = days[rng.integers(0, len(days), len(rows))]
        school = enrollment.school_on(rows, day)
        keep = np.isin(school, schools)
        rows, day, school = rows[keep], day[keep], school[keep]
        grade = enrollment.grade[rows]
        z = latent_z(district, plan, rows, subject, window) + rng.normal(0, OCCASION_NOISE, len(rows))
        starts = GRADE_LEVEL_START[subject]
        median = starts[grade] + WINDOW_POSITION[window] * (starts[grade + 1] - starts[grade])
        score = np.clip(np.rint(median + z * SCALE_SD[subject][grade]), *SCALE)
        percentile = np.clip(np.rint(100 * ndtr((score - median) / SCALE_SD[subject][grade])), 1, 99)
        for key, value in (
            ("row", rows), ("window", np.full(len(rows), window)), ("day", day), ("school", school),
            ("score", score), ("percentile", percentile),
        ):
            parts.setdefault(key, []).append(value)
    return {key: np.concatenate(value) for key, value in parts.items()}


def _lexile(score: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Lexile measure and range text: "415L", "315L-465L"; beginning readers "BR400L" (range the same)."""
    value = (np.rint((215 + 4.5 * (score - 424)) / 5) * 5).astype(np.int64)
    beginning = value <= 0
    measure = pc.if_else(
        pa.array(beginning),
        csvtext.join("BR", csvtext.integers(np.clip(-value, 5, 400)), "L"),
        csvtext.join(csvtext.integers(value), "L"),
    )
    low = value - 100
    low_text = pc.if_else(
        pa.array(low > 0),
        csvtext.join(csvtext.integers(low), "L"),
        csvtext.join("BR", csvtext.integers(np.maximum(-low, 5)), "L"),
    )
    ranged = csvtext.join(
        low_text,
        "-",
        csvtext.integers(value + 50),
        "L",
    )
    return measure, pc.if_else(pa.array(beginning), measure, ranged)


def _quantile(score: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Quantile measure and range text: "645Q", "595Q-695Q"; emerging "EM165Q", "EM215Q-EM115Q"."""
    value = (np.rint((275 + 6.1 * (score - 404)) / 5) * 5).astype(np.int64)

    def text(v: np.ndarray) -> pa.Array:
        return pc.if_else(
            pa.array(v <= 0),
            csvtext.join("EM", csvtext.integers(np.maximum(-v, 5)), "Q"),
            csvtext.join(csvtext.integers(v), "Q"),
        )

    return text(value), csvtext.join(text(value - 50), "-", text(value + 50))


def _state_level(percentile: np.ndarray) -> pa.Array:
    return csvtext.lookup(("Level 1", "Level 2", "Level 3", "Level 4"), np.searchsorted([25, 50, 75], percentile, side="right"))


def _write_subject(
    district: District, plan: YearPlan, subject: str, schools: np.ndarray, landing: Path, rng: np.random.Generator
) -> SourceFile:
    events = _simulate(district, plan, subject, schools, rng)
    enrollment, students, text = plan.enrollment, district.students, district.text
    student = enrollment.student[events["row"]]
    order = np.lexsort((events["day"], students.local_id[student]))
    events = {key: value[order] for key, value in events.items()}
    student = student[order]
    n = len(student)
    grade = enrollment.grade[events["row"]]
    score, window, day, school = events["score"], events["window"], events["day"], events["school"]

    # A student's rows are consecutive and in date order: the first is the year's baseline.
    first = np.ones(n, bool)
    first[1:] = student[1:] != student[:-1]
    last = np.ones(n, bool)
    last[:-1] = student[1:] != student[:-1]
    baseline = score[np.maximum.accumulate(np.where(first, np.arange(n), 0))]
    gain = np.where(first, 0, np.maximum(score - baseline, 0))
    typical = TYPICAL_GROWTH[subject][grade]
    stretch = STRETCH_GROWTH[subject][grade]
    starts = GRADE_LEVEL_START[subject]
    mid_on_grade = np.rint((starts[grade] + starts[grade + 1]) / 2)
    level, sub, relative = placement(subject, score, grade)
    # some diagnostics are started on the school day before they are completed
    day_before = np.busday_offset(day, -1, roll="backward", holidays=enrollment.calendar.holidays)
    start_day = np.where(rng.random(n) < 0.15, day_before, day)
    season = np.searchsorted(
        [np.datetime64(f"{plan.school_year - 1}-11-16"), np.datetime64(f"{plan.school_year}-03-02")], day, side="right"
    )
    teachers = district.teachers
    teacher = teachers.of[school, grade]
    teacher_name = np.char.add(np.char.add(teachers.first_name.astype(str), " "), teachers.last_name.astype(str))
    yes_no = ("N", "Y")

    cells: dict[str, csvtext.Column] = {
        "Last Name": StudentText.take(text.last_name, student),
        "First Name": StudentText.take(text.first_name, student),
        "Student ID": StudentText.take(text.local_id, student),
        "Student Grade": csvtext.lookup(GRADE_TEXT, grade),
        "Academic Year": plan.label,
        "School": csvtext.lookup(district.schools.name, school),
        "Enrolled": "Enrolled",
        "District State ID": district.config.state_district_id,
        "Account State ID": district.config.state_district_id,
        "School State ID": csvtext.lookup(district.schools.school_id, school),
        "Student State ID": StudentText.take(text.state_id, student),
        "User Name": csvtext.join("AUTO_", StudentText.take(text.local_id, student)),
        "Sex": csvtext.lookup(("male", "female"), students.is_female[student].astype(np.int64)),
        "Hispanic or Latino": csvtext.lookup(yes_no, (students.race[student] == 0).astype(np.int64)),
        "Race": csvtext.lookup(RACE_TEXT, students.race[student]),
        "English Language Learner": csvtext.lookup(yes_no, students.is_el[student].astype(np.int64)),
        "Special Education": csvtext.lookup(yes_no, students.has_disability[student].astype(np.int64)),
        "Economically Disadvantaged": csvtext.lookup(yes_no, students.is_econ[student].astype(np.int64)),
        "Migrant": "N",
        "Class(es)": csvtext.lookup([class_title(g) for g in range(9)], grade),
        "Class Teacher(s)": csvtext.lookup(teacher_name, teacher),
        "Start Date": csvtext.dates(start_day, "%-m/%-d/%Y"),
        "Completion Date": csvtext.dates(day, "%-m/%-d/%Y"),
        "Norming Window": csvtext.lookup(NORMING_WINDOWS, season),
        "Baseline Diagnostic (Y/N)": csvtext.lookup(yes_no, first.astype(np.int64)),
        "Most Recent Diagnostic YTD (Y/N)": csvtext.lookup(yes_no, last.astype(np.int64)),
        "Duration (min)": csvtext.integers(np.clip(np.rint(rng.normal(48, 15, n)), 12, 110)),
        "Rush Flag": csvtext.lookup(("", "Yellow Rush Flag", "Red Rush Flag"), np.searchsorted([0.96, 0.99], rng.random(n))),
        "Read Aloud": "Off",
        "Overall Scale Score": csvtext.integers(score),
        "Overall Placement": _placement_text(level, sub),
        "Overall Relative Placement": csvtext.lookup(RELATIVE_PLACEMENTS, relative),
        "Percentile": csvtext.integers(events["percentile"]),
        "Grouping": csvtext.integers(relative + 1),
        "Diagnostic Gain": csvtext.integers(gain),
        "Annual Typical Growth Measure": csvtext.integers(typical),
        "Annual Stretch Growth Measure": csvtext.integers(stretch),
        "Percent Progress to Annual Typical Growth (%)": csvtext.integers(np.rint(100 * gain / typical)),
        "Percent Progress to Annual Stretch Growth (%)": csvtext.integers(np.rint(100 * gain / stretch)),
        "Mid On Grade Level Scale Score": csvtext.integers(mid_on_grade),
    }
    domains = ELA_DOMAINS if subject == "reading" else MATH_DOMAINS
    for domain in domains:
        domain_score = np.clip(np.rint(score + rng.normal(0, 14, n)), *SCALE)
        d_level, d_sub, d_relative = placement(subject, domain_score, grade)
        score_text = csvtext.integers(domain_score)
        placement_text = _placement_text(d_level, d_sub)
        relative_text = csvtext.lookup(RELATIVE_PLACEMENTS, d_relative)
        if domain == "Phonological Awareness":
            skipped = pa.array(grade > PHONOLOGICAL_AWARENESS_LAST_GRADE)
            score_text = pc.if_else(skipped, "", score_text)
            placement_text = pc.if_else(skipped, "Not Assessed", placement_text)
            relative_text = pc.if_else(skipped, "Not Assessed", relative_text)
        elif domain in ("Phonics", "High-Frequency Words"):
            cut = PHONICS_SURPASSED_SCORE if domain == "Phonics" else HIGH_FREQUENCY_WORDS_SURPASSED_SCORE
            surpassed = pa.array(score >= cut)
            score_text = pc.if_else(surpassed, "", score_text)
            placement_text = pc.if_else(surpassed, "Surpassed Level", placement_text)
            relative_text = pc.if_else(surpassed, RELATIVE_PLACEMENTS[-1], relative_text)
        cells[f"{domain} Scale Score"] = score_text
        cells[f"{domain} Placement"] = placement_text
        cells[f"{domain} Relative Placement"] = relative_text
    if subject == "reading":
        cells["Lexile Measure"], cells["Lexile Range"] = _lexile(score)
        difficulty = np.where((relative <= 1) | (events["percentile"] < 20), 1, 0)
        cells["Reading Difficulty Indicator (Y/N)"] = csvtext.lookup(
            ("N", "Y", "Not Provided"), np.where(grade <= 3, difficulty, 2)
        )
        header = IREADY_ELA_HEADER
    else:
        cells["Quantile Measure"], cells["Quantile Range"] = _quantile(score)
        spring = pa.array(window == 2)
        percentile = events["percentile"]
        cells["Proficiency if Student Shows No Additional Growth"] = _state_level(percentile)
        cells["Projection if Student Achieves Typical Growth"] = pc.if_else(spring, "", _state_level(percentile + 5))
        cells["Projection if Student Achieves Stretch Growth"] = pc.if_else(spring, "", _state_level(percentile + 15))
        header = IREADY_MATH_HEADER

    columns = [alternatives(c)[0] for c in header]
    unknown = set(cells) - set(columns)
    if unknown:
        raise AssertionError(f"columns not in the i-Ready header: {sorted(unknown)}")
    path = f"iready/{file_name(plan, subject)}"
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        sink.write(csvtext.UTF8_BOM)
        sink.write(csvtext.header_line(columns, "\r\n"))
        csvtext.write_rows(sink, [cells.get(c, "") for c in columns], n, quote_all=False, eol="\r\n")

    truth = pa.table(
        {
            "source_file": csvtext.lookup([path], np.zeros(n, dtype=np.int64)),
            "source_row": pa.array(np.arange(n, dtype=np.int64) + 2),
            "local_student_id": cells["Student ID"],
            "school_id": cells["School State ID"],
            "school_year": pa.array(np.full(n, plan.school_year, dtype=np.int64)),
            "window_name": csvtext.lookup(WINDOW_NAMES, window),
            "assessment_date": pa.array(day.astype("datetime64[D]")).cast(pa.date32()),
            "enrolled_grade": pa.array(grade.astype(np.int64)),
            # the diagnostic is adaptive with no grade form: the grade it records is the enrolled grade
            "instructional_grade": pa.array(grade.astype(np.int64)),
            "measure_id": csvtext.lookup([MEASURE_ID[subject]], np.zeros(n, dtype=np.int64)),
            "scale_score": pa.array(score.astype(np.float64)),
            "percentile": pa.array(events["percentile"].astype(np.int64)),
            "is_retest": pa.array(np.zeros(n, dtype=bool)),
            "performance_level": cells["Overall Relative Placement"],
        }
    )
    return SourceFile(path, n, with_truth_schema(truth))


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    """The ELA and math diagnostic results of the last school year; nothing for earlier years."""
    if plan.school_year != district.school_years[-1]:
        return []
    schools = chosen_schools(district)
    return [_write_subject(district, plan, subject, schools, landing, rng) for subject in SUBJECTS]
