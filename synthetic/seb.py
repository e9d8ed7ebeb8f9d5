"""Social-emotional-behavioural screeners of the last school year: FastBridge SAEBRS (teacher form)
in one school, the SRSS-IE teacher rating sheet in another and DESSA-mini ratings in a third
(schools taken modulo the number of schools), each in fall, winter and spring.

Every score follows one latent SEB trait per student (national z-score, loosely tied to reading
and lower with a disability), plus a little noise per occasion and per item, and stays inside the
measure's scale in config/measures.csv.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr

from ingestion.formats.seb import (
    DESSA_MINI_HEADER,
    SAEBRS_MEASURES,
    SAEBRS_TEACHER_HEADER,
    SEASONS,
    SRSS_E_ITEMS,
    SRSS_I_ITEMS,
    SRSS_IE_HEADER,
    saebrs_column,
    saebrs_score_column,
)

from . import csvtext
from .calendar import WINDOW_NAMES
from .context import GRADE_TEXT, TRUTH_RESULT_SCHEMA, District, SourceFile, StudentText, YearPlan

# Screening ranges (month, day) per window: a few weeks into each configured window, once
# teachers know their students.
SEB_TESTING = (((9, 22), (10, 16)), ((1, 12), (2, 6)), ((4, 27), (5, 21)))
OCCASION_NOISE = 0.35
# How strongly the SEB trait follows reading achievement, and the shift with a disability.
READING_LOADING = 0.3
DISABILITY_SHIFT = -0.35

FASTBRIDGE_GRADE_TEXT = ("Kindergarten", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight")
SAEBRS_ITEMS = {None: 19, "Social": 6, "Academic": 6, "Emotional": 7}
# National norm of the teacher-form total behaviour score the percentiles are read from.
SAEBRS_NORM_MEAN = 41.0
SAEBRS_NORM_SD = 11.0
SAEBRS_RISK_CODES = ("highRisk", "someRisk", "lowRisk")
SAEBRS_LEVELS = ("High Risk", "Some Risk", "Low Risk")

SRSS_LEVELS = ("Low Risk", "Moderate Risk", "High Risk")
# Item thresholds on the item's latent value: 0 (never), 1 (occasionally), 2 (sometimes), 3 (frequently).
SRSS_ITEM_THRESHOLDS = (1.05, 1.75, 2.4)

DESSA_LEVELS = ("Need for Instruction", "Typical", "Strength")
DESSA_T_RANGE = (28, 72)


def seb_trait(district: District, rng: np.random.Generator) -> np.ndarray:
    """The latent SEB trait of every student of the district (national z-score)."""
    students = district.students
    noise = rng.normal(0.0, 1.0, students.count)
    return (
        READING_LOADING * students.reading
        + DISABILITY_SHIFT * students.has_disability
        + np.sqrt(1 - READING_LOADING**2) * noise
    )


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    """The year's SEB screener files (last school year only)."""
    if not district.school_years or plan.school_year != district.school_years[-1]:
        return []
    trait = seb_trait(district, rng)
    count = district.schools.count
    return [
        _write_saebrs(district, plan, landing, rng, 0 % count, trait),
        _write_srss_ie(district, plan, landing, rng, 1 % count, trait),
        _write_dessa_mini(district, plan, landing, rng, 2 % count, trait),
    ]


def _screenings(
    district: District, plan: YearPlan, rng: np.random.Generator, school: int, trait: np.ndarray
) -> dict[str, np.ndarray]:
    """Each window's screenings of the students at `school` on their screening day, ordered by
    window then local ID: enrolled row, window, day and the trait on that occasion."""
    enrollment = plan.enrollment
    parts: dict[str, list[np.ndarray]] = {}
    for window, days in enumerate(enrollment.calendar.testing_days(SEB_TESTING)):
        rows = np.flatnonzero(plan.tested[window])
        day = days[rng.integers(0, len(days), len(rows))]
        here = enrollment.school_on(rows, day) == school
        rows, day = rows[here], day[here]
        z = trait[enrollment.student[rows]] + rng.normal(0.0, OCCASION_NOISE, len(rows))
        for key, value in (("row", rows), ("window", np.full(len(rows), window)), ("day", day), ("z", z)):
            parts.setdefault(key, []).append(value)
    merged = {key: np.concatenate(value) for key, value in parts.items()}
    local_id = district.students.local_id[enrollment.student[merged["row"]]]
    order = np.lexsort((local_id, merged["window"]))
    return {key: value[order] for key, value in merged.items()}


