"""Amplify mCLASS DIBELS 8 progress-monitoring export with aimline
(mclass/dibels8_PM_<YYYY-YYYY>_<YYYYMMDD>.csv): the last school year only, MOY->EOY.

Who is monitored: students of the district's first two schools that teach kindergarten whose
DIBELS 8 composite was Below or Well Below Benchmark at the middle-of-year benchmark (read from
that year's benchmark export in the landing folder, so the benchmark writer runs first). A
kindergarten form is monitored on Letter Sounds (NWF-CLS), grades 1-3 on Reading Fluency (ORF),
on the form grade the student took at the benchmark.

The trajectory is derivable from the files and the population:

    score = round(baseline + slope * week + noise), clipped at 0

- baseline: the student's middle-of-year benchmark score on the monitored measure (the
  benchmark export's "... - Score" cell of that row);
- week: days since that benchmark's Client Date, divided by 7;
- slope: TYPICAL_WEEKLY_GROWTH[measure][form grade] (Fuchs et al. 1993 realistic weekly
  growth for ORF; about 1.5 sounds a week for kindergarten NWF-CLS) times the student's
  reading growth multiplier (Students.reading_growth, mean 1, sd 0.3), at least 0.1;
- noise: normal, sd PROBE_NOISE_SD[measure].

Probes are weekly, on the same weekday (Tuesday to Friday) for a student, starting the week
after the benchmark; a week whose probe day is a holiday (spring break) has none. Each student
has 8 to 14 probes, all before the end-of-year benchmark window. The goal is the
ambitious target baseline + AMBITIOUS_WEEKLY_GROWTH * weeks from the benchmark to the end-of-year
window; the aimline runs straight from the baseline on the benchmark date to the goal, and
Aimline Status says whether the probe is "At or Above" it or "Below". The file's rows are
probes, not assessment results, so there is no truth table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ingestion.formats.headers import DIBELS8_MEASURE_LABELS, DIBELS8_PM_AIMLINE_HEADER

from . import csvtext
from .calendar import DIBELS_TESTING
from .context import GRADE_TEXT, District, SourceFile, StudentText, YearPlan

MONITORED_SCHOOLS = 2
PM_PERIOD = "MOY->EOY"
MIDDLE_OF_YEAR = "MOY"
AT_RISK_LEVELS = ("Well Below Benchmark", "Below Benchmark")
MIN_PROBES, MAX_PROBES = 8, 14
# [form grade K..3] weekly growth: realistic (typical) and ambitious rates.
TYPICAL_WEEKLY_GROWTH = {"dibels8_nwf_cls": (1.5, 1.5, 1.5, 1.5), "dibels8_orf": (2.0, 2.0, 1.5, 1.0)}
AMBITIOUS_WEEKLY_GROWTH = {"dibels8_nwf_cls": (2.5, 2.5, 2.5, 2.5), "dibels8_orf": (3.0, 3.0, 2.0, 1.5)}
PROBE_NOISE_SD = {"dibels8_nwf_cls": 3.0, "dibels8_orf": 3.0}
MIN_SLOPE = 0.1
# Weeks planned beyond the probes wanted, for the weeks a holiday takes.
SPARE_WEEKS = 2
_MONITORED = ("dibels8_nwf_cls", "dibels8_orf")
_SCORE_COLUMN = {m: f"{DIBELS8_MEASURE_LABELS[m]} - Score" for m in _MONITORED}
_BENCHMARK_COLUMNS = [
    "Student Primary ID", "Primary School ID", "Benchmark Period", "Composite Level", "Assessment Grade",
    "Enrollment Grade", "Client Date", *_SCORE_COLUMN.values(),
]


def file_name(plan: YearPlan) -> str:
    export_day = np.busday_offset(np.datetime64(f"{plan.school_year}-06-10"), 0, roll="forward")
    return f"dibels8_PM_{plan.label}_{str(export_day).replace('-', '')}.csv"


def monitored_schools(district: District) -> np.ndarray:
    """Positions of the schools whose at-risk K-3 students are monitored."""
    return np.flatnonzero(district.schools.low_grade == 0)[:MONITORED_SCHOOLS]


def _grade_number(text: np.ndarray) -> np.ndarray:
    return np.where(text == "K", "0", text).astype(np.int64)


def _at_risk_students(district: District, plan: YearPlan, landing: Path) -> dict[str, np.ndarray] | None:
    """Middle-of-year benchmark rows of the monitored schools' Below / Well Below students."""
    found = sorted((landing / "mclass").glob(f"dibels8_BM_{plan.label}_*.csv"))
    if not found:
        return None
    table = pacsv.read_csv(
        found[-1],
        convert_options=pacsv.ConvertOptions(
            include_columns=_BENCHMARK_COLUMNS, column_types={c: pa.string() for c in _BENCHMARK_COLUMNS}
        ),
    )
    columns = {name: table[name].to_numpy(zero_copy_only=False).astype(str) for name in _BENCHMARK_COLUMNS}
    schools = district.schools.school_id[monitored_schools(district)]
    keep = (
        (columns["Benchmark Period"] == MIDDLE_OF_YEAR)
        & np.isin(columns["Composite Level"], AT_RISK_LEVELS)
        & np.isin(columns["Primary School ID"], schools)
    )
    rows = {name: values[keep] for name, values in columns.items()}
    form = _grade_number(rows["Assessment Grade"])
    measure = np.where(form == 0, 0, 1)  # position in _MONITORED
    baseline = np.choose(measure, [rows[_SCORE_COLUMN[m]] for m in _MONITORED])
    given = baseline != ""
    return {
        "student": np.searchsorted(district.students.local_id, rows["Student Primary ID"][given].astype(np.int64)),
        "school": np.searchsorted(district.schools.school_id, rows["Primary School ID"][given]),
        "form": form[given],
        "enrolled": _grade_number(rows["Enrollment Grade"][given]),
        "measure": measure[given],
        "baseline": baseline[given].astype(np.float64),
        "benchmark_day": rows["Client Date"][given].astype("datetime64[D]"),
    }


