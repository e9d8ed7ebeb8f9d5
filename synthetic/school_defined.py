"""School-defined files of the last school year (docs/school-defined-format.md):

- school measures for one school: a workbook (XLSX) of writing portfolio ratings and phonics
  checks, and a CSV of standardised reading scores with percentile ranks;
- an objective markbook for kindergarten to grade 2 in one school, reading judged on one
  descriptor set (emerging_developing_secure) and mathematics on another (below_meeting_above);
- tier 2 and tier 3 reading interventions for the students with the lowest fall reading, each
  with a goal on the measure monitored;
- behaviour incidents, most of them from a few students, plus a few class-wide days.

Only the school measures are assessment results with truth rows; the records have none.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr

from ingestion.formats.school_defined import (
    GOALS_HEADER,
    INCIDENTS_HEADER,
    INTERVENTIONS_HEADER,
    MARKBOOK_HEADER,
    SCHOOL_MEASURES_HEADER,
)

from . import csvtext
from .calendar import WINDOW_NAMES
from .context import TRUTH_RESULT_SCHEMA, District, SourceFile, YearPlan, class_sourced_ids, latent_z

# Assessment ranges (month, day) per window for the school's own assessments.
SCHOOL_ASSESSMENT_DAYS = (((10, 1), (10, 31)), ((1, 20), (2, 13)), ((5, 4), (5, 29)))

PORTFOLIO_LEVELS = ("Emerging", "Developing", "Secure", "Mastery")
PORTFOLIO_GRADES = (1, 5)
PHONICS_PASS_MARK = 32
STANDARD_SCORE_RANGE = (55, 145)
# Band lower edges of the demo cut scores (config/cut_scores.csv): Below, Meeting, Above.
STANDARD_SCORE_EDGES = (84.5, 115.5)

# Objectives per grade (K-2): (objective_id, description); reading on emerging_developing_secure,
# mathematics on below_meeting_above.
READING_OBJECTIVES = {
    0: (("RF.K.1d", "Recognise and name all upper- and lowercase letters"),
        ("RF.K.2d", "Isolate and pronounce the sounds in three-phoneme words"),
        ("RF.K.3c", "Read common high-frequency words by sight")),
    1: (("RF.1.2b", "Blend sounds to produce single-syllable words"),
        ("RF.1.3b", "Decode regularly spelled one-syllable words"),
        ("RF.1.4b", "Read grade-level text orally with accuracy, rate and expression")),
    2: (("RF.2.3a", "Distinguish long and short vowels in one-syllable words"),
        ("RF.2.4b", "Read grade-level text orally with accuracy, rate and expression"),
        ("RL.2.1", "Ask and answer who, what, where, when, why and how questions about a text")),
}
MATH_OBJECTIVES = {
    0: (("K.CC.1", "Count to 100 by ones and by tens"),
        ("K.CC.4", "Understand the relationship between numbers and quantities"),
        ("K.OA.5", "Fluently add and subtract within 5")),
    1: (("1.OA.6", "Add and subtract within 20"),
        ("1.NBT.2", "Understand that the two digits of a two-digit number are tens and ones"),
        ("1.MD.1", "Order three objects by length")),
    2: (("2.OA.2", "Fluently add and subtract within 20 using mental strategies"),
        ("2.NBT.5", "Fluently add and subtract within 100"),
        ("2.MD.7", "Tell and write time to the nearest five minutes")),
}
EDS_LEVELS = ("Emerging", "Developing", "Secure", "Mastery")
BMA_LEVELS = ("Below", "Meeting", "Above")
# Markbook judgements: mid-year and end of year.
MARKBOOK_DAYS = (((1, 20), (1, 30)), ((5, 18), (5, 29)))

INTERVENTION_SHARE = 0.12
TIER3_SHARE = 0.04
INTERVENTION_START = ((9, 29), (10, 17))
# Tier 2 students who met their winter benchmark leave the group after winter screening.
TIER2_EXIT_SHARE = 0.3
TIER2_EXIT = ((1, 20), (2, 13))
INTERVENTION_NAMES = {
    (2, 0): "Small-group phonics", (2, 1): "Repeated reading fluency", (2, 2): "Comprehension strategies group",
    (3, 0): "Intensive phonics (1:1)", (3, 1): "Intensive reading (1:3)", (3, 2): "Intensive reading (1:3)",
}
MINUTES_PER_WEEK = {2: (90, 120, 150), 3: (150, 180, 225)}
# Fall oral reading fluency (words correct per minute) median by grade (kindergarten: letter
# naming fluency) and its spread on the log scale; and the ambitious weekly growth used to set
# goals (Fuchs et al. 1993).
ORF_FALL_MEDIAN = np.array([15, 20, 50, 80, 95, 115, 130, 130, 135], dtype=float)
ORF_LOG_SD = 0.45
WEEKLY_GROWTH = np.array([1.5, 3.0, 2.0, 1.5, 1.1, 0.8, 0.65, 0.65, 0.65])

INCIDENTS_PER_STUDENT = 0.35
# Incident-rate heterogeneity: a gamma shape this small puts most incidents on a few students.
INCIDENT_RATE_SHAPE = 0.2
INCIDENT_TYPES = (
    ("Disruption", 0.30, "minor"),
    ("Defiance", 0.20, "minor"),
    ("Inappropriate Language", 0.15, "minor"),
    ("Property Misuse", 0.08, "minor"),
    ("Technology Misuse", 0.07, "minor"),
    ("Physical Aggression", 0.10, "major"),
    ("Fighting", 0.06, "major"),
    ("Bullying", 0.04, "major"),
)
LOCATIONS = (("Classroom", 0.55), ("Playground", 0.15), ("Hallway", 0.1), ("Cafeteria", 0.1), ("Bus", 0.05), ("Restroom", 0.05))
CLASS_WIDE_DAYS = 4
CLASS_WIDE_SHARE = (0.4, 0.7)


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    """The year's school-defined files (last school year only)."""
    if not district.school_years or plan.school_year != district.school_years[-1]:
        return []
    entry = np.flatnonzero(district.schools.low_grade == 0)
    measures_school = int(entry[0]) if len(entry) else 0
    markbook_school = int(entry[1 % len(entry)]) if len(entry) else 0
    interventions = _interventions(district, plan, rng)
    return [
        *_write_school_measures(district, plan, landing, rng, measures_school),
        _write_markbook(district, plan, landing, rng, markbook_school),
        _write_interventions(district, plan, landing, interventions),
        _write_goals(district, plan, landing, interventions),
        _write_incidents(district, plan, landing, rng),
    ]


