"""FastBridge exports for the last school year at one elementary school: the CBMreading (grades
1-8), aReading (2-8) and aMath (K-8) screening reports, one wide row per screened student with a
block per season, and the CBMreading progress-monitoring report: weekly probes, from October to
May, for the lowest-scoring tenth of the students screened in CBMreading in the fall, each growing
along a straight line.

Scores follow the student's latent ability: CBMreading around the national oral reading fluency
medians (Hasbrouck & Tindal 2017), aReading and aMath around medians read off the public sample
exports. The risk level follows the national percentile (high risk below 15, some risk below 40,
advanced from 75), which is how the published samples line up; each measure writes the advanced
code its descriptor set in config/descriptor_sets.csv names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr

from ingestion.formats.fastbridge import (
    AMATH_HEADER,
    AREADING_HEADER,
    CBMREADING,
    CBMR_PASSAGE_PARTS,
    CBMREADING_HEADER,
    PROGRESS_MONITORING_HEADER,
)

from . import csvtext
from .calendar import WINDOW_NAMES
from .context import District, SourceFile, StudentText, YearPlan, latent_z, with_truth_schema

FASTBRIDGE_TESTING = (((9, 8), (9, 30)), ((1, 12), (2, 6)), ((5, 4), (5, 22)))
GRADE_WORDS = ("Kindergarten", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight")
RACE_TEXT = (
    "Hispanic/Latino",
    "American Indian or Alaska Native",
    "Asian",
    "Black or African American",
    "Native Hawaiian or Other Pacific Islander",
    "White",
    "Multi-Racial",
)


@dataclass(frozen=True, eq=False)
class Screening:
    """One screening assessment: what the report writes and how its scores are drawn.

    `medians` and `sds` are per grade K..8 and window (fall, winter, spring); `decimals` is how
    the score is written (CBMreading whole words, aReading/aMath the theta to five decimals);
    `linked` gives the Lexile / Quantile columns of the adaptive tests: (column suffix, measure
    at `at`, score `at`, measure units per score point, unit letter, prefix below zero).
    """

    measure_id: str
    assessment: str
    score_column: str
    subject: str
    grades: range
    header: tuple[str, ...]
    advanced: str  # the code the report writes for the advanced band
    medians: np.ndarray
    sds: np.ndarray
    scale: tuple[float, float]
    decimals: int
    linked: tuple | None


ASSESSMENTS = (
    Screening(
        "fastbridge_cbmreading", CBMREADING, "Median WRC", "reading", range(1, 9), CBMREADING_HEADER, "AD",
        medians=np.array([[10, 18, 30], [18, 32, 58], [50, 84, 100], [83, 97, 112], [94, 120, 133],
                          [121, 133, 146], [132, 145, 146], [128, 136, 150], [133, 146, 151]], dtype=float),
        sds=np.array([[10, 12, 18], [14, 24, 32], [36, 38, 38], [38, 38, 40], [38, 40, 40],
                      [40, 40, 40], [40, 40, 40], [40, 40, 40], [40, 40, 40]], dtype=float),
        scale=(0, 300), decimals=0, linked=None,
    ),
    Screening(
        "fastbridge_areading", "aReading", "Test Theta", "reading", range(2, 9), AREADING_HEADER, "LI",
        medians=np.array([[400, 415, 425], [435, 450, 462], [474, 484, 492], [490, 498, 505], [506, 512, 518],
                          [518, 523, 528], [525, 529, 533], [531, 535, 538], [538, 541, 544]], dtype=float),
        sds=np.full((9, 3), 28.0),
        scale=(350, 750), decimals=5, linked=("Lexile", 115, 471.5, 15.5, "L", "BR"),
    ),
    Screening(
        "fastbridge_amath", "aMath", "Test Theta", "math", range(0, 9), AMATH_HEADER, "AV",
        medians=np.array([[170, 177, 183], [183, 189, 194], [193, 198, 202], [201, 205, 209], [207, 211, 214],
                          [212, 215, 218], [216, 218, 220], [219, 221, 223], [221, 223, 225]], dtype=float),
        sds=np.full((9, 3), 9.0),
        scale=(145, 275), decimals=5, linked=("Quantile", 235, 205.2, 33.0, "Q", "EM"),
    ),
)
RISK_PERCENTILES = (15, 40, 75)
OCCASION_NOISE = 0.2
SMALL_GROUP = 10  # local percentiles are "N/A*" for fewer students
PM_SHARE = 0.10
PM_FIRST_WEEK = (10, 6)
PM_LAST_DAY = (5, 29)
PM_ATTENDANCE = 0.92
PM_NOISE_WRC = 7.0
# Weekly words-correct growth per grade K..8: realistic (trajectory) and ambitious (goal), after
# Fuchs et al. (1993) as commonly quoted.
REALISTIC_ROI = np.array([1.5, 2.0, 1.5, 1.0, 0.85, 0.5, 0.3, 0.3, 0.3])
AMBITIOUS_ROI = np.array([2.0, 3.0, 2.0, 1.5, 1.1, 0.8, 0.65, 0.65, 0.65])


def chosen_school(district: District) -> int:
    """The first elementary school, or the first school."""
    elementary = np.flatnonzero(district.schools.kind == "elementary")
    return int(elementary[0]) if len(elementary) else 0


def _export_day(plan: YearPlan) -> np.datetime64:
    return np.busday_offset(np.datetime64(f"{plan.school_year}-06-10"), 0, roll="forward")


def report_name(stem: str, plan: YearPlan, report_id: int) -> str:
    day = str(_export_day(plan))
    return f"{stem}_{day[5:7]}_{day[8:10]}_{day[:4]}_{report_id}.csv"


def _decimal_text(values: np.ndarray, decimals: int) -> pa.Array:
    if decimals == 0:
        return csvtext.integers(np.rint(values))
    return pc.cast(pa.array(np.round(np.asarray(values, dtype=float), decimals)), pa.string())


def _optional(values: np.ndarray, given: np.ndarray, decimals: int = 0) -> pa.Array:
    return pc.if_else(pa.array(given), _decimal_text(np.where(given, values, 0), decimals), "")


def _simulate(district: District, plan: YearPlan, screening: Screening, school: int, rng: np.random.Generator):
    """Every screening of one assessment at the school: enrolled row, window, day, score, percentile."""
    enrollment = plan.enrollment
    low, high = screening.scale
    parts: dict[str, list[np.ndarray]] = {}
    for window, days in enumerate(enrollment.calendar.testing_days(FASTBRIDGE_TESTING)):
        rows = np.flatnonzero(plan.tested[window] & np.isin(enrollment.grade, list(screening.grades)))
        day = days[rng.integers(0, len(days), len(rows))]
        keep = enrollment.school_on(rows, day) == school
        rows, day = rows[keep], day[keep]
        grade = enrollment.grade[rows]
        median, sd = screening.medians[grade, window], screening.sds[grade, window]
        z = latent_z(district, plan, rows, screening.subject, window) + rng.normal(0, OCCASION_NOISE, len(rows))
        raw = median + z * sd
        score = np.clip(np.rint(raw) if screening.decimals == 0 else np.round(raw, screening.decimals), low, high)
        percentile = np.clip(np.rint(100 * ndtr((score - median) / sd)), 1, 99).astype(np.int64)
        for key, value in (
            ("row", rows), ("window", np.full(len(rows), window)), ("day", day), ("score", score),
            ("percentile", percentile),
        ):
            parts.setdefault(key, []).append(value)
    return {key: np.concatenate(value) for key, value in parts.items()}


def _local_percentiles(score: np.ndarray, grade: np.ndarray, window: np.ndarray) -> pa.Array:
    """Percent rank within the school's grade and season, "N/A*" for small groups."""
    frame = pd.DataFrame({"score": score, "grade": grade, "window": window})
    grouped = frame.groupby(["grade", "window"])["score"]
    rank = grouped.rank(pct=True, method="average").to_numpy() * 100
    small = grouped.transform("size").to_numpy() < SMALL_GROUP
    return pc.if_else(pa.array(small), "N/A*", _decimal_text(rank, 5))


