"""What every file writer of the synthetic district needs: the district, its schools and
students (with their text columns prepared once), and the year's testing plan."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import csvtext
from .calendar import DistrictConfig
from .names import FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES
from .population import Schools, Students, YearEnrollment

TRUTH_RESULT_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("local_student_id", pa.string()),
        ("school_id", pa.string()),
        ("school_year", pa.int64()),
        ("window_name", pa.string()),
        ("assessment_date", pa.date32()),
        ("enrolled_grade", pa.int64()),
        ("instructional_grade", pa.int64()),
        ("measure_id", pa.string()),
        ("scale_score", pa.float64()),
        ("percentile", pa.int64()),
        ("is_retest", pa.bool_()),
        # the performance level the file states or its cut scores give; null where not known
        ("performance_level", pa.string()),
    ]
)


@dataclass
class SourceFile:
    """One file a writer put in the landing folder: its path under the landing root, its data
    rows, and its truth rows in TRUTH_RESULT_SCHEMA (None for a file whose rows do not become
    assessment results, e.g. progress-monitoring probes or intervention records)."""

    path: str
    rows: int
    truth: pa.Table | None = None


def with_truth_schema(truth: pa.Table) -> pa.Table:
    """A truth table in TRUTH_RESULT_SCHEMA, the columns a writer leaves out filled with nulls."""
    columns = [
        truth[field.name].cast(field.type) if field.name in truth.column_names else pa.nulls(truth.num_rows, field.type)
        for field in TRUTH_RESULT_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=TRUTH_RESULT_SCHEMA)

GRADE_TEXT = ("K", "1", "2", "3", "4", "5", "6", "7", "8")
# OneRoster grade codes (CEDS): KG, 01, 02, ...
ONEROSTER_GRADE = ("KG", "01", "02", "03", "04", "05", "06", "07", "08")
# Growth time since the start of kindergarten at each window, in years.
WINDOW_YEAR_FRACTION = (0.1, 0.45, 0.8)
GROWTH_DRIFT_PER_YEAR = 0.1


class StudentText:
    """Per-student text columns, built once and taken by student position."""

    def __init__(self, students: Students) -> None:
        self.local_id = csvtext.integers(students.local_id)
        self.state_id = csvtext.integers(students.state_id)
        self.first_name = pa.array(students.first_name, pa.string())
        self.last_name = pa.array(students.last_name, pa.string())
        self.middle_name = pa.array(students.middle_name, pa.string())
        self.middle_initial = pc.utf8_slice_codeunits(self.middle_name, 0, 1)

    @staticmethod
    def take(column: pa.Array, positions: np.ndarray) -> pa.Array:
        return column.take(pa.array(np.asarray(positions, dtype=np.int64)))


@dataclass
class Teachers:
    """One homeroom teacher per school and grade served, the same every year."""

    staff_id: np.ndarray  # str
    first_name: np.ndarray
    last_name: np.ndarray
    school: np.ndarray
    grade: np.ndarray
    of: np.ndarray  # [school, grade] -> teacher position, -1 where the school does not serve the grade


def build_teachers(schools: Schools, rng: np.random.Generator) -> Teachers:
    school, grade = np.nonzero(schools.serves())
    n = len(school)
    is_female = rng.random(n) < 0.75
    first = np.where(
        is_female,
        np.array(FEMALE_FIRST_NAMES)[rng.integers(0, len(FEMALE_FIRST_NAMES), n)],
        np.array(MALE_FIRST_NAMES)[rng.integers(0, len(MALE_FIRST_NAMES), n)],
    )
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    staff_id = np.array([f"{800001 + i:06d}" for i in range(n)])
    of = np.full((schools.count, 9), -1)
    of[school, grade] = np.arange(n)
    return Teachers(staff_id, first, last, school, grade, of)


def class_title(grade: int) -> str:
    return "Kindergarten Homeroom" if grade == 0 else f"Grade {grade} Homeroom"


def class_sourced_ids(schools: Schools, school_year: int) -> list[str]:
    """Homeroom class sourcedId per (school * 9 + grade)."""
    return [f"cls-{sid}-{ONEROSTER_GRADE[g]}-{school_year}" for sid in schools.school_id for g in range(9)]


@dataclass
class District:
    config: DistrictConfig
    schools: Schools
    students: Students
    teachers: Teachers
    text: StudentText
    school_years: tuple[int, ...] = ()


@dataclass
class YearPlan:
    """One school year: enrollment plus which enrolled students were tested in each window."""

    enrollment: YearEnrollment
    tested: list[np.ndarray]  # per window, bool per enrolled row

    @property
    def school_year(self) -> int:
        return self.enrollment.school_year

    @property
    def label(self) -> str:
        return f"{self.school_year - 1}-{self.school_year}"


def latent_z(district: District, plan: YearPlan, rows: np.ndarray, subject: str, window: int) -> np.ndarray:
    """National z-score of enrolled rows at a window: latent level plus the student's growth drift."""
    students = district.students
    s = plan.enrollment.student[rows]
    level = students.reading[s] if subject == "reading" else students.math[s]
    growth = students.reading_growth[s] if subject == "reading" else students.math_growth[s]
    years_in_school = plan.enrollment.grade[rows] + WINDOW_YEAR_FRACTION[window]
    return level + (growth - 1.0) * GROWTH_DRIFT_PER_YEAR * years_in_school
