"""aimswebPlus score export (aimsweb/<YYYYMMDD>_ExportScore.csv): the last school year, one
school (the district's first elementary school), fall, winter and spring benchmarks, long format.

Each tested student gets, per period, a reading battery row (Early Literacy in K-1, Reading from
grade 2) with its component rows (Letter Naming Fluency in K, Oral Reading Fluency in grades 1-3)
and a math battery row (Early Numeracy in K-1, Math from grade 2) with Number Naming Fluency (K-1)
or Number Sense Fluency (2-8). Scores follow the student's latent level against synthetic
national norms (a mean per grade and period and a spread per grade; the composites are on an
illustrative 0-1000 scale); `Natl` is the percentile of the score in those norms, and the
performance level is its aimswebPlus band. Written as comma-separated UTF-8, quoted as needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr

from ingestion.formats.headers import AIMSWEB_PLUS_HEADER

from . import csvtext
from .calendar import WINDOW_NAMES
from .context import GRADE_TEXT, District, SourceFile, StudentText, YearPlan, class_sourced_ids, class_title, latent_z

# Benchmark testing ranges (month, day) per window, inside the configured windows.
AIMSWEB_TESTING = (((9, 8), (9, 30)), ((1, 8), (1, 31)), ((5, 4), (5, 22)))
DATE_FORMAT = "%m/%d/%Y"
PERCENTILE_BANDS = (11, 26, 75, 90)  # lowest percentile of each band above Well Below Average
LEVELS = ("Well Below Average", "Below Average", "Average", "Above Average", "Well Above Average")
RISK_STATUS = ("HIGH", "MODERATE", "LOW")
OCCASION_NOISE = 0.25

_G = np.arange(9)[:, None]
_W = np.arange(3)[None, :]


def _table(rows: dict[int, tuple[float, float, float]]) -> np.ndarray:
    out = np.zeros((9, 3))
    for grade, means in rows.items():
        out[grade] = means
    return out


# measure id -> (MeasureName, RelatedForm, subject, is battery, grades, mean [grade, period], sd [grade], highest score)
MEASURES = {
    "aimsweb_early_literacy": (
        "Early Literacy", "ELB", "reading", True, (0, 1), 240 + 25 * _G + 12 * _W + 0.0, np.full(9, 40.0), 1000,
    ),
    "aimsweb_reading": (
        "Reading", "READB", "reading", True, tuple(range(2, 9)), 240 + 25 * _G + 12 * _W + 0.0, np.full(9, 40.0), 1000,
    ),
    "aimsweb_lnf": (
        "Letter Naming Fluency", "LNF", "reading", False, (0,), _table({0: (15, 32, 42)}), np.full(9, 14.0), 150,
    ),
    "aimsweb_orf": (
        "Oral Reading Fluency", "ORF", "reading", False, (1, 2, 3),
        _table({1: (15, 35, 55), 2: (55, 75, 90), 3: (80, 95, 110)}), np.array([1, 25, 35, 35, 1, 1, 1, 1, 1.0]), 300,
    ),
    "aimsweb_early_numeracy": (
        "Early Numeracy", "ENB", "math", True, (0, 1), 240 + 25 * _G + 12 * _W + 0.0, np.full(9, 40.0), 1000,
    ),
    "aimsweb_math": (
        "Math", "MATHB", "math", True, tuple(range(2, 9)), 240 + 25 * _G + 12 * _W + 0.0, np.full(9, 40.0), 1000,
    ),
    "aimsweb_nnf": (
        "Number Naming Fluency", "NNF", "math", False, (0, 1), _table({0: (15, 30, 40), 1: (40, 50, 58)}),
        np.full(9, 14.0), 150,
    ),
    "aimsweb_nsf": (
        "Number Sense Fluency", "NSF", "math", False, tuple(range(2, 9)), 10 + 3 * (_G - 2) + 4 * _W + 0.0,
        np.full(9, 7.0), 150,
    ),
}


def file_name(plan: YearPlan) -> str:
    export_day = np.busday_offset(np.datetime64(f"{plan.school_year}-06-10"), 0, roll="forward")
    return f"{str(export_day).replace('-', '')}_ExportScore.csv"


def chosen_school(district: District) -> int:
    """The school that screens with aimswebPlus: the first elementary school, else the first K school."""
    elementary = np.flatnonzero(district.schools.kind == "elementary")
    return int(elementary[0]) if len(elementary) else int(np.flatnonzero(district.schools.low_grade == 0)[0])


def level_index(percentile: np.ndarray) -> np.ndarray:
    """0..4: Well Below Average (1-10) .. Well Above Average (90-99)."""
    return np.searchsorted(PERCENTILE_BANDS, percentile, side="right")


def _simulate(district: District, plan: YearPlan, school: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One event per file row: student row, period, day, measure position, score and percentile."""
    enrollment = plan.enrollment
    parts: dict[str, list[np.ndarray]] = {}
    for window, days in enumerate(enrollment.calendar.testing_days(AIMSWEB_TESTING)):
        rows = np.flatnonzero(plan.tested[window])
        day = days[rng.integers(0, len(days), len(rows))]
        here = enrollment.school_on(rows, day) == school
        rows, day = rows[here], day[here]
        grade = enrollment.grade[rows]
        latent = {
            subject: latent_z(district, plan, rows, subject, window) + rng.normal(0, OCCASION_NOISE, len(rows))
            for subject in ("reading", "math")
        }
        for position, (_, _, subject, is_battery, grades, mean, sd, highest) in enumerate(MEASURES.values()):
            loading = 0.95 if is_battery else 0.8
            at = np.flatnonzero(np.isin(grade, grades))
            z = loading * latent[subject][at] + np.sqrt(1 - loading**2) * rng.normal(0, 1, len(at))
            g = grade[at]
            score = np.clip(np.rint(mean[g, window] + sd[g] * z), 0, highest)
            percentile = np.clip(np.rint(100 * ndtr((score - mean[g, window]) / sd[g])), 1, 99)
            for key, value in (
                ("row", rows[at]),
                ("window", np.full(len(at), window)),
                ("day", day[at]),
                ("measure", np.full(len(at), position)),
                ("score", score),
                ("percentile", percentile),
            ):
                parts.setdefault(key, []).append(value)
    return {key: np.concatenate(value) for key, value in parts.items()}


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    """Write the last school year's score export; other years get none."""
    if plan.school_year != district.school_years[-1]:
        return []
    school = chosen_school(district)
    events = _simulate(district, plan, school, rng)
    enrollment = plan.enrollment
    students, schools, teachers, text = district.students, district.schools, district.teachers, district.text
    student = enrollment.student[events["row"]]
    order = np.lexsort((events["measure"], students.local_id[student], events["window"]))
    events = {key: value[order] for key, value in events.items()}
    student = student[order]
    n = len(order)
    grade = enrollment.grade[events["row"]]
    measure = events["measure"]
    specs = list(MEASURES.values())
    is_battery = np.array([spec[3] for spec in specs])[measure]
    teacher = teachers.of[school, grade]
    level = level_index(events["percentile"])
    # Fluency measures report errors and accuracy; batteries do not.
    errors = rng.poisson(np.where(is_battery, 0, 3))
    accuracy = np.rint(100 * events["score"] / np.maximum(events["score"] + errors, 1)).astype(np.int64)

    unsynced = students.local_id[student] % 10 == 3
    cells: dict[str, csvtext.Column] = {
        "DistrictUID": district.config.state_district_id,
        "DistrictName": district.config.name,
        "SchoolUID": str(schools.school_id[school]),
        "SchoolName": str(schools.name[school]),
        "SchoolLevel": "Elementary",
        "ClassUID": csvtext.lookup(class_sourced_ids(schools, plan.school_year)[school * 9 : school * 9 + 9], grade),
        "ClassName": csvtext.lookup([class_title(g) for g in range(9)], grade),
        "TeacherUID": csvtext.lookup(teachers.staff_id, teacher),
        "TeacherFirstName": csvtext.lookup(teachers.first_name, teacher),
        "TeacherLastName": csvtext.lookup(teachers.last_name, teacher),
        # aimswebPlus keys students by its own uid; the district's IDs ride along in SSID and
        # SourceID, except for students never synced from the SIS (about 1 in 10 here), whom
        # only the district's crosswalk file ties to the roster
        "Studentuid": pa.array(np.char.add("PS", (students.local_id[student] * 7 + 130000013).astype(str))),
        "SSID": pc.if_else(pa.array(unsynced), "", StudentText.take(text.state_id, student)),
        "SourceID": pc.if_else(pa.array(unsynced), "", StudentText.take(text.local_id, student)),
        "StudentFirstName": StudentText.take(text.first_name, student),
        "StudentMiddleName": StudentText.take(text.middle_name, student),
        "StudentLastName": StudentText.take(text.last_name, student),
        "StudentGrade": csvtext.lookup(GRADE_TEXT, grade),
        "DOB": csvtext.dates(students.birth_date[student], DATE_FORMAT),
        "Gender": csvtext.lookup(("M", "F"), students.is_female[student].astype(np.int64)),
        "ESL": csvtext.lookup(("N", "Y"), students.is_el[student].astype(np.int64)),
        "IDEA": csvtext.lookup(("N", "Y"), students.has_disability[student].astype(np.int64)),
        "MealStatus": csvtext.lookup(("Paid", "Free"), students.is_econ[student].astype(np.int64)),
        "Period": csvtext.lookup(WINDOW_NAMES, events["window"]),
        "Type": "BM",
        "IsBatteryScore": csvtext.lookup(("0", "1"), is_battery.astype(np.int64)),
        "RelatedForm": csvtext.lookup([spec[1] for spec in specs], measure),
        "MeasureName": csvtext.lookup([spec[0] for spec in specs], measure),
        "MeasureGrade": csvtext.lookup(GRADE_TEXT, grade),
        "FormCode": csvtext.join(
            "DRF_", csvtext.lookup([spec[1] for spec in specs], measure),
            csvtext.lookup([f"{g:02d}" for g in range(9)], grade),
            csvtext.lookup(["01", "02", "03"], events["window"]),
        ),
        "Score": csvtext.integers(events["score"]),
        "Errors": pc.if_else(pa.array(is_battery), "", csvtext.integers(errors)),
        "Accuracy": pc.if_else(pa.array(is_battery), "", csvtext.join(csvtext.integers(accuracy), "%")),
        "AdministrationDate": csvtext.dates(events["day"], DATE_FORMAT),
        "SchoolYear": f"'{(plan.school_year - 1) % 100:02d}-'{plan.school_year % 100:02d}",
        "Natl": csvtext.integers(events["percentile"]),
        "RiskStatus": pc.if_else(
            pa.array(is_battery), csvtext.lookup(RISK_STATUS, np.minimum(level, 2)), ""
        ),
    }
    unknown = set(cells) - set(AIMSWEB_PLUS_HEADER)
    if unknown:
        raise AssertionError(f"columns not in the aimswebPlus header: {sorted(unknown)}")

    path = f"aimsweb/{file_name(plan)}"
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        sink.write(csvtext.header_line(AIMSWEB_PLUS_HEADER, "\n"))
        csvtext.write_rows(sink, [cells.get(c, "") for c in AIMSWEB_PLUS_HEADER], n, quote_all=False)

    truth = pa.table(
        {
            "source_file": csvtext.lookup([path], np.zeros(n, dtype=np.int64)),
            "source_row": pa.array(np.arange(n, dtype=np.int64) + 2),
            "local_student_id": StudentText.take(text.local_id, student),
            "school_id": csvtext.lookup([str(schools.school_id[school])], np.zeros(n, dtype=np.int64)),
            "school_year": pa.array(np.full(n, plan.school_year, dtype=np.int64)),
            "window_name": cells["Period"],
            "assessment_date": pa.array(events["day"].astype("datetime64[D]")).cast(pa.date32()),
            "enrolled_grade": pa.array(grade.astype(np.int64)),
            "instructional_grade": pa.array(grade.astype(np.int64)),
            "measure_id": csvtext.lookup(list(MEASURES), measure),
            "scale_score": pa.array(events["score"].astype(np.float64)),
            "percentile": pa.array(events["percentile"].astype(np.int64)),
            "is_retest": pa.array(np.zeros(n, dtype=bool)),
            "performance_level": csvtext.lookup(LEVELS, level),
        }
    )
    # the district's crosswalk for the unsynced students: one line per student
    unsynced_students = np.unique(student[unsynced])
    crosswalk = "crosswalk/aimsweb_student_ids.csv"
    (landing / crosswalk).parent.mkdir(parents=True, exist_ok=True)
    with open(landing / crosswalk, "wb") as sink:
        sink.write(csvtext.header_line(["id_system", "vendor_student_id", "local_student_id"], "\n"))
        csvtext.write_rows(
            sink,
            [
                "aimswebplus",
                pa.array(np.char.add("PS", (students.local_id[unsynced_students] * 7 + 130000013).astype(str))),
                StudentText.take(text.local_id, unsynced_students),
            ],
            len(unsynced_students),
            quote_all=False,
        )
    return [SourceFile(path, n, truth), SourceFile(crosswalk, len(unsynced_students))]