def _probes(district: District, plan: YearPlan, monitored: dict[str, np.ndarray], rng: np.random.Generator):
    """One entry per probe: monitored-student position, probe number, day, score, aimline value."""
    calendar = plan.enrollment.calendar
    end_of_year = calendar.testing_days(DIBELS_TESTING)[2][0]
    m = len(monitored["student"])
    measure = np.array(_MONITORED)[monitored["measure"]]
    form = monitored["form"]
    typical = np.choose(monitored["measure"], [np.asarray(TYPICAL_WEEKLY_GROWTH[k])[form] for k in _MONITORED])
    ambitious = np.choose(monitored["measure"], [np.asarray(AMBITIOUS_WEEKLY_GROWTH[k])[form] for k in _MONITORED])
    noise_sd = np.choose(monitored["measure"], [np.full(m, PROBE_NOISE_SD[k]) for k in _MONITORED])
    slope = np.maximum(typical * district.students.reading_growth[monitored["student"]], MIN_SLOPE)
    benchmark_day = monitored["benchmark_day"]
    weeks_to_goal = (end_of_year - benchmark_day).astype(np.int64) / 7
    goal = np.rint(monitored["baseline"] + ambitious * weeks_to_goal)

    # Weekly days on a fixed weekday (Tuesday..Friday) from the week after the benchmark; a week
    # whose day is a holiday (spring break) has no probe.
    monday = np.busday_offset(benchmark_day, 0, roll="backward", weekmask="Mon")
    weekday = rng.integers(1, 5, m)
    planned = monday[:, None] + 7 * (np.arange(MAX_PROBES + SPARE_WEEKS)[None, :] + 1) + weekday[:, None]
    is_school_day = np.is_busday(planned, holidays=calendar.holidays)
    wanted = rng.integers(MIN_PROBES, MAX_PROBES + 1, m)
    kept = is_school_day & (np.cumsum(is_school_day, axis=1) <= wanted[:, None]) & (planned < end_of_year)
    who, week_index = np.nonzero(kept)
    day = planned[who, week_index]
    probe = np.cumsum(kept, axis=1)[who, week_index] - 1
    week = (day - benchmark_day[who]).astype(np.int64) / 7
    score = np.rint(monitored["baseline"][who] + slope[who] * week + rng.normal(0, noise_sd[who]))
    aimline = np.rint(monitored["baseline"][who] + (goal[who] - monitored["baseline"][who]) * week / weeks_to_goal[who])
    return {
        "who": who,
        "probe": probe + 1,
        "total": kept.sum(axis=1)[who],
        "day": day,
        "score": np.maximum(score, 0),
        "aimline": aimline,
        "goal": goal[who],
        "measure": measure[who],
    }


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    """Write the last school year's MOY->EOY probes of the at-risk students; other years get none."""
    if plan.school_year != district.school_years[-1]:
        return []
    monitored = _at_risk_students(district, plan, landing)
    if monitored is None or len(monitored["student"]) == 0:
        return []
    probes = _probes(district, plan, monitored, rng)
    students, schools, teachers, text = district.students, district.schools, district.teachers, district.text
    local_id = students.local_id[monitored["student"]][probes["who"]]
    order = np.lexsort((probes["probe"], local_id, monitored["school"][probes["who"]]))
    probes = {key: value[order] for key, value in probes.items()}
    who = probes["who"]
    student = monitored["student"][who]
    school = monitored["school"][who]
    enrolled = monitored["enrolled"][who]
    teacher = teachers.of[school, enrolled]
    # mCLASS writes teacher names as "LAST, FIRST".
    teacher_name = np.char.add(
        np.char.add(np.char.upper(teachers.last_name.astype(str)), ", "), np.char.upper(teachers.first_name.astype(str))
    )
    n = len(who)
    sync = np.busday_offset(probes["day"], (rng.random(n) < 0.2).astype(np.int64), roll="forward")

    cells: dict[str, csvtext.Column] = {
        "School Year": plan.label,
        "District Name": district.config.name,
        "District Primary ID": district.config.state_district_id,
        "School Name": csvtext.lookup(schools.name, school),
        "School Primary ID": csvtext.lookup(schools.school_id, school),
        "Student Last Name": StudentText.take(text.last_name, student),
        "Student First Name": StudentText.take(text.first_name, student),
        "Student Primary ID": StudentText.take(text.local_id, student),
        "Enrollment Teacher Name": csvtext.lookup(teacher_name, teacher),
        "Enrollment Teacher Staff ID": csvtext.lookup(teachers.staff_id, teacher),
        "Enrollment Grade": csvtext.lookup(GRADE_TEXT, enrolled),
        "Assessing Teacher Name": csvtext.lookup(teacher_name, teacher),
        "Assessing Teacher Staff ID": csvtext.lookup(teachers.staff_id, teacher),
        "Assessment": "mCLASS",
        "Assessment Edition": "DIBELS 8th Edition",
        "Assessment Grade": csvtext.lookup(GRADE_TEXT, monitored["form"][who]),
        "PM Period": PM_PERIOD,
        "Device Date": csvtext.dates(probes["day"], "%Y-%m-%d"),
        "Sync Date": csvtext.dates(sync, "%Y-%m-%d"),
        "Measure": csvtext.lookup([DIBELS8_MEASURE_LABELS[m] for m in _MONITORED], monitored["measure"][who]),
        "Probe Number": csvtext.integers(probes["probe"]),
        "Total Number of Probes": csvtext.integers(probes["total"]),
        "Score": csvtext.integers(probes["score"]),
        "Aimline Value By Date": csvtext.integers(probes["aimline"]),
        "Aimline Status": csvtext.lookup(
            ("Below", "At or Above"), (probes["score"] >= probes["aimline"]).astype(np.int64)
        ),
        "Goal": csvtext.integers(probes["goal"]),
        "Date of Birth": csvtext.dates(students.birth_date[student], "%Y-%m-%d"),
        "Gender": csvtext.lookup(("M", "F"), students.is_female[student].astype(np.int64)),
        "Special Education": csvtext.lookup(("N", "Y"), students.has_disability[student].astype(np.int64)),
        "Economically Disadvantaged": csvtext.lookup(("N", "Y"), students.is_econ[student].astype(np.int64)),
        "ELL Status": csvtext.lookup(("N", "Y"), students.is_el[student].astype(np.int64)),
        "Secondary Student ID": StudentText.take(text.state_id, student),
    }
    unknown = set(cells) - set(DIBELS8_PM_AIMLINE_HEADER)
    if unknown:
        raise AssertionError(f"columns not in the DIBELS 8 progress-monitoring header: {sorted(unknown)}")

    path = f"mclass/{file_name(plan)}"
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        sink.write(csvtext.UTF8_BOM)
        sink.write(csvtext.header_line(DIBELS8_PM_AIMLINE_HEADER, "\r\n"))
        csvtext.write_rows(sink, [cells.get(c, "") for c in DIBELS8_PM_AIMLINE_HEADER], n, quote_all=False, eol="\r\n")
    return [SourceFile(path, n, None)]
