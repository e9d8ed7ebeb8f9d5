"""NWEA MAP Growth combined export (ComboStudentAssessment_<YYYY-YYYY>.csv), one file per school year."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr

from ingestion.formats.headers import MAP_COMBO_HEADER

from . import csvtext
from .calendar import MAP_TESTING, WINDOW_NAMES
from .context import GRADE_TEXT, TRUTH_RESULT_SCHEMA, District, StudentText, YearPlan, latent_z
from .norms import (
    MAP_COURSE_TEXT,
    MAP_MEASURE_ID,
    MAP_MEANS,
    MAP_SDS,
    MAP_STANDARD_ERROR,
    MAP_SUBJECT_TEXT,
    MAP_SUBJECTS,
    MAP_TEST_NAMES,
    map_typical_growth,
)

RETEST_RATE = 0.01
ETHNIC_GROUP_TEXT = (
    "Hispanic or Latino",
    "American Indian or Alaska Native",
    "Asian",
    "Black or African American",
    "Native Hawaiian or Other Pacific Islander",
    "White",
    "Multi-ethnic",
)
_GROWTH_SPANS = ("FallToFall", "FallToWinter", "FallToSpring", "WinterToWinter", "WinterToSpring", "SpringToSpring")
# Window whose test starts each growth span.
_SPAN_START = {span: WINDOW_NAMES.index(span.split("To")[0]) for span in _GROWTH_SPANS}


def file_name(plan: YearPlan) -> str:
    return f"ComboStudentAssessment_{plan.label}.csv"


def _test_band(grade: np.ndarray) -> np.ndarray:
    """0: K-2 test, 1: 2-5 test, 2: 6+ test."""
    return np.where(grade <= 2, 0, np.where(grade <= 5, 1, 2))


def _simulate(district: District, plan: YearPlan, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every MAP test event of the year (original tests and same-day retests), unsorted."""
    enrollment = plan.enrollment
    parts: dict[str, list[np.ndarray]] = {}

    def add(**columns: np.ndarray) -> None:
        for key, value in columns.items():
            parts.setdefault(key, []).append(value)

    for window, days in enumerate(enrollment.calendar.testing_days(MAP_TESTING)):
        rows = np.flatnonzero(plan.tested[window])
        first_pick = rng.integers(0, len(days), len(rows))
        second_pick = np.minimum(first_pick + rng.integers(0, 5, len(rows)), len(days) - 1)
        for subject_code, (subject, pick) in enumerate(zip(MAP_SUBJECTS, (first_pick, second_pick))):
            n = len(rows)
            day = days[pick]
            grade = enrollment.grade[rows]
            z = latent_z(district, plan, rows, subject, window)
            sd = MAP_SDS[subject][grade]
            true_rit = MAP_MEANS[subject][grade, window] + z * np.sqrt(sd**2 - MAP_STANDARD_ERROR**2)
            se = np.clip(np.rint(rng.normal(320, 20, n) + 30 * (np.abs(z) > 2)), 280, 450)
            rit = np.clip(np.rint(true_rit + rng.normal(0, 1, n) * se / 100), 100, 350)
            start = rng.integers(8 * 3600 + 20 * 60, 14 * 3600 + 15 * 60, n)
            duration = rng.integers(22, 68, n)
            common = dict(
                row=rows,
                window=np.full(n, window),
                subject=np.full(n, subject_code),
                day=day,
                school=enrollment.school_on(rows, day),
            )
            add(**common, rit=rit, se=se, start=start, duration=duration, is_retest=np.zeros(n, bool))

            again = np.flatnonzero(rng.random(n) < RETEST_RATE)
            k = len(again)
            se2 = np.clip(np.rint(rng.normal(320, 20, k)), 280, 450)
            rit2 = np.clip(np.rint(true_rit[again] + rng.normal(0, 1, k) * se2 / 100), 100, 350)
            same = rit2 == rit[again]
            rit2 = np.where(same, rit2 + np.where(rng.random(k) < 0.5, -1, 1), rit2)
            start2 = start[again] + duration[again] * 60 + rng.integers(10, 90, k) * 60
            add(
                **{key: value[again] for key, value in common.items()},
                rit=rit2,
                se=se2,
                start=start2,
                duration=rng.integers(22, 68, k),
                is_retest=np.ones(k, bool),
            )
    return {key: np.concatenate(value) for key, value in parts.items()}


