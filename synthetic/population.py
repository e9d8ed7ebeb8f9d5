"""Schools, students and their enrollment history for the synthetic district.

Every student attribute is a numpy array indexed by the student's position; nothing here
loops over students.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from .calendar import SchoolYearCalendar
from .names import FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES, SCHOOL_PLACE_NAMES

GRADES = tuple(range(0, 9))  # K..8

RACES = (
    "hispanic_or_latino",
    "american_indian_or_alaska_native",
    "asian",
    "black_or_african_american",
    "native_hawaiian_or_other_pacific_islander",
    "white",
    "two_or_more_races",
)
RACE_SHARES = (0.28, 0.01, 0.06, 0.14, 0.01, 0.45, 0.05)
# Share economically disadvantaged by race/ethnicity; overall about one half.
ECONOMIC_DISADVANTAGE_RATE = (0.68, 0.65, 0.35, 0.68, 0.55, 0.37, 0.45)

LANGUAGES = ("English", "Spanish", "Vietnamese", "Chinese", "Hmong", "Somali", "Arabic", "Russian")
# Home language shares by race/ethnicity (rows follow RACES, columns LANGUAGES).
HOME_LANGUAGE_SHARES = (
    (0.45, 0.55, 0, 0, 0, 0, 0, 0),
    (1, 0, 0, 0, 0, 0, 0, 0),
    (0.45, 0, 0.20, 0.15, 0.12, 0, 0.08, 0),
    (0.88, 0, 0, 0, 0, 0.10, 0.02, 0),
    (1, 0, 0, 0, 0, 0, 0, 0),
    (0.95, 0, 0, 0, 0, 0, 0.02, 0.03),
    (0.97, 0.03, 0, 0, 0, 0, 0, 0),
)
ENGLISH_LEARNER_RATE_OTHER_LANGUAGE = 0.52
ENGLISH_LEARNER_RATE_ENGLISH = 0.004
DISABILITY_RATE = {"female": 0.11, "male": 0.17}

# Latent achievement (national z-score) shifts by group, per subject.
ABILITY_SHIFTS = {
    "reading": {"intercept": 0.15, "econ": -0.30, "el": -0.45, "disability": -0.65, "female": 0.08},
    "math": {"intercept": 0.15, "econ": -0.30, "el": -0.30, "disability": -0.60, "female": -0.03},
}
ABILITY_NOISE_SD = 0.93
ABILITY_CORRELATION = 0.7

WORKING_BELOW_GRADE_SCALE = 0.10  # mean share ~5%: 0.10 * E[Phi(-1.5 * reading)]
TWO_GRADES_BELOW_SHARE = 0.12
MOVER_RATE = 0.03
LATE_ENTRY_RATE = 0.03  # born a year before the usual cohort window


@dataclass
class Schools:
    school_id: np.ndarray  # state school ID (str)
    name: np.ndarray  # str
    low_grade: np.ndarray
    high_grade: np.ndarray
    kind: np.ndarray  # 'elementary' | 'k8' | 'middle'
    poverty: np.ndarray  # propensity that draws economically disadvantaged families
    capacity: np.ndarray
    feeder: np.ndarray  # elementary -> middle school index; others -> themselves

    @property
    def count(self) -> int:
        return len(self.school_id)

    def serves(self) -> np.ndarray:
        """serves[school, grade] for grades K..8."""
        g = np.arange(9)
        return (g[None, :] >= self.low_grade[:, None]) & (g[None, :] <= self.high_grade[:, None])

    def grade_span(self) -> list[str]:
        return [f"{'K' if lo == 0 else lo}-{hi}" for lo, hi in zip(self.low_grade, self.high_grade)]


def build_schools(n_schools: int, state_district_id: str, rng: np.random.Generator) -> Schools:
    """Elementary (K-5), middle (6-8) and one K-8 school; each elementary feeds a middle school."""
    if n_schools < 1:
        raise ValueError("schools must be at least 1")
    if n_schools > 899:
        raise ValueError("schools must be at most 899 (three-digit school numbers)")
    if n_schools == 1:
        kinds = ["k8"]
    elif n_schools == 2:
        kinds = ["elementary", "middle"]
    else:
        n_middle = max(1, round((n_schools - 1) / 4))
        kinds = ["elementary"] * (n_schools - 1 - n_middle) + ["k8"] + ["middle"] * n_middle
    kinds_arr = np.array(kinds)
    low = np.where(kinds_arr == "middle", 6, 0)
    high = np.where(kinds_arr == "elementary", 5, 8)
    suffix = {"elementary": "Elementary School", "k8": "K-8 School", "middle": "Middle School"}
    places = [SCHOOL_PLACE_NAMES[i % len(SCHOOL_PLACE_NAMES)] for i in rng.permutation(n_schools)]
    names = []
    for i, (place, kind) in enumerate(zip(places, kinds)):
        repeat = i // len(SCHOOL_PLACE_NAMES)
        names.append(f"{place} {suffix[kind]}" + (f" {repeat + 1}" if repeat else ""))
    school_ids = np.array([f"{state_district_id}{101 + i:03d}" for i in range(n_schools)])
    entry = kinds_arr != "middle"
    poverty = np.zeros(n_schools)
    poverty[entry] = rng.permutation(np.linspace(0.25, 0.8, int(entry.sum())))
    middles = np.flatnonzero(kinds_arr == "middle")
    feeder = np.arange(n_schools)
    elementary = np.flatnonzero(kinds_arr == "elementary")
    if len(middles):
        feeder[elementary] = middles[np.arange(len(elementary)) % len(middles)]
        for m in middles:
            fed = elementary[feeder[elementary] == m]
            poverty[m] = poverty[fed].mean() if len(fed) else 0.5
    capacity = rng.uniform(0.75, 1.25, n_schools)
    return Schools(school_ids, np.array(names), low, high, kinds_arr, poverty, capacity, feeder)


@dataclass
class Students:
    local_id: np.ndarray  # int64, 7 digits
    state_id: np.ndarray  # int64, 10 digits
    first_name: np.ndarray  # str
    middle_name: np.ndarray  # str ('' when none)
    last_name: np.ndarray  # str
    is_female: np.ndarray
    birth_date: np.ndarray  # datetime64[D]
    race: np.ndarray  # index into RACES
    is_econ: np.ndarray
    is_el: np.ndarray
    has_disability: np.ndarray
    home_language: np.ndarray  # index into LANGUAGES
    k_year: np.ndarray  # school year in which the student is (or was) in kindergarten
    home_school: np.ndarray  # the school the family's address draws (an entry school)
    reading: np.ndarray  # latent achievement, national z
    math: np.ndarray
    reading_growth: np.ndarray  # multiplier of typical growth
    math_growth: np.ndarray
    grades_below: np.ndarray  # 0, 1 or 2: grades below the enrolled grade the student works at

    @property
    def count(self) -> int:
        return len(self.local_id)


def _categorical(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row of a (rows x categories) probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(probabilities))[:, None]
    return np.minimum((u > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def build_students(
    n_students: int, school_years: list[int], schools: Schools, rng: np.random.Generator
) -> Students:
    """The first year's K-8 population (n_students) plus a new kindergarten cohort each later year."""
    first_year = school_years[0]
    per_grade = rng.multinomial(n_students, np.full(9, 1 / 9))
    cohort_size = max(1, round(n_students / 9))
    # Cohorts ordered by kindergarten year, oldest first: local IDs increase with entry.
    k_years = [first_year - g for g in range(8, -1, -1)] + school_years[1:]
    sizes = [per_grade[g] for g in range(8, -1, -1)] + [cohort_size] * (len(school_years) - 1)
    k_year = np.repeat(np.array(k_years, dtype=np.int64), sizes)
    n = len(k_year)

    local_id = np.sort(rng.choice(9_000_000, size=n, replace=False)) + 1_000_000
    state_id = rng.choice(9_000_000_000, size=n, replace=False) + 1_000_000_000

    is_female = rng.random(n) < 0.49
    first_idx = rng.integers(0, len(FEMALE_FIRST_NAMES), n)
    first_name = np.where(
        is_female,
        np.array(FEMALE_FIRST_NAMES)[first_idx % len(FEMALE_FIRST_NAMES)],
        np.array(MALE_FIRST_NAMES)[first_idx % len(MALE_FIRST_NAMES)],
    )
    middle_idx = rng.integers(0, len(FEMALE_FIRST_NAMES), n)
    middle_name = np.where(
        rng.random(n) < 0.7,
        np.where(is_female, np.array(FEMALE_FIRST_NAMES)[middle_idx], np.array(MALE_FIRST_NAMES)[middle_idx]),
        "",
    )
    last_name = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]

    # Kindergarten in school year Y: five years old on September 1 of the autumn.
    window_start = np.array([f"{y - 7}-09-02" for y in k_years], dtype="datetime64[D]")
    birth_date = np.repeat(window_start, sizes) + rng.integers(0, 365, n)
    birth_date = birth_date - np.where(rng.random(n) < LATE_ENTRY_RATE, 365, 0)

    race = rng.choice(len(RACES), size=n, p=np.array(RACE_SHARES) / sum(RACE_SHARES))
    is_econ = rng.random(n) < np.array(ECONOMIC_DISADVANTAGE_RATE)[race]
    home_language = _categorical(rng, np.array(HOME_LANGUAGE_SHARES, dtype=float)[race])
    el_rate = np.where(home_language == 0, ENGLISH_LEARNER_RATE_ENGLISH, ENGLISH_LEARNER_RATE_OTHER_LANGUAGE)
    is_el = rng.random(n) < el_rate
    has_disability = rng.random(n) < np.where(is_female, DISABILITY_RATE["female"], DISABILITY_RATE["male"])

    # Families settle where schools have room; poorer families more often near high-poverty schools.
    entry_schools = np.flatnonzero(schools.low_grade == 0)
    weight_econ = schools.capacity[entry_schools] * schools.poverty[entry_schools]
    weight_other = schools.capacity[entry_schools] * (1 - schools.poverty[entry_schools])
    home_school = np.where(
        is_econ,
        entry_schools[rng.choice(len(entry_schools), n, p=weight_econ / weight_econ.sum())],
        entry_schools[rng.choice(len(entry_schools), n, p=weight_other / weight_other.sum())],
    )

    noise = rng.multivariate_normal(
        [0, 0], [[1, ABILITY_CORRELATION], [ABILITY_CORRELATION, 1]], size=n, method="cholesky"
    ) * ABILITY_NOISE_SD
    abilities = {}
    for column, subject in enumerate(("reading", "math")):
        s = ABILITY_SHIFTS[subject]
        abilities[subject] = (
            s["intercept"]
            + s["econ"] * is_econ
            + s["el"] * is_el
            + s["disability"] * has_disability
            + s["female"] * np.where(is_female, 1.0, -1.0)
            + noise[:, column]
        )
    reading_growth = rng.normal(1.0, 0.3, n) - 0.05 * is_econ
    math_growth = rng.normal(1.0, 0.3, n) - 0.05 * is_econ

    below = rng.random(n) < WORKING_BELOW_GRADE_SCALE * ndtr(-1.5 * abilities["reading"])
    grades_below = np.where(below, np.where(rng.random(n) < TWO_GRADES_BELOW_SHARE, 2, 1), 0)

    return Students(
        local_id=local_id,
        state_id=state_id,
        first_name=first_name,
        middle_name=middle_name,
        last_name=last_name,
        is_female=is_female,
        birth_date=birth_date,
        race=race,
        is_econ=is_econ,
        is_el=is_el,
        has_disability=has_disability,
        home_language=home_language,
        k_year=k_year,
        home_school=home_school,
        reading=abilities["reading"],
        math=abilities["math"],
        reading_growth=reading_growth,
        math_growth=math_growth,
        grades_below=grades_below,
    )