def _day_in_year(school_year: int, month: int, day: int) -> np.datetime64:
    return np.datetime64(f"{school_year - 1 if month >= 7 else school_year:04d}-{month:02d}-{day:02d}", "D")


def _school_days(plan: YearPlan, span: tuple) -> np.ndarray:
    (m1, d1), (m2, d2) = span
    return plan.enrollment.calendar.school_days(_day_in_year(plan.school_year, m1, d1), _day_in_year(plan.school_year, m2, d2))


def _pick(days: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return days[rng.integers(0, len(days), n)]


def _write_text(landing: Path, path: str, header: tuple[str, ...], cells: dict, n: int) -> None:
    unknown = set(cells) - set(header)
    if unknown:
        raise AssertionError(f"columns not in the {path} header: {sorted(unknown)}")
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        sink.write(csvtext.header_line(header, "\n"))
        csvtext.write_rows(sink, [cells.get(c, "") for c in header], n, quote_all=False, eol="\n")


def _truth(path, plan, district, rows, school, window, day, measure, score, percentile, level) -> pa.Table:
    n = len(rows)
    grade = plan.enrollment.grade[rows].astype(np.int64)
    return pa.table(
        {
            "source_file": csvtext.lookup([path], np.zeros(n, dtype=np.int64)),
            "source_row": pa.array(np.arange(n, dtype=np.int64) + 2),
            "local_student_id": csvtext.integers(district.students.local_id[plan.enrollment.student[rows]]),
            "school_id": csvtext.lookup(district.schools.school_id, np.full(n, school)),
            "school_year": pa.array(np.full(n, plan.school_year, dtype=np.int64)),
            "window_name": csvtext.lookup(WINDOW_NAMES, window),
            "assessment_date": pa.array(day.astype("datetime64[D]")).cast(pa.date32()),
            "enrolled_grade": pa.array(grade),
            "instructional_grade": pa.array(grade),
            "measure_id": pa.array(measure, pa.string()),
            "scale_score": pa.array(score, pa.float64(), mask=np.isnan(score)),
            "percentile": pa.array(np.nan_to_num(percentile).astype(np.int64), mask=np.isnan(percentile)),
            "is_retest": pa.array(np.zeros(n, dtype=bool)),
            "performance_level": pa.array(level, pa.string()),
        },
        schema=TRUTH_RESULT_SCHEMA,
    )


def _append(parts: dict[str, list[np.ndarray]], **columns) -> None:
    for key, value in columns.items():
        parts.setdefault(key, []).append(np.asarray(value))


def _assessed(plan: YearPlan, rng, school: int, window: int, grades: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Enrolled rows of `grades` (inclusive) at `school` on their assessment day in a window, and the days."""
    enrollment = plan.enrollment
    days = _school_days(plan, SCHOOL_ASSESSMENT_DAYS[window])
    rows = np.flatnonzero(plan.tested[window] & (enrollment.grade >= grades[0]) & (enrollment.grade <= grades[1]))
    day = _pick(days, len(rows), rng)
    here = enrollment.school_on(rows, day) == school
    return rows[here], day[here]


def _write_school_measures(district, plan, landing, rng, school) -> list[SourceFile]:
    """A workbook of portfolio ratings and phonics checks, and a CSV of standardised reading."""
    school_id = district.schools.school_id[school]
    parts: dict[str, list[np.ndarray]] = {}
    for window in range(3):
        rows, day = _assessed(plan, rng, school, window, PORTFOLIO_GRADES)
        z = latent_z(district, plan, rows, "reading", window) + rng.normal(0.0, 0.5, len(rows))
        level = np.searchsorted([-0.9, 0.1, 1.2], z - 0.2 + 0.3 * window, side="right")
        n = len(rows)
        _append(parts, row=rows, window=np.full(n, window), day=day, measure=np.full(n, "school_writing_portfolio", dtype=object),
            score=np.full(n, np.nan), level=np.array(PORTFOLIO_LEVELS, dtype=object)[level])
    # the phonics check: grade 1 in winter and spring, kindergarten in spring
    for window, grades in ((1, (1, 1)), (2, (0, 1))):
        rows, day = _assessed(plan, rng, school, window, grades)
        z = latent_z(district, plan, rows, "reading", window)
        kindergarten = plan.enrollment.grade[rows] == 0
        p = ndtr(1.0 + 0.9 * z - 0.7 * kindergarten + 0.3 * (window - 1) + rng.normal(0.0, 0.3, len(rows)))
        score = np.clip(np.rint(40 * p), 0, 40)
        n = len(rows)
        _append(parts, row=rows, window=np.full(n, window), day=day, measure=np.full(n, "school_phonics_check", dtype=object),
            score=score, level=np.where(score >= PHONICS_PASS_MARK, "Meeting", "Below").astype(object))
    merged = {key: np.concatenate(value) for key, value in parts.items()}
    local_id = district.students.local_id[plan.enrollment.student[merged["row"]]]
    order = np.lexsort((local_id, merged["day"], merged["measure"]))
    merged = {key: value[order] for key, value in merged.items()}
    workbook_path = f"school_defined/{school_id}_school_assessments_{plan.label}.xlsx"
    _write_workbook(landing / workbook_path, district, plan, school_id, merged)
    n = len(merged["row"])
    workbook = SourceFile(
        workbook_path,
        n,
        _truth(workbook_path, plan, district, merged["row"], school, merged["window"], merged["day"], merged["measure"],
               merged["score"], np.full(n, np.nan), merged["level"]),
    )

    # standardised reading: grades 2-5 in fall and spring, score and national percentile rank
    parts = {}
    for window in (0, 2):
        rows, day = _assessed(plan, rng, school, window, (2, 5))
        z = latent_z(district, plan, rows, "reading", window)
        low, high = STANDARD_SCORE_RANGE
        score = np.clip(np.rint(100 + 15 * (0.9 * z + np.sqrt(1 - 0.81) * rng.normal(0.0, 1.0, len(rows)))), low, high)
        _append(parts, row=rows, window=np.full(len(rows), window), day=day, score=score)
    merged = {key: np.concatenate(value) for key, value in parts.items()}
    local_id = district.students.local_id[plan.enrollment.student[merged["row"]]]
    order = np.lexsort((local_id, merged["day"]))
    merged = {key: value[order] for key, value in merged.items()}
    n = len(merged["row"])
    percentile = np.clip(np.rint(100 * ndtr((merged["score"] - 100) / 15)), 1, 99)
    level = np.array(BMA_LEVELS, dtype=object)[np.searchsorted(STANDARD_SCORE_EDGES, merged["score"], side="right")]
    cells = {
        "student_id": csvtext.integers(local_id[order]),
        "school_id": school_id,
        "measure_id": "school_standardised_reading",
        "assessment_date": csvtext.dates(merged["day"], "%Y-%m-%d"),
        "score": csvtext.integers(merged["score"]),
        "percentile": csvtext.integers(percentile),
    }
    csv_path = f"school_defined/{school_id}_standardised_reading_{plan.label}.csv"
    _write_text(landing, csv_path, SCHOOL_MEASURES_HEADER, cells, n)
    standardised = SourceFile(
        csv_path,
        n,
        _truth(csv_path, plan, district, merged["row"], school, merged["window"], merged["day"],
               np.full(n, "school_standardised_reading", dtype=object), merged["score"], percentile, level),
    )
    return [workbook, standardised]


def _write_workbook(target: Path, district, plan, school_id: str, merged: dict[str, np.ndarray]) -> None:
    """The school's assessment workbook: dates as date cells, scores as numbers, blanks left empty."""
    import openpyxl

    local_id = district.students.local_id[plan.enrollment.student[merged["row"]]]
    days = merged["day"].astype("datetime64[D]").astype(dt.date)
    scores = [None if np.isnan(s) else int(s) for s in merged["score"]]
    # phonics results carry the score only: the school's cut scores give their level
    levels = [level if measure == "school_writing_portfolio" else None for measure, level in zip(merged["measure"], merged["level"])]
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Assessments")
    sheet.append(list(SCHOOL_MEASURES_HEADER))
    # openpyxl takes one row at a time; the workbook holds a few hundred rows
    for record in zip(local_id.tolist(), [school_id] * len(days), merged["measure"], days, scores, levels, [None] * len(days)):
        sheet.append(list(record))
    # a workbook stamps the time it was saved (in its properties and its zip entries); the
    # school's export day in their place keeps the bytes reproducible
    saved_at = dt.datetime(plan.school_year, 6, 10, 16, 0)
    workbook.properties.created = saved_at
    buffer = io.BytesIO()
    workbook.save(buffer)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer) as saved, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as stamped:
        for member in saved.infolist():
            data = saved.read(member)
            if member.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + saved_at.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), data)
            info = zipfile.ZipInfo(member.filename, date_time=saved_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            stamped.writestr(info, data)


def _write_markbook(district, plan, landing, rng, school) -> SourceFile:
    """Objective judgements for kindergarten to grade 2, mid-year and at the end of the year."""
    enrollment = plan.enrollment
    parts: dict[str, list[np.ndarray]] = {}
    for point, span in enumerate(MARKBOOK_DAYS):
        days = _school_days(plan, span)
        rows = np.flatnonzero(enrollment.grade <= 2)
        day = _pick(days, len(rows), rng)
        here = enrollment.school_on(rows, day) == school
        rows, day = rows[here], day[here]
        grade = enrollment.grade[rows]
        for subject, objectives, subject_name in ((0, READING_OBJECTIVES, "reading"), (1, MATH_OBJECTIVES, "math")):
            z = latent_z(district, plan, rows, subject_name, 1 + point)
            for position in range(3):
                value = 0.8 * z + (0.5 if subject == 0 else 0.3) * point + rng.normal(0.0, 0.5, len(rows))
                if subject == 0:
                    descriptor = np.array(EDS_LEVELS, dtype=object)[np.searchsorted([-0.6, 0.3, 1.3], value, side="right")]
                else:
                    descriptor = np.array(BMA_LEVELS, dtype=object)[np.searchsorted([-0.7, 0.9], value, side="right")]
                objective = np.array([objectives[g][position] for g in range(3)], dtype=object)
                for key, v in (
                    ("row", rows), ("day", day), ("subject", np.full(len(rows), subject)),
                    ("objective_id", objective[grade, 0]), ("objective", objective[grade, 1]), ("descriptor", descriptor),
                ):
                    parts.setdefault(key, []).append(v)
    merged = {key: np.concatenate(value) for key, value in parts.items()}
    student = enrollment.student[merged["row"]]
    local_id = district.students.local_id[student]
    order = np.lexsort((merged["objective_id"].astype(str), local_id, merged["day"]))
    merged = {key: value[order] for key, value in merged.items()}
    n = len(order)
    grade = enrollment.grade[merged["row"]]
    teacher = district.teachers.of[school, grade]
    cells = {
        "student_id": csvtext.integers(local_id[order]),
        "school_id": district.schools.school_id[school],
        "subject": csvtext.lookup(("reading", "math"), merged["subject"]),
        "objective_id": pa.array(merged["objective_id"], pa.string()),
        "objective": pa.array(merged["objective"], pa.string()),
        "descriptor_set": csvtext.lookup(("emerging_developing_secure", "below_meeting_above"), merged["subject"]),
        "descriptor": pa.array(merged["descriptor"], pa.string()),
        "assessment_date": csvtext.dates(merged["day"], "%Y-%m-%d"),
        "teacher_id": csvtext.lookup(district.teachers.staff_id, teacher),
    }
    path = f"school_defined/{district.schools.school_id[school]}_markbook_k2_{plan.label}.csv"
    _write_text(landing, path, MARKBOOK_HEADER, cells, n)
    return SourceFile(path, n, None)


def _interventions(district, plan, rng) -> dict[str, np.ndarray]:
    """Tier 2 and 3 reading interventions for the students with the lowest fall reading."""
    enrollment = plan.enrollment
    rows = np.arange(len(enrollment.student))
    z = latent_z(district, plan, rows, "reading", 0)
    ranked = np.argsort(z, kind="stable")
    chosen = ranked[: int(round(INTERVENTION_SHARE * len(rows)))]
    tier = np.where(np.isin(chosen, ranked[: int(round(TIER3_SHARE * len(rows)))]), 3, 2)
    n = len(chosen)
    start = _pick(_school_days(plan, INTERVENTION_START), n, rng)
    school = enrollment.school_on(chosen, start)
    exits = (tier == 2) & (rng.random(n) < TIER2_EXIT_SHARE)
    end = np.where(exits, _pick(_school_days(plan, TIER2_EXIT), n, rng), np.datetime64("NaT"))
    # a student who moves school leaves the group the day before the move
    moved = enrollment.is_mover[chosen] & (enrollment.move_date[chosen] > start)
    end = np.where(moved & (np.isnat(end) | (enrollment.move_date[chosen] - 1 < end)), enrollment.move_date[chosen] - 1, end)
    grade = enrollment.grade[chosen]
    band = np.where(grade <= 2, 0, np.where(grade <= 5, 1, 2))
    minutes = np.where(tier == 2, np.array(MINUTES_PER_WEEK[2])[rng.integers(0, 3, n)], np.array(MINUTES_PER_WEEK[3])[rng.integers(0, 3, n)])
    local_id = district.students.local_id[enrollment.student[chosen]]
    order = np.lexsort((local_id, school))
    result = {
        "row": chosen, "tier": tier, "start": start, "end": end, "school": school, "grade": grade, "band": band,
        "minutes": minutes, "z": z[chosen], "local_id": local_id,
    }
    result = {key: value[order] for key, value in result.items()}
    result["intervention_id"] = np.char.add(f"INT-{plan.school_year}-", np.char.zfill(np.arange(1, n + 1).astype(str), 4))
    return result


def _write_interventions(district, plan, landing, iv) -> SourceFile:
    n = len(iv["row"])
    names = np.array([INTERVENTION_NAMES[(t, b)] for t in (2, 3) for b in range(3)], dtype=object)
    has_end = ~np.isnat(iv["end"])
    cells = {
        "intervention_id": pa.array(iv["intervention_id"], pa.string()),
        "student_id": csvtext.integers(iv["local_id"]),
        "school_id": csvtext.lookup(district.schools.school_id, iv["school"]),
        "intervention_name": pa.array(names[(iv["tier"] - 2) * 3 + iv["band"]], pa.string()),
        "tier": csvtext.integers(iv["tier"]),
        "start_date": csvtext.dates(iv["start"], "%Y-%m-%d"),
        "end_date": pc.if_else(pa.array(has_end), csvtext.dates(np.where(has_end, iv["end"], iv["start"]), "%Y-%m-%d"), ""),
        # the school's reading interventionist (tier 2) or reading specialist (tier 3)
        "staff_id": csvtext.integers(900_000 + 10 * (iv["school"] + 1) + iv["tier"]),
        "minutes_per_week": csvtext.integers(iv["minutes"]),
        "subject": "reading",
        "measure_id": csvtext.lookup(("dibels8_lnf", "dibels8_orf"), (iv["grade"] >= 1).astype(np.int64)),
    }
    path = f"school_defined/interventions_{plan.label}.csv"
    _write_text(landing, path, INTERVENTIONS_HEADER, cells, n)
    return SourceFile(path, n, None)


def _write_goals(district, plan, landing, iv) -> SourceFile:
    """One goal per intervention: baseline from the student's fall fluency, ambitious weekly growth to mid-May."""
    n = len(iv["row"])
    grade = iv["grade"]
    baseline = np.clip(np.rint(ORF_FALL_MEDIAN[grade] * np.exp(ORF_LOG_SD * iv["z"])), 1, 300)
    baseline_date = iv["start"] - 7
    goal_date = np.busday_offset(np.datetime64(f"{plan.school_year}-05-15"), 0, roll="forward")
    weeks = (goal_date - iv["start"]).astype(np.int64) / 7
    goal = np.clip(np.rint(baseline + WEEKLY_GROWTH[grade] * weeks), 0, 300)
    cells = {
        "goal_id": pa.array(np.char.replace(iv["intervention_id"], "INT-", "GOAL-"), pa.string()),
        "student_id": csvtext.integers(iv["local_id"]),
        "measure_id": csvtext.lookup(("dibels8_lnf", "dibels8_orf"), (grade >= 1).astype(np.int64)),
        "baseline_score": csvtext.integers(baseline),
        "baseline_date": csvtext.dates(baseline_date, "%Y-%m-%d"),
        "goal_score": csvtext.integers(goal),
        "goal_date": csvtext.dates(np.full(n, goal_date), "%Y-%m-%d"),
        "intervention_id": pa.array(iv["intervention_id"], pa.string()),
    }
    path = f"school_defined/goals_{plan.label}.csv"
    _write_text(landing, path, GOALS_HEADER, cells, n)
    return SourceFile(path, n, None)


def _write_incidents(district, plan, landing, rng) -> SourceFile:
    """Behaviour incidents: a heavy-tailed count per student, fights with two students, class-wide days."""
    enrollment = plan.enrollment
    calendar = enrollment.calendar
    school_days = calendar.school_days(calendar.first_day, calendar.last_day)
    rows_all = np.arange(len(enrollment.student))
    z = latent_z(district, plan, rows_all, "reading", 1)
    rate = rng.gamma(INCIDENT_RATE_SHAPE, INCIDENTS_PER_STUDENT / INCIDENT_RATE_SHAPE, len(rows_all)) * np.exp(-0.3 * z)
    rows = np.repeat(rows_all, rng.poisson(rate))
    n = len(rows)
    day = _pick(school_days, n, rng)
    kind = rng.choice(len(INCIDENT_TYPES), n, p=[t[1] for t in INCIDENT_TYPES])
    location = rng.choice(len(LOCATIONS), n, p=[share for _, share in LOCATIONS])
    incident = np.arange(n)

    # the other student in a fight: a schoolmate of the same grade present that day
    fight = np.flatnonzero(np.array([t[0] for t in INCIDENT_TYPES])[kind] == "Fighting")
    key = enrollment.first_school * 9 + enrollment.grade
    by_group = np.argsort(key, kind="stable")
    group_start = np.searchsorted(key[by_group], key[rows[fight]], side="left")
    group_size = np.searchsorted(key[by_group], key[rows[fight]], side="right") - group_start
    partner = by_group[group_start + (rng.random(len(fight)) * group_size).astype(np.int64)]
    same_school = enrollment.school_on(partner, day[fight]) == enrollment.school_on(rows[fight], day[fight])
    keep = (partner != rows[fight]) & same_school
    rows = np.concatenate([rows, partner[keep]])
    day = np.concatenate([day, day[fight][keep]])
    kind = np.concatenate([kind, kind[fight][keep]])
    location = np.concatenate([location, location[fight][keep]])
    incident = np.concatenate([incident, incident[fight][keep]])

    # class-wide days: a homeroom where many students are written up on the same day
    serves = np.argwhere(district.schools.serves())
    picks = serves[rng.choice(len(serves), CLASS_WIDE_DAYS, replace=False)]
    for school, grade in picks:
        class_day = _pick(school_days, 1, rng)[0]
        present = rows_all[(enrollment.grade == grade) & (enrollment.school_on(rows_all, np.full(len(rows_all), class_day)) == school)]
        involved = present[rng.random(len(present)) < rng.uniform(*CLASS_WIDE_SHARE)]
        k = len(involved)
        rows = np.concatenate([rows, involved])
        day = np.concatenate([day, np.full(k, class_day)])
        kind = np.concatenate([kind, np.zeros(k, dtype=kind.dtype)])  # Disruption
        location = np.concatenate([location, np.zeros(k, dtype=location.dtype)])  # Classroom
        incident = np.concatenate([incident, incident.max(initial=-1) + 1 + np.arange(k)])

    school = enrollment.school_on(rows, day)
    local_id = district.students.local_id[enrollment.student[rows]]
    # incident numbers follow the date they were logged
    first_day = np.full(incident.max(initial=-1) + 1, np.datetime64("2100-01-01", "D"))
    np.minimum.at(first_day, incident, day)
    number = np.empty(len(first_day), dtype=np.int64)
    number[np.lexsort((np.arange(len(first_day)), first_day))] = np.arange(1, len(first_day) + 1)
    order = np.lexsort((local_id, number[incident]))
    rows, day, kind, location, incident, school, local_id = (
        a[order] for a in (rows, day, kind, location, incident, school, local_id)
    )
    n = len(rows)
    grade = enrollment.grade[rows]
    in_class = location == 0
    class_ids = class_sourced_ids(district.schools, plan.school_year)
    cells = {
        "incident_id": pc.binary_join_element_wise(f"INC-{plan.school_year}-", pc.utf8_lpad(csvtext.integers(number[incident]), 5, "0"), ""),
        "student_id": csvtext.integers(local_id),
        "school_id": csvtext.lookup(district.schools.school_id, school),
        "incident_date": csvtext.dates(day, "%m/%d/%Y"),
        "incident_type": csvtext.lookup([t[0] for t in INCIDENT_TYPES], kind),
        "class_id": pc.if_else(pa.array(in_class), csvtext.lookup(class_ids, school * 9 + grade), ""),
        "location": csvtext.lookup([name for name, _ in LOCATIONS], location),
        "severity": csvtext.lookup([t[2] for t in INCIDENT_TYPES], kind),
    }
    path = f"school_defined/incidents_{plan.label}.csv"
    _write_text(landing, path, INCIDENTS_HEADER, cells, n)
    return SourceFile(path, n, None)