def write_year(
    district: District, plan: YearPlan, landing: Path, rng: np.random.Generator
) -> tuple[str, pa.Table]:
    """Write the year's combined export; return its path under the landing root and its truth rows."""
    events = _simulate(district, plan, rng)
    enrollment = plan.enrollment
    student = enrollment.student[events["row"]]
    local_id = district.students.local_id[student]
    order = np.lexsort((events["start"], events["subject"], local_id, events["school"], events["window"]))
    events = {key: value[order] for key, value in events.items()}
    student, local_id = student[order], local_id[order]
    n = len(order)

    grade = enrollment.grade[events["row"]]
    window, subject = events["window"], events["subject"]
    rit = events["rit"]
    mean = np.select([subject == i for i in range(2)], [MAP_MEANS[s][grade, window] for s in MAP_SUBJECTS])
    sd = np.select([subject == i for i in range(2)], [MAP_SDS[s][grade] for s in MAP_SUBJECTS])
    z_observed = (rit - mean) / sd
    percentile = np.clip(np.rint(100 * ndtr(z_observed)), 1, 99).astype(np.int64)
    quintile = np.searchsorted([20, 40, 60, 80], percentile, side="left")

    students = district.students
    schools = district.schools
    text = district.text
    cells: dict[str, csvtext.Column] = {
        "TermName": csvtext.lookup([f"{w} {plan.label}" for w in WINDOW_NAMES], window),
        "DistrictName": district.config.name,
        "District_StateID": district.config.state_district_id,
        "SchoolName": csvtext.lookup(schools.name, events["school"]),
        "School_StateID": csvtext.lookup(schools.school_id, events["school"]),
        "StudentID": StudentText.take(text.local_id, student),
        "Student_StateID": StudentText.take(text.state_id, student),
        "StudentLastName": StudentText.take(text.last_name, student),
        "StudentFirstName": StudentText.take(text.first_name, student),
        "StudentMI": StudentText.take(text.middle_initial, student),
        "StudentDateOfBirth": csvtext.dates(students.birth_date[student], "%m/%d/%Y"),
        "StudentEthnicGroup": csvtext.lookup(ETHNIC_GROUP_TEXT, students.race[student]),
        "StudentGender": csvtext.lookup(("M", "F"), students.is_female[student].astype(np.int64)),
        "Grade": csvtext.lookup(GRADE_TEXT, grade),
        "Subject": csvtext.lookup([MAP_SUBJECT_TEXT[s] for s in MAP_SUBJECTS], subject),
        "Course": csvtext.lookup([MAP_COURSE_TEXT[s] for s in MAP_SUBJECTS], subject),
        "GrowthMeasureYN": "TRUE",
        "NormsReferenceData": "2020",
        "TestType": "Survey With Goals",
        "TestName": csvtext.lookup([t for s in MAP_SUBJECTS for t in MAP_TEST_NAMES[s]], subject * 3 + _test_band(grade)),
        "TestStartDate": csvtext.dates(events["day"], "%m/%d/%Y"),
        "TestStartTime": csvtext.clock_times(events["start"]),
        "TestDurationMinutes": csvtext.integers(events["duration"]),
        "TestRITScore": csvtext.integers(rit),
        "TestStandardError": csvtext.hundredths(events["se"]),
        "TestPercentile": csvtext.integers(percentile),
        "AchievementQuintile": csvtext.lookup(("Low", "LoAvg", "Avg", "HiAvg", "High"), quintile),
        "PercentCorrect": csvtext.integers(np.clip(np.rint(rng.normal(50, 7, n)), 25, 85)),
        "RapidGuessingPercentage": "0.0000",
    }
    for w, name in enumerate(WINDOW_NAMES):
        cells[f"WISelectedAY{name}"] = csvtext.lookup(["1" if i == w else "" for i in range(3)], window)

    # Typical growth for the student's grade and starting score; the projection for the spans
    # this test starts repeats it (NWEA projects typical growth from the start score).
    adjustment = 1 - 0.1 * np.clip(z_observed, -2, 2)
    for span in _GROWTH_SPANS:
        norm = np.select([subject == i for i in range(2)], [map_typical_growth(s)[span][grade] for s in MAP_SUBJECTS])
        typical = csvtext.integers(np.maximum(0, np.rint(norm * adjustment)))
        cells[f"Typical{span}Growth"] = typical
        starts_here = pa.array(window == _SPAN_START[span])
        cells[f"{span}ProjectedGrowth"] = pc.if_else(starts_here, typical, "")

    path = f"nwea_map/{file_name(plan)}"
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        sink.write(csvtext.header_line(MAP_COMBO_HEADER, "\n"))
        csvtext.write_rows(sink, [cells.get(c, "") for c in MAP_COMBO_HEADER], n, quote_all=True)

    unknown = set(cells) - set(MAP_COMBO_HEADER)
    if unknown:
        raise AssertionError(f"columns not in the MAP combined header: {sorted(unknown)}")

    truth = pa.table(
        {
            "source_file": csvtext.lookup([path], np.zeros(n, dtype=np.int64)),
            "source_row": pa.array(np.arange(n, dtype=np.int64) + 2),
            "local_student_id": cells["StudentID"],
            "school_id": cells["School_StateID"],
            "school_year": pa.array(np.full(n, plan.school_year, dtype=np.int64)),
            "window_name": csvtext.lookup(WINDOW_NAMES, window),
            "assessment_date": pa.array(events["day"].astype("datetime64[D]")).cast(pa.date32()),
            "enrolled_grade": pa.array(grade.astype(np.int64)),
            # MAP is adaptive with no grade form: the grade it records is the enrolled grade.
            "instructional_grade": pa.array(grade.astype(np.int64)),
            "measure_id": csvtext.lookup([MAP_MEASURE_ID[s] for s in MAP_SUBJECTS], subject),
            "scale_score": pa.array(rit.astype(np.float64)),
            "percentile": pa.array(percentile),
            "is_retest": pa.array(events["is_retest"]),
            "performance_level": cells["AchievementQuintile"],
        },
        schema=TRUTH_RESULT_SCHEMA,
    )
    return path, truth