def _risk_text(screening: Screening, percentile: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    levels = ("highRisk", "someRisk", "lowRisk", screening.advanced)
    return levels, np.searchsorted(RISK_PERCENTILES, percentile, side="right")


def _linked_text(screening: Screening, score: np.ndarray) -> pa.Array:
    _, intercept, at, slope, unit, below = screening.linked
    value = (np.rint((intercept + slope * (score - at)) / 5) * 5).astype(np.int64)
    return pc.if_else(
        pa.array(value <= 0),
        csvtext.join(below, csvtext.integers(np.clip(-value, 5, 1000)), unit),
        csvtext.join(csvtext.integers(value), unit),
    )


def _write_screening(district, plan, screening: Screening, school: int, report_id: int, landing: Path, rng):
    """Write one screening report; return its SourceFile and the fall scores (for progress monitoring)."""
    events = _simulate(district, plan, screening, school, rng)
    enrollment, students, text = plan.enrollment, district.students, district.text
    rows = np.unique(events["row"])
    rows = rows[np.argsort(students.local_id[enrollment.student[rows]], kind="stable")]
    line = np.empty(enrollment.student.shape[0], dtype=np.int64)
    line[rows] = np.arange(len(rows))
    event_line = line[events["row"]]
    n = len(rows)
    student = enrollment.student[rows]
    grade = enrollment.grade[rows]

    cells: dict[str, csvtext.Column] = {
        "Assessment": screening.assessment,
        "Assessment Language": "English",
        "District": district.config.name,
        "School": str(district.schools.name[school]),
        "Local ID": StudentText.take(text.local_id, student),
        "State ID": StudentText.take(text.state_id, student),
        "FAST ID": csvtext.integers(4_000_000 + student),
        "First Name": pc.utf8_upper(StudentText.take(text.first_name, student)),
        "Last Name": pc.utf8_upper(StudentText.take(text.last_name, student)),
        "Gender": csvtext.lookup(("Male", "Female"), students.is_female[student].astype(np.int64)),
        "DOB": csvtext.dates(students.birth_date[student], "%Y-%m-%d"),
        "Race": csvtext.lookup(RACE_TEXT, students.race[student]),
        "Special Ed. Status": csvtext.lookup(("General Ed", "Special Ed"), students.has_disability[student].astype(np.int64)),
        "Grade": csvtext.lookup(GRADE_WORDS, grade),
    }
    levels, risk = _risk_text(screening, events["percentile"])
    local = _local_percentiles(events["score"], enrollment.grade[events["row"]], events["window"])
    # one full-length array per statistic, blank where the season was not screened
    per_window: list[dict[str, np.ndarray]] = []
    growth_rate = students.reading_growth if screening.subject == "reading" else students.math_growth
    for window, season in enumerate(WINDOW_NAMES):
        at = np.flatnonzero(events["window"] == window)
        given = np.zeros(n, bool)
        given[event_line[at]] = True

        def spread(values: np.ndarray, fill=0) -> np.ndarray:
            out = np.full(n, fill, dtype=np.asarray(values).dtype)
            out[event_line[at]] = values[at]
            return out

        def spread_text(values: pa.Array) -> pa.Array:
            positions = np.full(n, len(at), dtype=np.int64)
            positions[event_line[at]] = np.arange(len(at))
            return pa.concat_arrays([values.take(pa.array(at)), pa.array([""], pa.string())]).take(pa.array(positions))

        score = spread(events["score"]).astype(float)
        day = spread(events["day"], enrollment.calendar.first_day)
        percentile = spread(events["percentile"])
        prefix = f"{season} {screening.assessment}"
        cells[f"{prefix} {screening.score_column}"] = _optional(score, given, screening.decimals)
        # CBMreading writes whole percentiles, the adaptive tests one decimal ("10.0")
        national = csvtext.integers(percentile) if screening.linked is None else csvtext.join(csvtext.integers(percentile), ".0")
        cells[f"{prefix} Percentile at Nation"] = pc.if_else(pa.array(given), national, "")
        cells[f"{prefix} Percentile at School"] = spread_text(local)
        cells[f"{prefix} Percentile at LEA"] = spread_text(local)
        cells[f"{prefix} Risk Level"] = spread_text(csvtext.lookup(levels, risk))
        cells[f"{prefix} Final Date"] = pc.if_else(pa.array(given), csvtext.dates(day, "%-m/%-d/%Y"), "")
        if screening.linked is None:
            _cbmreading_passages(cells, prefix, score, given, percentile, rng)
        else:
            cells[f"{season} {screening.linked[0]}"] = pc.if_else(pa.array(given), _linked_text(screening, score), "")
        per_window.append({"given": given, "score": score, "day": day})
        for earlier in range(window):
            before = per_window[earlier]
            both = before["given"] & given
            weeks = np.maximum((day - before["day"]).astype(np.int64), 1) / 7
            growth = np.where(both, (score - before["score"]) / weeks, 0)
            national_growth = np.clip(np.rint(100 * ndtr((growth_rate[student] - 1) / 0.3 + rng.normal(0, 0.5, n))), 1, 99)
            between = f"from {WINDOW_NAMES[earlier]} to {season}"
            cells[f"Growth Score {between}"] = _optional(growth, both, 5)
            cells[f"National Growth Percentile {between}"] = _optional(national_growth, both)

    header = screening.header
    unknown = set(cells) - set(header)
    if unknown:
        raise AssertionError(f"columns not in the FastBridge {screening.assessment} header: {sorted(unknown)}")
    path = f"fastbridge/{report_name(f'{screening.assessment}_Screening_Report', plan, report_id)}"
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        sink.write(csvtext.header_line(header, "\r\n"))
        csvtext.write_rows(sink, [cells.get(c, "") for c in header], n, quote_all=False, eol="\r\n")

    # truth: one row per season given, in file row order then season order
    order = np.lexsort((events["window"], event_line))
    m = len(order)
    truth = pa.table(
        {
            "source_file": csvtext.lookup([path], np.zeros(m, dtype=np.int64)),
            "source_row": pa.array(event_line[order] + 2),
            "local_student_id": StudentText.take(text.local_id, enrollment.student[events["row"][order]]),
            "school_id": csvtext.lookup([str(district.schools.school_id[school])], np.zeros(m, dtype=np.int64)),
            "school_year": pa.array(np.full(m, plan.school_year, dtype=np.int64)),
            "window_name": csvtext.lookup(WINDOW_NAMES, events["window"][order]),
            "assessment_date": pa.array(events["day"][order].astype("datetime64[D]")).cast(pa.date32()),
            "enrolled_grade": pa.array(enrollment.grade[events["row"][order]].astype(np.int64)),
            "instructional_grade": pa.array(enrollment.grade[events["row"][order]].astype(np.int64)),
            "measure_id": csvtext.lookup([screening.measure_id], np.zeros(m, dtype=np.int64)),
            "scale_score": pa.array(events["score"][order].astype(np.float64)),
            "percentile": pa.array(events["percentile"][order]),
            "is_retest": pa.array(np.zeros(m, dtype=bool)),
            "performance_level": csvtext.lookup(levels, risk[order]),
        }
    )
    fall = events["window"] == 0
    fall_scores = {key: events[key][fall] for key in ("row", "score", "percentile", "day")}
    return SourceFile(path, n, with_truth_schema(truth)), fall_scores


def _cbmreading_passages(cells, prefix, median, given, percentile, rng) -> None:
    """Three one-minute passages whose median is the score, with errors that fall as skill rises."""
    n = len(median)
    spread = rng.integers(0, 13, (n, 2))
    wrc = np.stack([median + spread[:, 0], median, np.maximum(median - spread[:, 1], 0)], axis=1)
    wrc = rng.permuted(wrc, axis=1)
    errors = rng.poisson(2 + 8 * (1 - percentile / 100)[:, None], (n, 3))
    total = wrc + errors
    accuracy = np.where(total > 0, np.rint(100 * wrc / np.maximum(total, 1)), 0)
    for p in range(3):
        parts = dict(zip(CBMR_PASSAGE_PARTS, (total[:, p], wrc[:, p], wrc[:, p], accuracy[:, p])))
        for part, values in parts.items():
            cells[f"{prefix} - (Passage {p + 1}) {part}"] = _optional(values, given)
    cells[f"{prefix} Median Accuracy"] = _optional(np.median(accuracy, axis=1), given)
    cells[f"{prefix} Median Error"] = _optional(np.median(errors, axis=1), given)


def _write_progress_monitoring(district, plan, school: int, fall: dict, report_id: int, landing: Path, rng) -> SourceFile:
    """Weekly CBMreading probes for the lowest tenth of the fall screening, along straight lines."""
    enrollment, students, text, calendar = plan.enrollment, district.students, district.text, plan.enrollment.calendar
    picked = np.argsort(fall["percentile"] * 1000 + fall["score"], kind="stable")[: max(1, round(PM_SHARE * len(fall["row"])))]
    rows, baseline = fall["row"][picked], fall["score"][picked]
    k = len(rows)
    grade = enrollment.grade[rows]
    student = enrollment.student[rows]
    month, day_of_month = PM_FIRST_WEEK
    first_week = np.busday_offset(
        np.datetime64(f"{plan.school_year - 1}-{month:02d}-{day_of_month:02d}"), 0, roll="forward", weekmask="Mon"
    )
    last_day = np.datetime64(f"{plan.school_year}-{PM_LAST_DAY[0]:02d}-{PM_LAST_DAY[1]:02d}")
    weeks = np.arange(first_week, last_day, 7)
    weekday = rng.integers(0, 4, k)
    planned = weeks[None, :] + weekday[:, None]  # (students, weeks)
    who = np.repeat(np.arange(k), len(weeks))
    day = planned.ravel()
    week = np.tile(np.arange(len(weeks)), k)
    keep = (
        np.is_busday(day, holidays=calendar.holidays)
        & (day <= calendar.last_day)
        & (enrollment.school_on(rows[who], day) == school)
        & (rng.random(len(day)) < PM_ATTENDANCE)
    )
    who, day, week = who[keep], day[keep], week[keep]
    slope = REALISTIC_ROI[grade] * np.clip(students.reading_growth[student] + rng.normal(0, 0.3, k), 0.1, 2.5)
    score = np.clip(np.rint(baseline[who] + slope[who] * (week + 1) + rng.normal(0, PM_NOISE_WRC, len(who))), 0, 300)
    end_goal = np.rint(baseline + AMBITIOUS_ROI[grade] * len(weeks))
    passage_level = np.maximum(grade - students.grades_below[student], 1)
    m = len(who)
    s = student[who]
    cells: dict[str, csvtext.Column] = {
        "Assessment": "CBM-R",
        "District": district.config.name,
        "School": str(district.schools.name[school]),
        "Student Id": StudentText.take(text.local_id, s),
        "Student State Id": StudentText.take(text.state_id, s),
        "Fast ID": csvtext.integers(4_000_000 + s),
        "First Name": StudentText.take(text.first_name, s),
        "Last Name": StudentText.take(text.last_name, s),
        "Gender": csvtext.lookup(("Male", "Female"), students.is_female[s].astype(np.int64)),
        "BirthDate": csvtext.dates(students.birth_date[s], "%m/%d/%Y"),
        "Race": csvtext.lookup(RACE_TEXT, students.race[s]),
        "Grade": csvtext.integers(grade[who]),
        "AssessmentDate": csvtext.dates(day, "%m/%d/%Y"),
        "ScoreMetric": "WRC per minute",
        "Score": csvtext.integers(score),
        "Start Goal": csvtext.integers(baseline[who]),
        "End Goal": csvtext.integers(end_goal[who]),
        "Goal Start Date": csvtext.dates(planned[who, 0], "%m/%d/%Y"),
        "Goal End Date": csvtext.dates(planned[who, -1], "%m/%d/%Y"),
        "Assessment Level": csvtext.integers(passage_level[who]),
    }
    unknown = set(cells) - set(PROGRESS_MONITORING_HEADER)
    if unknown:
        raise AssertionError(f"columns not in the FastBridge progress-monitoring header: {sorted(unknown)}")
    order = np.lexsort((day, students.local_id[s]))
    columns = [cells.get(c, "") for c in PROGRESS_MONITORING_HEADER]
    columns = [c if isinstance(c, str) else c.take(pa.array(order)) for c in columns]
    path = f"fastbridge/{report_name('CBMR-English_Progress_Monitoring_Report', plan, report_id)}"
    target = landing / path
    with open(target, "wb") as sink:
        sink.write(csvtext.header_line(PROGRESS_MONITORING_HEADER, "\r\n"))
        csvtext.write_rows(sink, columns, m, quote_all=False, eol="\r\n")
    return SourceFile(path, m, None)


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    """The screening reports and the progress-monitoring report of the last school year."""
    if plan.school_year != district.school_years[-1]:
        return []
    school = chosen_school(district)
    out = []
    fall_cbmreading = None
    for position, screening in enumerate(ASSESSMENTS):
        written, fall = _write_screening(district, plan, screening, school, 330_100 + position, landing, rng)
        out.append(written)
        if screening.measure_id == "fastbridge_cbmreading":
            fall_cbmreading = fall
    if fall_cbmreading is not None and len(fall_cbmreading["row"]):
        out.append(_write_progress_monitoring(district, plan, school, fall_cbmreading, 330_200, landing, rng))
    return out
