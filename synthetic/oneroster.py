"""OneRoster bulk CSV export of the synthetic district's SIS, covering every generated year:
version 1.1 (the default) or 1.2, as a folder of CSV files or as one ZIP of them."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.formats.oneroster import ONEROSTER_HEADERS_BY_VERSION

from . import csvtext, oneroster12
from .context import ONEROSTER_GRADE, District, StudentText, class_sourced_ids, class_title
from .population import LANGUAGES, RACES, YearEnrollment

# Race flag columns of demographics.csv, in RACES order (hispanic has its own ethnicity column).
_RACE_FLAG = {
    "american_indian_or_alaska_native": "americanIndianOrAlaskaNative",
    "asian": "asian",
    "black_or_african_american": "blackOrAfricanAmerican",
    "native_hawaiian_or_other_pacific_islander": "nativeHawaiianOrOtherPacificIslander",
    "white": "white",
}
_BOOL = ("false", "true")


def _write(landing: Path, name: str, cells: dict[str, csvtext.Column], n: int, version: str) -> str:
    header = ONEROSTER_HEADERS_BY_VERSION[version][name]
    unknown = set(cells) - set(header)
    if unknown:
        raise AssertionError(f"columns not in the OneRoster {version} {name} header: {sorted(unknown)}")
    path = f"oneroster/{name}"
    target = landing / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as sink:
        sink.write(csvtext.header_line(header, "\n"))
        csvtext.write_rows(sink, [cells.get(c, "") for c in header], n, quote_all=False)
    return path


def _text(values) -> pa.Array:
    return pa.array([str(v) for v in values], pa.string())


def _flags(mask: np.ndarray) -> pa.Array:
    return csvtext.lookup(_BOOL, np.asarray(mask, dtype=np.int64))


def _email_domain(district_name: str) -> str:
    word = re.sub(r"[^a-z0-9]", "", district_name.split()[0].lower()) or "district"
    return f"{word}.example.org"


def _zip_delivery(landing: Path, names: list[str], archive: str, day: np.datetime64) -> None:
    """Move the written files `names` of landing/oneroster/ into the ZIP `archive` (under the
    landing root), dated `day` so that the same district gives the same bytes."""
    folder = landing / "oneroster"
    year, month, date = (int(part) for part in str(day).split("-"))
    with zipfile.ZipFile(landing / archive, "w") as zipped:
        for name in names:
            member = zipfile.ZipInfo(name, date_time=(year, month, date, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            zipped.writestr(member, (folder / name).read_bytes())
            (folder / name).unlink()


def write_oneroster(
    district: District,
    years: list[YearEnrollment],
    landing: Path,
    rng: np.random.Generator,
    roster_version: str = "1.1",
    roster_zip: bool = False,
) -> tuple[dict[str, int], pa.Table, pa.Table]:
    """Write the OneRoster files; return data rows per file, the truth students and enrollments.

    Version 1.1 writes eight files; 1.2 writes users.csv without role and orgSourcedIds and adds
    roles.csv (one primary role per user). With `roster_zip` the files go into
    landing/oneroster/oneroster_<last school day>.zip instead of the folder (rows are counted
    under "<zip path>/<file>", as the loader names archive members). Both versions draw the same
    random numbers, so the rest of the district is the same whatever the roster's form.
    """
    if roster_version not in ONEROSTER_HEADERS_BY_VERSION:
        raise ValueError(f"roster_version must be one of {sorted(ONEROSTER_HEADERS_BY_VERSION)}, not {roster_version!r}")
    schools, students, teachers, text = district.schools, district.students, district.teachers, district.text
    cfg = district.config
    counts: dict[str, int] = {}
    headers = ONEROSTER_HEADERS_BY_VERSION[roster_version]
    district_sid = f"dist-{cfg.state_district_id}"
    school_sid = np.array([f"sch-{s}" for s in schools.school_id])
    domain = _email_domain(cfg.name)

    # manifest
    manifest = oneroster12.MANIFEST_V1P2 if roster_version == "1.2" else [
        ("manifest.version", "1.0"),
        ("oneroster.version", "1.1"),
        ("file.academicSessions", "bulk"),
        ("file.categories", "absent"),
        ("file.classes", "bulk"),
        ("file.classResources", "absent"),
        ("file.courses", "bulk"),
        ("file.courseResources", "absent"),
        ("file.demographics", "bulk"),
        ("file.enrollments", "bulk"),
        ("file.lineItems", "absent"),
        ("file.orgs", "bulk"),
        ("file.resources", "absent"),
        ("file.results", "absent"),
        ("file.users", "bulk"),
    ]
    _write(landing, "manifest.csv", {"propertyName": _text(k for k, _ in manifest), "value": _text(v for _, v in manifest)}, len(manifest), roster_version)
    counts["oneroster/manifest.csv"] = len(manifest)

    # orgs
    n_orgs = schools.count + 1
    _write(
        landing,
        "orgs.csv",
        {
            "sourcedId": _text([district_sid, *school_sid]),
            "name": _text([cfg.name, *schools.name]),
            "type": _text(["district"] + ["school"] * schools.count),
            "identifier": _text([cfg.state_district_id, *schools.school_id]),
            "parentSourcedId": _text([""] + [district_sid] * schools.count),
        },
        n_orgs,
        roster_version,
    )
    counts["oneroster/orgs.csv"] = n_orgs

    # academicSessions: one schoolYear row per year
    school_years = [y.school_year for y in years]
    _write(
        landing,
        "academicSessions.csv",
        {
            "sourcedId": _text(f"ay-{y}" for y in school_years),
            "title": _text(f"{y - 1}-{y}" for y in school_years),
            "type": "schoolYear",
            "startDate": _text(f"{y - 1}-07-01" for y in school_years),
            "endDate": _text(f"{y}-06-30" for y in school_years),
            "schoolYear": _text(school_years),
        },
        len(school_years),
        roster_version,
    )
    counts["oneroster/academicSessions.csv"] = len(school_years)

    # courses and classes: one homeroom per school, grade served and year
    served_school, served_grade = np.nonzero(schools.serves())
    course_rows, class_rows = [], []
    for year in school_years:
        class_ids = class_sourced_ids(schools, year)
        for s, g in zip(served_school, served_grade):
            sid = schools.school_id[s]
            course_id = f"crs-{sid}-{ONEROSTER_GRADE[g]}-{year}"
            course_rows.append((course_id, f"ay-{year}", class_title(g), f"HR-{ONEROSTER_GRADE[g]}", ONEROSTER_GRADE[g], school_sid[s]))
            class_rows.append((class_ids[s * 9 + g], class_title(g), ONEROSTER_GRADE[g], course_id, f"HR-{ONEROSTER_GRADE[g]}", school_sid[s], f"ay-{year}"))
    _write(
        landing,
        "courses.csv",
        {
            "sourcedId": _text(r[0] for r in course_rows),
            "schoolYearSourcedId": _text(r[1] for r in course_rows),
            "title": _text(r[2] for r in course_rows),
            "courseCode": _text(r[3] for r in course_rows),
            "grades": _text(r[4] for r in course_rows),
            "orgSourcedId": _text(r[5] for r in course_rows),
        },
        len(course_rows),
        roster_version,
    )
    counts["oneroster/courses.csv"] = len(course_rows)
    _write(
        landing,
        "classes.csv",
        {
            "sourcedId": _text(r[0] for r in class_rows),
            "title": _text(r[1] for r in class_rows),
            "grades": _text(r[2] for r in class_rows),
            "courseSourcedId": _text(r[3] for r in class_rows),
            "classCode": _text(r[4] for r in class_rows),
            "classType": "homeroom",
            "schoolSourcedId": _text(r[5] for r in class_rows),
            "termSourcedIds": _text(r[6] for r in class_rows),
        },
        len(class_rows),
        roster_version,
    )
    counts["oneroster/classes.csv"] = len(class_rows)

    # Each student's latest enrollment (school at the end of the year, grade).
    last_school = np.full(students.count, -1)
    last_grade = np.full(students.count, -1)
    for year in years:
        last_school[year.student] = year.last_school
        last_grade[year.student] = year.grade
    in_final_year = np.zeros(students.count, dtype=bool)
    in_final_year[years[-1].student] = True
    if (last_school < 0).any():
        raise AssertionError("every generated student is enrolled in at least one year")

    # users: teachers, then students
    student_sid = pc.binary_join_element_wise("stu-", text.local_id, "")
    teacher_sid = _text(f"tch-{s}" for s in teachers.staff_id)
    teacher_user = _text(f"{f.lower()}.{l.lower()}{s[-3:]}" for f, l, s in zip(teachers.first_name, teachers.last_name, teachers.staff_id))
    student_user = pc.utf8_lower(
        csvtext.join(text.first_name, ".", text.last_name, csvtext.lookup([f"{i:04d}" for i in range(10000)], students.local_id % 10000))
    )
    n_teachers = len(teachers.staff_id)
    n_users = n_teachers + students.count
    users = {
        "sourcedId": pa.concat_arrays([teacher_sid, student_sid]),
        "enabledUser": pa.concat_arrays([csvtext.lookup(_BOOL, np.ones(n_teachers, dtype=np.int64)), _flags(in_final_year)]),
        "orgSourcedIds": pa.concat_arrays([csvtext.lookup(school_sid, teachers.school), csvtext.lookup(school_sid, last_school)]),
        "role": pa.concat_arrays([csvtext.lookup(["teacher"], np.zeros(n_teachers, dtype=np.int64)), csvtext.lookup(["student"], np.zeros(students.count, dtype=np.int64))]),
        "username": pa.concat_arrays([teacher_user, student_user]),
        "userIds": pa.concat_arrays([csvtext.lookup([""], np.zeros(n_teachers, dtype=np.int64)), csvtext.join("{StateID:", text.state_id, "}")]),
        "givenName": pa.concat_arrays([_text(teachers.first_name), text.first_name]),
        "familyName": pa.concat_arrays([_text(teachers.last_name), text.last_name]),
        "middleName": pa.concat_arrays([csvtext.lookup([""], np.zeros(n_teachers, dtype=np.int64)), text.middle_name]),
        "identifier": pa.concat_arrays([_text(teachers.staff_id), text.local_id]),
        "email": pa.concat_arrays([csvtext.join(teacher_user, f"@{domain}"), csvtext.join(student_user, f"@students.{domain}")]),
        "grades": pa.concat_arrays([csvtext.lookup(ONEROSTER_GRADE, teachers.grade), csvtext.lookup(ONEROSTER_GRADE, last_grade)]),
    }
    if roster_version == "1.2":
        master_identifier = pa.concat_arrays([csvtext.lookup([""], np.zeros(n_teachers, dtype=np.int64)), text.state_id])
        users, roles = oneroster12.users_and_roles(users, master_identifier)
    _write(landing, "users.csv", users, n_users, roster_version)
    counts["oneroster/users.csv"] = n_users
    if roster_version == "1.2":
        _write(landing, "roles.csv", roles, n_users, roster_version)
        counts["oneroster/roles.csv"] = n_users

    # enrollments: per year, teachers then students (movers have two rows that year)
    enrollment_path = landing / "oneroster" / "enrollments.csv"
    truth_parts = []
    n_enrollments = 0
    with open(enrollment_path, "wb") as sink:
        sink.write(csvtext.header_line(headers["enrollments.csv"], "\n"))
        for year in years:
            cal = year.calendar
            class_ids = class_sourced_ids(schools, year.school_year)
            first_day, last_day = str(cal.first_day), str(cal.last_day)
            nt = n_teachers
            teacher_cells = {
                "sourcedId": _text(f"enr-{year.school_year}-{s}" for s in teachers.staff_id),
                "classSourcedId": csvtext.lookup(class_ids, teachers.school * 9 + teachers.grade),
                "schoolSourcedId": csvtext.lookup(school_sid, teachers.school),
                "userSourcedId": teacher_sid,
                "role": "teacher",
                "primary": "true",
                "beginDate": first_day,
                "endDate": last_day,
            }
            header = headers["enrollments.csv"]
            csvtext.write_rows(sink, [teacher_cells.get(c, "") for c in header], nt, quote_all=False)

            movers = np.flatnonzero(year.is_mover)
            row = np.concatenate([np.arange(len(year.student)), movers])
            part = np.concatenate([np.ones(len(year.student), dtype=np.int64), np.full(len(movers), 2)])
            order = np.lexsort((part, students.local_id[year.student[row]]))
            row, part = row[order], part[order]
            student = year.student[row]
            school = np.where(part == 1, year.first_school[row], year.last_school[row])
            mover_row = year.is_mover[row]
            begin = np.where(part == 2, year.move_date[row], cal.first_day)
            end = np.where(mover_row & (part == 1), year.move_date[row] - 1, cal.last_day)
            grade = year.grade[row]
            local = StudentText.take(text.local_id, student)
            student_cells = {
                "sourcedId": csvtext.join(f"enr-{year.school_year}-", local, "-", csvtext.integers(part)),
                "classSourcedId": csvtext.lookup(class_ids, school * 9 + grade),
                "schoolSourcedId": csvtext.lookup(school_sid, school),
                "userSourcedId": StudentText.take(student_sid, student),
                "role": "student",
                "primary": "false",
                "beginDate": csvtext.dates(begin, "%Y-%m-%d"),
                "endDate": csvtext.dates(end, "%Y-%m-%d"),
            }
            csvtext.write_rows(sink, [student_cells.get(c, "") for c in header], len(row), quote_all=False)
            n_enrollments += nt + len(row)
            truth_parts.append(
                pa.table(
                    {
                        "local_student_id": local,
                        "school_year": pa.array(np.full(len(row), year.school_year, dtype=np.int64)),
                        "school_id": csvtext.lookup(schools.school_id, school),
                        "grade_level": pa.array(grade.astype(np.int64)),
                        "begin_date": pa.array(begin.astype("datetime64[D]")).cast(pa.date32()),
                        "end_date": pa.array(end.astype("datetime64[D]")).cast(pa.date32()),
                    }
                )
            )
    counts["oneroster/enrollments.csv"] = n_enrollments

    # demographics (students), race flags as the SIS stores them
    race = students.race
    race_name = np.array(RACES)[race]
    n = students.count
    flags = {column: race_name == name for name, column in _RACE_FLAG.items()}
    hispanic = race_name == "hispanic_or_latino"
    multiple = race_name == "two_or_more_races"
    # Most Hispanic students also carry a race; students of two or more races carry two flags.
    flags["white"] = flags["white"] | (hispanic & (rng.random(n) < 0.7)) | multiple
    second = rng.choice(["blackOrAfricanAmerican", "asian", "americanIndianOrAlaskaNative"], size=n, p=[0.5, 0.3, 0.2])
    for column in ("blackOrAfricanAmerican", "asian", "americanIndianOrAlaskaNative"):
        flags[column] = flags[column] | (multiple & (second == column))
    demographics = {
        "sourcedId": student_sid,
        "birthDate": csvtext.dates(students.birth_date, "%Y-%m-%d"),
        "sex": csvtext.lookup(("male", "female"), students.is_female.astype(np.int64)),
        **{column: _flags(mask) for column, mask in flags.items()},
        "demographicRaceTwoOrMoreRaces": _flags(multiple),
        "hispanicOrLatinoEthnicity": _flags(hispanic),
        "metadata.economicallyDisadvantaged": _flags(students.is_econ),
        "metadata.englishLearner": _flags(students.is_el),
        "metadata.disability": _flags(students.has_disability),
        "metadata.homeLanguage": csvtext.lookup(LANGUAGES, students.home_language),
    }
    _write(landing, "demographics.csv", demographics, n, roster_version)
    counts["oneroster/demographics.csv"] = n

    if roster_zip:
        archive = f"oneroster/oneroster_{years[-1].calendar.last_day}.zip"
        names = [path.removeprefix("oneroster/") for path in counts]
        _zip_delivery(landing, names, archive, years[-1].calendar.last_day)
        counts = {f"{archive}/{name}": rows for name, rows in zip(names, counts.values())}

    truth_students = pa.table(
        {
            "local_student_id": text.local_id,
            "state_student_id": text.state_id,
            "first_name": text.first_name,
            "last_name": text.last_name,
            "birth_date": pa.array(students.birth_date.astype("datetime64[D]")).cast(pa.date32()),
            "gender": csvtext.lookup(("male", "female"), students.is_female.astype(np.int64)),
            "race_ethnicity": csvtext.lookup(RACES, race),
            "is_economically_disadvantaged": pa.array(students.is_econ),
            "is_english_learner": pa.array(students.is_el),
            "has_disability": pa.array(students.has_disability),
            "home_language": csvtext.lookup(LANGUAGES, students.home_language),
            "school_id": csvtext.lookup(schools.school_id, last_school),
            "grade_level": pa.array(last_grade.astype(np.int64)),
            "is_currently_enrolled": pa.array(in_final_year),
        }
    )
    return counts, truth_students, pa.concat_tables(truth_parts)