def _band(values: np.ndarray, lower_edges: tuple[float, ...]) -> np.ndarray:
    """Index of the band each value falls in, bands starting at the given lower edges (after the first)."""
    return np.searchsorted(np.asarray(lower_edges, dtype=float), values, side="right")


def _optional(values: np.ndarray, given: np.ndarray) -> pa.Array:
    """Whole numbers where given, empty cells elsewhere."""
    return pc.if_else(pa.array(given), csvtext.integers(np.where(given, np.rint(values), 0)), "")


def _decimals(values: np.ndarray, given: np.ndarray, digits: int) -> pa.Array:
    """Numbers rounded to `digits` decimals (no trailing zeros) where given, empty cells elsewhere."""
    rounded = np.round(np.where(given, values, 0.0), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    return pc.if_else(pa.array(given), pc.cast(pa.array(rounded), pa.string()), "")


def _write_csv(landing: Path, path: str, header: tuple[str, ...], cells: dict, n: int, *, quote_all: bool, eol: str) -> None:
    unknown = set(cells) - set(header)
    if unknown:
        raise AssertionError(f"columns not in the {path} header: {sorted(unknown)}")
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        if quote_all:
            sink.write((",".join('"' + c + '"' for c in header) + eol).encode("utf-8"))
        else:
            sink.write(csvtext.header_line(header, eol))
        csvtext.write_rows(sink, [cells.get(c, "") for c in header], n, quote_all=quote_all, eol=eol)


def _truth(path: str, plan: YearPlan, district: District, school: int, parts: dict[str, np.ndarray]) -> pa.Table:
    """Truth rows from per-result arrays: line, row, window, day, grade, measure, score, percentile, level."""
    n = len(parts["line"])
    student = plan.enrollment.student[parts["row"]]
    percentile = parts.get("percentile", np.full(n, np.nan))
    return pa.table(
        {
            "source_file": csvtext.lookup([path], np.zeros(n, dtype=np.int64)),
            "source_row": pa.array(parts["line"].astype(np.int64)),
            "local_student_id": csvtext.integers(district.students.local_id[student]),
            "school_id": csvtext.lookup(district.schools.school_id, np.full(n, school)),
            "school_year": pa.array(np.full(n, plan.school_year, dtype=np.int64)),
            "window_name": csvtext.lookup(WINDOW_NAMES, parts["window"]),
            "assessment_date": pa.array(parts["day"].astype("datetime64[D]")).cast(pa.date32()),
            "enrolled_grade": pa.array(parts["grade"].astype(np.int64)),
            "instructional_grade": pa.array(parts["grade"].astype(np.int64)),
            "measure_id": pa.array(parts["measure"], pa.string()),
            "scale_score": pa.array(parts["score"].astype(np.float64)),
            "percentile": pa.array(np.where(np.isnan(percentile), 0, percentile).astype(np.int64), mask=np.isnan(percentile)),
            "is_retest": pa.array(np.zeros(n, dtype=bool)),
            "performance_level": pa.array(parts["level"], pa.string()),
        },
        schema=TRUTH_RESULT_SCHEMA,
    )


def _write_saebrs(district, plan, landing, rng, school, trait) -> SourceFile:
    """FastBridge SAEBRS teacher screening report: one row per student, a block per season."""
    events = _screenings(district, plan, rng, school, trait)
    enrollment, students, text = plan.enrollment, district.students, district.text
    rows = np.unique(events["row"])
    local_id = students.local_id[enrollment.student[rows]]
    rows = rows[np.argsort(local_id, kind="stable")]
    n = len(rows)
    # (file row, window) grid of the screenings; a student absent from a window has an empty block
    position = np.empty(enrollment.student.shape[0], dtype=np.int64)
    position[rows] = np.arange(n)
    line = position[events["row"]]
    given = np.zeros((n, 3), dtype=bool)
    given[line, events["window"]] = True
    day = np.zeros((n, 3), dtype="datetime64[D]")
    day[line, events["window"]] = events["day"]

    z = np.zeros((n, 3))
    z[line, events["window"]] = events["z"]
    subscale_scores = {}
    for subscale, items in SAEBRS_ITEMS.items():
        if subscale is None:
            continue
        z_sub = 0.85 * z + np.sqrt(1 - 0.85**2) * rng.normal(0.0, 1.0, z.shape)
        subscale_scores[subscale] = np.clip(np.rint(3 * items * ndtr(0.8 + 0.8 * z_sub)), 0, 3 * items)
    total = sum(subscale_scores.values())
    percentile = np.clip(np.rint(100 * ndtr((total - SAEBRS_NORM_MEAN) / SAEBRS_NORM_SD)), 1, 99)
    # bands on the national percentile: high risk below the 3rd, some risk to the 16th
    risk = _band(percentile, (2.5, 16.5))

    student = enrollment.student[rows]
    grade = enrollment.grade[rows]
    cells: dict[str, csvtext.Column] = {
        "Assessment": "SAEBRS Teacher",
        "Assessment Language": "English",
        "District": district.config.name,
        "School": csvtext.lookup(district.schools.name, np.full(n, school)),
        "Local ID": StudentText.take(text.local_id, student),
        "State ID": StudentText.take(text.state_id, student),
        # FastBridge's own student number
        "FAST ID": csvtext.integers(3_400_000 + student),
        "First Name": StudentText.take(text.first_name, student),
        "Last Name": StudentText.take(text.last_name, student),
        "Gender": csvtext.lookup(("Male", "Female"), students.is_female[student].astype(np.int64)),
        "DOB": csvtext.dates(students.birth_date[student], "%m/%d/%Y"),
        "Grade": csvtext.lookup(FASTBRIDGE_GRADE_TEXT, grade),
    }
    for w, season in enumerate(SEASONS):
        has = given[:, w]
        for subscale, items in SAEBRS_ITEMS.items():
            score = total[:, w] if subscale is None else subscale_scores[subscale][:, w]
            cells[saebrs_score_column(season, subscale, "Total Items")] = _optional(np.full(n, items), has)
            cells[saebrs_score_column(season, subscale)] = _optional(score, has)
        school_rank = _school_percentile(total[:, w], has)
        cells[saebrs_column(season, "Percentile at School")] = _decimals(school_rank, has, 5)
        # the district norm needs more schools than screen with SAEBRS: FastBridge writes N/A*
        cells[saebrs_column(season, "Percentile at LEA")] = pc.if_else(pa.array(has), "N/A*", "")
        cells[saebrs_column(season, "Percentile at Nation")] = _optional(percentile[:, w], has)
        cells[saebrs_column(season, "Risk Level")] = pc.if_else(
            pa.array(has), csvtext.lookup(SAEBRS_RISK_CODES, risk[:, w]), ""
        )
        # FastBridge writes dates without leading zeros (2/22/2021)
        dated = np.where(has, day[:, w], day[has, w].min() if has.any() else day[:, w])
        cells[saebrs_column(season, "Final Date")] = pc.if_else(pa.array(has), csvtext.dates(dated, "%-m/%-d/%Y"), "")
        for e, earlier in enumerate(SEASONS[:w]):
            both = has & given[:, e]
            weeks = np.maximum((day[:, w] - day[:, e]).astype(np.int64), 7) / 7
            growth = (total[:, w] - total[:, e]) / weeks
            cells[saebrs_column(season, f"Growth Score from {earlier} to {season}")] = _decimals(growth, both, 8)

    path = f"seb/SAEBRS_Teacher_Screening_Report_{plan.label}.csv"
    _write_csv(landing, path, SAEBRS_TEACHER_HEADER, cells, n, quote_all=True, eol="\n")

    file_row, window = np.nonzero(given)
    measures = list(SAEBRS_MEASURES.items())
    k = len(file_row)
    parts: dict[str, list[np.ndarray]] = {}
    for measure_id, subscale in measures:
        score = total if subscale is None else subscale_scores[subscale]
        for key, value in (
            ("line", file_row + 2),
            ("row", rows[file_row]),
            ("window", window),
            ("day", day[file_row, window]),
            ("grade", grade[file_row]),
            ("measure", np.full(k, measure_id, dtype=object)),
            ("score", score[file_row, window]),
            ("percentile", percentile[file_row, window] if subscale is None else np.full(k, np.nan)),
            ("level", np.array(SAEBRS_LEVELS, dtype=object)[risk[file_row, window]] if subscale is None else np.full(k, None)),
        ):
            parts.setdefault(key, []).append(value)
    merged = {key: np.concatenate(value) for key, value in parts.items()}
    return SourceFile(path, n, _truth(path, plan, district, school, merged))


def _school_percentile(scores: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Percent of the school's screened students scoring below, ties counted half (0-100)."""
    screened = np.sort(scores[given])
    if len(screened) == 0:
        return np.zeros(len(scores))
    below = np.searchsorted(screened, scores, side="left")
    ties = np.searchsorted(screened, scores, side="right") - below
    return 100.0 * (below + ties / 2) / len(screened)


def _srss_items(latent: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """(rows x count) item ratings 0-3 from a latent risk per row."""
    item_latent = 0.75 * latent[:, None] + np.sqrt(1 - 0.75**2) * rng.normal(0.0, 1.0, (len(latent), count))
    return sum((item_latent > t).astype(np.int64) for t in SRSS_ITEM_THRESHOLDS)


def _write_srss_ie(district, plan, landing, rng, school, trait) -> SourceFile:
    """SRSS-IE teacher rating sheet: one row per student and screening."""
    events = _screenings(district, plan, rng, school, trait)
    enrollment, students, text, teachers = plan.enrollment, district.students, district.text, district.teachers
    rows = events["row"]
    n = len(rows)
    student = enrollment.student[rows]
    grade = enrollment.grade[rows]
    z = events["z"]
    externalising = -0.9 * z + np.sqrt(1 - 0.81) * rng.normal(0.0, 1.0, n)
    internalising = -0.7 * z + np.sqrt(1 - 0.49) * rng.normal(0.0, 1.0, n)
    e_items = _srss_items(externalising, len(SRSS_E_ITEMS), rng)
    i_items = _srss_items(internalising, len(SRSS_I_ITEMS), rng)
    secondary = grade >= 6
    e_total = e_items.sum(axis=1)
    # grades 6-12 rate internalising with six items (I6): Peer Rejection counts there too
    i_total = i_items.sum(axis=1) + np.where(secondary, e_items[:, SRSS_E_ITEMS.index("Peer Rejection")], 0)
    e_level = _band(e_total, (3.5, 8.5))
    i_level = np.where(secondary, _band(i_total, (3.5, 5.5)), _band(i_total, (1.5, 3.5)))

    teacher = teachers.of[school, grade]
    teacher_name = np.char.add(np.char.add(teachers.last_name.astype(str), ", "), teachers.first_name.astype(str))
    cells: dict[str, csvtext.Column] = {
        "School Year": plan.label,
        "Screening Period": csvtext.lookup(WINDOW_NAMES, events["window"]),
        "Screening Date": csvtext.dates(events["day"], "%-m/%-d/%Y"),
        "School ID": district.schools.school_id[school],
        "School Name": district.schools.name[school],
        "Teacher ID": csvtext.lookup(teachers.staff_id, teacher),
        "Teacher Name": csvtext.lookup(teacher_name, teacher),
        "Student ID": StudentText.take(text.local_id, student),
        "Student Last Name": StudentText.take(text.last_name, student),
        "Student First Name": StudentText.take(text.first_name, student),
        "Grade": csvtext.lookup(GRADE_TEXT, grade),
        "SRSS-E Total": csvtext.integers(e_total),
        "SRSS-E Risk": csvtext.lookup(SRSS_LEVELS, e_level),
        "SRSS-I Total": csvtext.integers(i_total),
        "SRSS-I Risk": csvtext.lookup(SRSS_LEVELS, i_level),
    }
    for position, item in enumerate(SRSS_E_ITEMS):
        cells[item] = csvtext.integers(e_items[:, position])
    for position, item in enumerate(SRSS_I_ITEMS):
        cells[item] = csvtext.integers(i_items[:, position])

    path = f"seb/SRSS-IE_{district.schools.school_id[school]}_{plan.label}.csv"
    _write_csv(landing, path, SRSS_IE_HEADER, cells, n, quote_all=False, eol="\r\n")

    line = np.arange(n) + 2
    parts = {
        "line": np.concatenate([line, line]),
        "row": np.concatenate([rows, rows]),
        "window": np.concatenate([events["window"]] * 2),
        "day": np.concatenate([events["day"]] * 2),
        "grade": np.concatenate([grade, grade]),
        "measure": np.array(["srss_e"] * n + ["srss_i"] * n, dtype=object),
        "score": np.concatenate([e_total, i_total]).astype(np.float64),
        "level": np.array(SRSS_LEVELS, dtype=object)[np.concatenate([e_level, i_level])],
    }
    return SourceFile(path, n, _truth(path, plan, district, school, parts))


def _write_dessa_mini(district, plan, landing, rng, school, trait) -> SourceFile:
    """DESSA-mini rating export: one row per student and rating."""
    events = _screenings(district, plan, rng, school, trait)
    enrollment, text, teachers = plan.enrollment, district.text, district.teachers
    rows = events["row"]
    n = len(rows)
    student = enrollment.student[rows]
    grade = enrollment.grade[rows]
    low, high = DESSA_T_RANGE
    t_score = np.clip(np.rint(50 + 10 * (0.9 * events["z"] + np.sqrt(1 - 0.81) * rng.normal(0.0, 1.0, n))), low, high)
    # eight items rated 0-4: the raw score rises with the T-score
    raw = np.clip(np.rint((t_score - low) / (high - low) * 32), 0, 32)
    percentile = np.clip(np.rint(100 * ndtr((t_score - 50) / 10)), 1, 99)
    level = _band(t_score, (40.5, 59.5))

    teacher = teachers.of[school, grade]
    rater = np.char.add(np.char.add(teachers.first_name.astype(str), " "), teachers.last_name.astype(str))
    cells: dict[str, csvtext.Column] = {
        "Student ID": StudentText.take(text.local_id, student),
        "Student First Name": StudentText.take(text.first_name, student),
        "Student Last Name": StudentText.take(text.last_name, student),
        "Grade": csvtext.lookup(GRADE_TEXT, grade),
        "Site Name": district.schools.name[school],
        "Rater Name": csvtext.lookup(rater, teacher),
        "Rater Role": "Teacher",
        "Rating Period": csvtext.lookup([f"{w} {plan.label}" for w in WINDOW_NAMES], events["window"]),
        "Rating Date": csvtext.dates(events["day"], "%m/%d/%Y"),
        # one of the four alternate forms per screening, so items differ from one rating to the next
        "Form": csvtext.lookup([f"DESSA-mini Form {i}" for i in (1, 2, 3)], events["window"]),
        "Raw Score": csvtext.integers(raw),
        "T-Score": csvtext.integers(t_score),
        "Percentile": csvtext.integers(percentile),
        "Description": csvtext.lookup(DESSA_LEVELS, level),
    }
    path = f"seb/DESSA-mini_Ratings_{plan.label}.csv"
    _write_csv(landing, path, DESSA_MINI_HEADER, cells, n, quote_all=False, eol="\n")

    parts = {
        "line": np.arange(n) + 2,
        "row": rows,
        "window": events["window"],
        "day": events["day"],
        "grade": grade,
        "measure": np.full(n, "dessa_mini", dtype=object),
        "score": t_score,
        "percentile": percentile,
        "level": np.array(DESSA_LEVELS, dtype=object)[level],
    }
    return SourceFile(path, n, _truth(path, plan, district, school, parts))
