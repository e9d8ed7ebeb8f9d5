"""Renaissance Star data-sharing export for the last school year, delivered the way KIPP receives
it: one zip per district (renaissance/<district name>.zip) holding SR.csv (Star Reading, grades
2-8), SM.csv (Star Math, grades 1-8) and SEL.csv (Star Early Literacy, grades K-1) for the students
of one school, tested in the fall, winter and spring screening windows.

Scores are on the Star Unified Scale (ScaledScore repeats UnifiedScore, as exports have since the
Enterprise scale was retired); grade medians and spreads approximate the public sample, not
Renaissance's norms. Times are the school's (US Central) local time in CompletedDateLocal and UTC in
CompletedDate, both written ISO-8601 with milliseconds and a Z. The landing path of each file is
"<zip path>/<member>", as the loader names archive members.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr

from ingestion.formats.star import STAR_EARLY_LITERACY_HEADER, STAR_MATH_HEADER, STAR_READING_HEADER

from . import csvtext
from .calendar import WINDOW_NAMES
from .context import GRADE_TEXT, District, SourceFile, StudentText, YearPlan, class_title, latent_z, with_truth_schema

STAR_TESTING = (((8, 25), (9, 19)), ((1, 6), (1, 23)), ((4, 27), (5, 15)))
# member file, measure, subject of the latent ability, grades tested, header
PRODUCTS = (
    ("SR.csv", "star_reading", "reading", range(2, 9), STAR_READING_HEADER),
    ("SM.csv", "star_math", "math", range(1, 9), STAR_MATH_HEADER),
    ("SEL.csv", "star_early_literacy", "reading", range(0, 2), STAR_EARLY_LITERACY_HEADER),
)
# Unified Scale medians per grade K..8 at the fall screening, gain to spring, spread; and the
# product's score range.
NORMS = {
    "star_reading": (
        np.array([650, 720, 850, 930, 985, 1025, 1055, 1080, 1100], dtype=float),
        np.array([80, 110, 70, 50, 40, 30, 25, 20, 18], dtype=float),
        np.array([70, 70, 75, 80, 80, 80, 80, 80, 80], dtype=float),
        (600, 1400),
    ),
    "star_math": (
        np.array([740, 820, 880, 935, 980, 1015, 1040, 1060, 1080], dtype=float),
        np.array([80, 90, 70, 55, 45, 35, 30, 25, 20], dtype=float),
        np.array([60, 60, 62, 65, 65, 68, 70, 70, 72], dtype=float),
        (600, 1400),
    ),
    "star_early_literacy": (
        np.array([650, 750, 830, 880, 920, 950, 970, 990, 1000], dtype=float),
        np.array([110, 90, 60, 40, 30, 25, 20, 20, 20], dtype=float),
        np.array([60, 60, 60, 60, 60, 60, 60, 60, 60], dtype=float),
        (200, 1100),
    ),
}
WINDOW_SHARE = (0.0, 0.5, 1.0)
OCCASION_NOISE = 0.2
# Renaissance default district benchmark categories: level number, name, lowest and highest PR.
BENCHMARKS = (
    (4, "Urgent Intervention", 1, 9),
    (3, "Intervention", 10, 24),
    (2, "On Watch", 25, 39),
    (1, "At/Above Benchmark", 40, 99),
)
LITERACY_CLASSES = ("Early Emergent Reader", "Late Emergent Reader", "Transitional Reader", "Probable Reader")
CLIENT_ID = "31447"
# US Central time: UTC-5 in daylight saving time, UTC-6 otherwise.
UTC_OFFSET_HOURS = (6, 5)


def chosen_school(district: District) -> int:
    """The K-8 school, or the first school."""
    k8 = np.flatnonzero(district.schools.kind == "k8")
    return int(k8[0]) if len(k8) else 0


def zip_path(district: District) -> str:
    return f"renaissance/{district.config.name}.zip"


def _guid(prefix: str, numbers: np.ndarray) -> pa.Array:
    """A GUID-shaped ID ending in a 12-digit number: '<prefix>-0000-4000-8000-001234567890'."""
    return csvtext.join(prefix, "-0000-4000-8000-", pc.utf8_lpad(csvtext.integers(numbers), 12, "0"))


def _tenths(values: np.ndarray) -> pa.Array:
    """Numbers written with one decimal ('3.2', '-0.4')."""
    tenths = np.rint(np.asarray(values, dtype=float) * 10).astype(np.int64)
    body = csvtext.join(csvtext.integers(np.abs(tenths) // 10), ".", csvtext.integers(np.abs(tenths) % 10))
    return pc.if_else(pa.array(tenths < 0), csvtext.join("-", body), body)


def _is_daylight_saving(days: np.ndarray) -> np.ndarray:
    """US daylight saving time: from the second Sunday of March to the first Sunday of November."""
    year = days.astype("datetime64[Y]")
    march = (year.astype("datetime64[M]") + 2).astype("datetime64[D]")
    november = (year.astype("datetime64[M]") + 10).astype("datetime64[D]")
    starts = np.busday_offset(march, 1, roll="forward", weekmask="Sun")
    ends = np.busday_offset(november, 0, roll="forward", weekmask="Sun")
    return (days >= starts) & (days < ends)


def _timestamps(days: np.ndarray, seconds: np.ndarray, millis: np.ndarray) -> pa.Array:
    """ISO-8601 text with milliseconds and a Z: '2025-09-03T14:23:05.415Z'."""
    return csvtext.join(
        csvtext.dates(days, "%Y-%m-%d"), "T", csvtext.clock_times(seconds), ".",
        pc.utf8_lpad(csvtext.integers(millis), 3, "0"), "Z",
    )


def _simulate(district: District, plan: YearPlan, measure: str, subject: str, grades, school: int, rng):
    """Every test of one product at the school: enrolled row, window, day, score, percentile."""
    enrollment = plan.enrollment
    fall, gain, sd, (low, high) = NORMS[measure]
    parts: dict[str, list[np.ndarray]] = {}
    for window, days in enumerate(enrollment.calendar.testing_days(STAR_TESTING)):
        rows = np.flatnonzero(plan.tested[window] & np.isin(enrollment.grade, list(grades)))
        day = days[rng.integers(0, len(days), len(rows))]
        keep = enrollment.school_on(rows, day) == school
        rows, day = rows[keep], day[keep]
        grade = enrollment.grade[rows]
        median = fall[grade] + WINDOW_SHARE[window] * gain[grade]
        z = latent_z(district, plan, rows, subject, window) + rng.normal(0, OCCASION_NOISE, len(rows))
        score = np.clip(np.rint(median + z * sd[grade]), low, high)
        z_observed = (score - median) / sd[grade]
        for key, value in (
            ("row", rows), ("window", np.full(len(rows), window)), ("day", day), ("score", score),
            ("median", median), ("z", z_observed),
        ):
            parts.setdefault(key, []).append(value)
    return {key: np.concatenate(value) for key, value in parts.items()}


def _write_product(district, plan, product_number, school, rng) -> tuple[bytes, pa.Table, int]:
    member, measure, subject, grades, header = PRODUCTS[product_number]
    events = _simulate(district, plan, measure, subject, grades, school, rng)
    enrollment, students, text, schools = plan.enrollment, district.students, district.text, district.schools
    student = enrollment.student[events["row"]]
    order = np.lexsort((events["day"], students.local_id[student]))
    events = {key: value[order] for key, value in events.items()}
    student = student[order]
    n = len(student)
    grade = enrollment.grade[events["row"]]
    window, day, score, z = events["window"], events["day"], events["score"], events["z"]
    fall = NORMS[measure][0]

    percentile = np.clip(np.rint(100 * ndtr(z)), 1, 99).astype(np.int64)
    category = np.searchsorted([b[3] for b in BENCHMARKS[:-1]], percentile, side="left")
    first = np.ones(n, bool)
    first[1:] = student[1:] != student[:-1]
    # the student's test number in the year: 1, 2, 3 (rows are in date order per student)
    start_of_run = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    assessment_number = np.arange(n) - start_of_run + 1

    completed_local = rng.integers(8 * 3600 + 30 * 60, 14 * 3600 + 30 * 60, n)
    duration = rng.integers(9 * 60, 32 * 60, n)
    millis = rng.integers(0, 1000, n)
    offset = np.where(_is_daylight_saving(day), UTC_OFFSET_HOURS[1], UTC_OFFSET_HOURS[0]) * 3600
    # grade placement: grade and school month at the test ("4.05" early in grade 4)
    months = np.clip((day - enrollment.calendar.first_day).astype(np.int64) // 30, 0, 9)
    # grade equivalent: the grade placement of the median student, moved by the distance from the
    # median in years of growth between grade medians
    annual = np.diff(fall, append=2 * fall[-1] - fall[-2])[grade]
    grade_equivalent = np.clip(grade + 0.1 + 0.4 * window + (score - events["median"]) / annual, 0, 12.9)
    windows = enrollment.calendar.testing_days(STAR_TESTING)
    window_start = np.array([w[0] for w in windows])[window]
    window_end = np.array([w[-1] for w in windows])[window]
    teachers = district.teachers
    teacher = teachers.of[school, grade]
    guid_base = students.local_id[student]
    no_yes = ("No", "Yes")
    race = students.race[student]
    benchmark_name = csvtext.lookup([b[1] for b in BENCHMARKS], category)
    benchmark_level = csvtext.lookup([str(b[0]) for b in BENCHMARKS], category)
    benchmark_min = csvtext.lookup([str(b[2]) for b in BENCHMARKS], category)
    benchmark_max = csvtext.lookup([str(b[3]) for b in BENCHMARKS], category)
    proficient = csvtext.lookup(("No", "No", "No", "Yes"), category)
    score_text = csvtext.integers(score)

    cells: dict[str, csvtext.Column] = {
        "RenaissanceClientID": CLIENT_ID,
        "SchoolYear": plan.label,
        "SchoolYearStartDate": f"{enrollment.calendar.first_day}T00:00:00Z",
        "SchoolYearEndDate": f"{enrollment.calendar.last_day}T00:00:00Z",
        "StudentRenaissanceID": _guid("5f0c2b7e", guid_base),
        "StudentSourcedID": StudentText.take(text.local_id, student),
        "StudentIdentifier": StudentText.take(text.local_id, student),
        "StudentUserID": StudentText.take(text.local_id, student),
        "StudentStateID": StudentText.take(text.state_id, student),
        "StudentFirstName": StudentText.take(text.first_name, student),
        "StudentMiddleName": StudentText.take(text.middle_name, student),
        "StudentLastName": StudentText.take(text.last_name, student),
        "Gender": csvtext.lookup(("M", "F"), students.is_female[student].astype(np.int64)),
        "BirthDate": csvtext.join(csvtext.dates(students.birth_date[student], "%Y-%m-%d"), "T00:00:00Z"),
        "MultiRace": csvtext.lookup(no_yes, (race == 6).astype(np.int64)),
        "HispanicOrLatino": csvtext.lookup(no_yes, (race == 0).astype(np.int64)),
        "AmericanIndianOrAlaskaNative": csvtext.lookup(no_yes, (race == 1).astype(np.int64)),
        "Asian": csvtext.lookup(no_yes, (race == 2).astype(np.int64)),
        "BlackOrAfricanAmerican": csvtext.lookup(no_yes, (race == 3).astype(np.int64)),
        "NativeHawaiianOrOtherPacificIslander": csvtext.lookup(no_yes, (race == 4).astype(np.int64)),
        "White": csvtext.lookup(no_yes, (race == 5).astype(np.int64)),
        "CurrentGrade": csvtext.lookup(GRADE_TEXT, grade),
        "EnrollmentStatus": "Enrolled",
        "DistrictRenaissanceID": _guid("1d6e0a4c", np.zeros(n, dtype=np.int64)),
        "DistrictSourcedID": district.config.state_district_id,
        "DistrictIdentifier": district.config.state_district_id,
        "DistrictStateID": district.config.state_district_id,
        "DistrictName": district.config.name,
        "SchoolRenaissanceID": _guid("7a9b3c2d", np.full(n, school + 1, dtype=np.int64)),
        "SchoolSourcedID": str(schools.school_id[school]),
        "SchoolIdentifier": str(schools.school_id[school]),
        "SchoolStateID": str(schools.school_id[school]),
        "SchoolName": str(schools.name[school]),
        "CourseName": csvtext.lookup([class_title(g) for g in range(9)], grade),
        "ClassCode": csvtext.lookup([f"HR-{GRADE_TEXT[g]}" for g in range(9)], grade),
        "GroupOrClassName": csvtext.lookup([class_title(g) for g in range(9)], grade),
        "TeacherSourcedID": csvtext.lookup(teachers.staff_id, teacher),
        "TeacherIdentifier": csvtext.lookup(teachers.staff_id, teacher),
        "TeacherFirstName": csvtext.lookup(teachers.first_name.astype(str), teacher),
        "TeacherLastName": csvtext.lookup(teachers.last_name.astype(str), teacher),
        "AssessmentID": _guid("c3e1f9a0", (guid_base * 10 + product_number) * 10 + assessment_number),
        "LaunchDate": _timestamps(day, completed_local - duration + offset, millis),
        "CompletedDate": _timestamps(day, completed_local + offset, millis),
        "CompletedDateLocal": _timestamps(day, completed_local, millis),
        "AssessmentNumber": csvtext.integers(assessment_number),
        "AssessmentType": "Enterprise",
        "AssessmentStatus": "Active",
        "GradePlacement": csvtext.join(csvtext.integers(grade), ".", csvtext.integers(months), "5"),
        "Grade": csvtext.lookup(GRADE_TEXT, grade),
        "ExtraTime": "No",
        "ScaledScore": score_text,
        "StandardErrorOfMeasurement": csvtext.hundredths(rng.integers(30, 46, n)),
        "RaschScore": _tenths((score - 1000) / 100),
        "UnifiedScore": score_text,
        "GradeEquivalent": _tenths(grade_equivalent),
        "PercentileRank": csvtext.integers(percentile),
        "NormalCurveEquivalent": _tenths(np.clip(50 + 21.06 * z, 1, 99)),
        "TotalTimeInSeconds": csvtext.integers(duration),
        "TotalCorrect": csvtext.integers(np.clip(np.rint(17 + 5 * z + rng.normal(0, 2, n)), 0, 34)),
        "TotalPossible": "34",
        "ScreeningPeriodWindowName": csvtext.lookup(WINDOW_NAMES, window),
        "ScreeningWindowStartDate": csvtext.join(csvtext.dates(window_start, "%Y-%m-%d"), "T00:00:00Z"),
        "ScreeningWindowEndDate": csvtext.join(csvtext.dates(window_end, "%Y-%m-%d"), "T00:00:00Z"),
        "RenaissanceBenchmarkCategoryName": benchmark_name,
        "RenaissanceBenchmarkCategoryLevel": benchmark_level,
        "RenaissanceBenchmarkCategoryNumberOfLevels": "4",
        "RenaissanceBenchmarkCategoryMinPercentileRank": benchmark_min,
        "RenaissanceBenchmarkCategoryMaxPercentileRank": benchmark_max,
        "DistrictBenchmarkCategoryName": benchmark_name,
        "DistrictBenchmarkProficient": proficient,
        "DistrictBenchmarkCategoryLevel": benchmark_level,
        "DistrictBenchmarkNumberOfCategoryLevels": "4",
        "DistrictBenchmarkMinPercentileRank": benchmark_min,
        "DistrictBenchmarkMaxPercentileRank": benchmark_max,
        "SchoolBenchmarkCategoryName": benchmark_name,
        "SchoolBenchmarkProficient": proficient,
        "SchoolBenchmarkCategoryLevel": benchmark_level,
        "SchoolBenchmarkNumberOfCategoryLevels": "4",
        "SchoolBenchmarkMinPercentileRank": benchmark_min,
        "SchoolBenchmarkMaxPercentileRank": benchmark_max,
        "TakenAt": "school",
        "StudentDisplayID": StudentText.take(text.local_id, student),
        "TeacherDisplayID": csvtext.lookup(teachers.staff_id, teacher),
    }
    if measure == "star_reading":
        lexile = (np.rint((score - 890) * 4.2 / 5) * 5).astype(np.int64)
        cells["InstructionalReadingLevel"] = pc.if_else(pa.array(grade_equivalent < 1), "PP", _tenths(grade_equivalent))
        cells["EstimatedOralReadingFluency"] = pc.if_else(
            pa.array(grade <= 4), csvtext.integers(np.clip(np.rint(40 * grade_equivalent), 0, 220)), ""
        )
        cells["LowerZoneOfProximalDevelopment"] = _tenths(np.maximum(grade_equivalent - 0.5, 0.1))
        cells["UpperZoneOfProximalDevelopment"] = _tenths(grade_equivalent + 0.6)
        cells["Lexile"] = _lexile_text(lexile)
    elif measure == "star_math":
        quantile = (np.rint((score - 900) * 4.5 / 5) * 5).astype(np.int64)
        cells["Quantile"] = pc.if_else(
            pa.array(quantile <= 0),
            csvtext.join("EM", csvtext.integers(np.maximum(-quantile, 5)), "Q"),
            csvtext.join(csvtext.integers(quantile), "Q"),
        )
    else:
        cells["LiteracyClassification"] = csvtext.lookup(LITERACY_CLASSES, np.searchsorted([700, 775, 850], score, side="right"))
        cells["EstimatedOralReadingFluency"] = pc.if_else(
            pa.array(grade >= 1), csvtext.integers(np.clip(np.rint((score - 700) / 4), 0, 120)), ""
        )
        lexile = (np.rint((score - 850) * 4 / 5) * 5).astype(np.int64)
        cells["Lexile"] = _lexile_text(lexile)

    unknown = set(cells) - set(header)
    if unknown:
        raise AssertionError(f"columns not in the Star {member} header: {sorted(unknown)}")
    sink = io.BytesIO()
    sink.write(csvtext.header_line(header, "\r\n"))
    csvtext.write_rows(sink, [cells.get(c, "") for c in header], n, quote_all=False, eol="\r\n")

    truth = pa.table(
        {
            "source_row": pa.array(np.arange(n, dtype=np.int64) + 2),
            "local_student_id": cells["StudentSourcedID"],
            "school_id": csvtext.lookup([str(schools.school_id[school])], np.zeros(n, dtype=np.int64)),
            "school_year": pa.array(np.full(n, plan.school_year, dtype=np.int64)),
            "window_name": csvtext.lookup(WINDOW_NAMES, window),
            "assessment_date": pa.array(day.astype("datetime64[D]")).cast(pa.date32()),
            "enrolled_grade": pa.array(grade.astype(np.int64)),
            # Star is adaptive with no grade form: the grade it records is the enrolled grade
            "instructional_grade": pa.array(grade.astype(np.int64)),
            "measure_id": csvtext.lookup([measure], np.zeros(n, dtype=np.int64)),
            "scale_score": pa.array(score.astype(np.float64)),
            "percentile": pa.array(percentile),
            "is_retest": pa.array(np.zeros(n, dtype=bool)),
            "performance_level": benchmark_name,
        }
    )
    return sink.getvalue(), truth, n


def _lexile_text(lexile: np.ndarray) -> pa.Array:
    """'415L', or 'BR400L' for a beginning reader (BR values stop at 400)."""
    return pc.if_else(
        pa.array(lexile <= 0),
        csvtext.join("BR", csvtext.integers(np.clip(-lexile, 5, 400)), "L"),
        csvtext.join(csvtext.integers(lexile), "L"),
    )


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    """The district's Star zip for the last school year (one SourceFile per member); nothing for earlier years."""
    if plan.school_year != district.school_years[-1]:
        return []
    school = chosen_school(district)
    archive = zip_path(district)
    target = landing / archive
    target.parent.mkdir(parents=True, exist_ok=True)
    # a fixed timestamp inside the archive keeps the same arguments giving the same bytes
    exported = (plan.school_year, 6, 10, 5, 0, 0)
    out = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for product_number, product in enumerate(PRODUCTS):
            data, truth, n = _write_product(district, plan, product_number, school, rng)
            zipped.writestr(zipfile.ZipInfo(product[0], date_time=exported), data, compress_type=zipfile.ZIP_DEFLATED)
            path = f"{archive}/{product[0]}"
            truth = truth.append_column("source_file", csvtext.lookup([path], np.zeros(n, dtype=np.int64)))
            out.append(SourceFile(path, n, with_truth_schema(truth)))
    return out