@dataclass
class YearEnrollment:
    """Who is enrolled in one school year, where, and (for movers) when they changed school."""

    school_year: int
    calendar: SchoolYearCalendar
    student: np.ndarray  # student positions
    grade: np.ndarray
    first_school: np.ndarray  # school at the start of the year
    last_school: np.ndarray  # school at the end of the year (differs for movers)
    move_date: np.ndarray  # datetime64[D]; NaT when the student did not move
    is_mover: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.is_mover = self.first_school != self.last_school

    def school_on(self, rows: np.ndarray, days: np.ndarray) -> np.ndarray:
        """School of enrolled rows `rows` on `days`."""
        moved = self.is_mover[rows] & (days >= self.move_date[rows])
        return np.where(moved, self.last_school[rows], self.first_school[rows])


def enroll_years(
    students: Students, schools: Schools, school_years: list[int], rng: np.random.Generator
) -> list[YearEnrollment]:
    """Year-by-year enrollment: one grade up per year, elementary feeds middle, ~3% move in winter."""
    serves = schools.serves()
    current = np.full(students.count, -1)
    out = []
    for year in school_years:
        calendar = SchoolYearCalendar.build(year)
        grade_all = year - students.k_year
        student = np.flatnonzero((grade_all >= 0) & (grade_all <= 8))
        grade = grade_all[student]
        previous = current[student]
        origin = np.where(previous >= 0, previous, students.home_school[student])
        first_school = np.where(serves[origin, grade], origin, schools.feeder[origin])

        last_school = first_school.copy()
        move_date = np.full(len(student), np.datetime64("NaT"), dtype="datetime64[D]")
        moving = rng.random(len(student)) < MOVER_RATE
        move_days = calendar.move_days()
        for g in GRADES:
            options = np.flatnonzero(serves[:, g])
            rows = np.flatnonzero(moving & (grade == g))
            if len(options) < 2 or len(rows) == 0:
                continue
            position = np.searchsorted(options, first_school[rows])
            pick = rng.integers(0, len(options) - 1, len(rows))
            last_school[rows] = options[pick + (pick >= position)]
            move_date[rows] = move_days[rng.integers(0, len(move_days), len(rows))]
        current[student] = last_school
        out.append(YearEnrollment(year, calendar, student, grade, first_school, last_school, move_date))
    return out
