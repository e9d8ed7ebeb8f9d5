"""The synthetic district writes vendor files as the vendors do, and truth that matches them."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion.formats.headers import (
    DIBELS8_BENCHMARK_HEADER,
    MAP_ASSESSMENT_RESULTS_HEADER,
    MAP_COMBO_HEADER,
    ONEROSTER_HEADERS,
)
from synthetic import generate_district
from synthetic.__main__ import main as cli_main

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
YEARS = (2024, 2025, 2026)


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("district")
    generate_district(out, students=1500, schools=6, years=3, seed=7, last_school_year=2026)
    return out


def read_landing(district: Path, relative: str) -> pd.DataFrame:
    return pd.read_csv(
        district / "landing" / relative, dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )


def truth(district: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(district / "truth" / name, dtype={"local_student_id": str, "school_id": str, "state_student_id": str})


def map_file(year: int) -> str:
    return f"nwea_map/ComboStudentAssessment_{year - 1}-{year}.csv"


def dibels_file(district: Path, year: int) -> str:
    (path,) = (district / "landing" / "mclass").glob(f"dibels8_BM_{year - 1}-{year}_*.csv")
    return f"mclass/{path.name}"


# ---- files and layouts -------------------------------------------------------------------


def test_writes_the_landing_layout_file_names(district):
    landing = district / "landing"
    names = sorted(
        str(p.relative_to(landing)) for p in landing.rglob("*.csv") if p.parts[-2] in ("oneroster", "nwea_map", "mclass")
        and not p.name.startswith("dibels8_PM")
    )
    assert names == sorted(
        [f"oneroster/{n}" for n in ONEROSTER_HEADERS]
        + [map_file(y) for y in YEARS]
        + [f"mclass/dibels8_BM_{y - 1}-{y}_{y}0610.csv" for y in YEARS]
    )
    assert sorted(p.name for p in (district / "truth").iterdir()) == [
        "enrollments.csv", "results.csv", "students.csv", "summary.json",
    ]


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_district(tmp_path / name, students=300, schools=4, years=2, seed=seed)

    def contents(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    first, again, other = (contents(tmp_path / n) for n in "abc")
    assert first == again
    assert first["landing/nwea_map/ComboStudentAssessment_2025-2026.csv"] != other["landing/nwea_map/ComboStudentAssessment_2025-2026.csv"]


def test_vendor_header_constants_have_the_published_shape():
    assert len(MAP_ASSESSMENT_RESULTS_HEADER) == 143
    assert MAP_ASSESSMENT_RESULTS_HEADER[0] == "TermName"
    assert MAP_ASSESSMENT_RESULTS_HEADER[-1] == "ProjectedProficiencyLevel10"
    assert len(MAP_COMBO_HEADER) == 149 and "TestID" not in MAP_COMBO_HEADER
    at = MAP_COMBO_HEADER.index("Student_StateID")
    assert MAP_COMBO_HEADER[at + 1 : at + 9] == (
        "StudentLastName", "StudentFirstName", "StudentMI", "StudentDateOfBirth",
        "StudentEthnicGroup", "StudentGender", "Grade", "Subject",
    )
    assert len(DIBELS8_BENCHMARK_HEADER) == 105
    assert DIBELS8_BENCHMARK_HEADER[:3] == ("School Year", "State", "Account Name")
    assert DIBELS8_BENCHMARK_HEADER[-1] == "DIBELS Composite Score - Lexile"


def test_file_headers_equal_the_vendor_headers(district):
    for year in YEARS:
        assert tuple(read_landing(district, map_file(year)).columns) == MAP_COMBO_HEADER
        assert tuple(read_landing(district, dibels_file(district, year)).columns) == DIBELS8_BENCHMARK_HEADER
    for name, header in ONEROSTER_HEADERS.items():
        assert tuple(read_landing(district, f"oneroster/{name}").columns) == header


def test_dibels_files_have_a_bom_and_crlf_and_the_others_do_not(district):
    dibels = (district / "landing" / dibels_file(district, 2025)).read_bytes()
    assert dibels.startswith(b"\xef\xbb\xbfSchool Year,State,")
    assert dibels.count(b"\r\n") == dibels.count(b"\n")
    for relative in (map_file(2025), "oneroster/users.csv"):
        data = (district / "landing" / relative).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in data


def test_map_rows_are_fully_quoted_with_vendor_value_formats(district):
    lines = (district / "landing" / map_file(2025)).read_text(encoding="utf-8").splitlines()
    assert not lines[0].startswith('"')
    row = lines[1]
    assert row.startswith('"') and row.endswith('"')
    fields = next(csv.reader(io.StringIO(row)))
    assert len(fields) == 149 and row.count('","') == 148
    values = dict(zip(MAP_COMBO_HEADER, fields))
    assert values["TermName"] == "Fall 2024-2025"
    assert re.fullmatch(r"(09|10)/\d\d/2024", values["TestStartDate"])
    assert re.fullmatch(r"\d\d:\d\d:\d\d", values["TestStartTime"])
    assert re.fullmatch(r"\d\.\d\d", values["TestStandardError"])
    assert values["TestType"] == "Survey With Goals"
    assert (values["Subject"], values["Course"]) in {("Reading", "Reading"), ("Mathematics", "Math K-12")}

    frame = read_landing(district, map_file(2025))
    percentile = frame["TestPercentile"].astype(int)
    assert percentile.between(1, 99).all()
    expected = pd.cut(percentile, [0, 20, 40, 60, 80, 99], labels=["Low", "LoAvg", "Avg", "HiAvg", "High"])
    assert (frame["AchievementQuintile"] == expected.astype(str)).all()
    assert set(frame["Grade"]) == {"K", "1", "2", "3", "4", "5", "6", "7", "8"}
    assert set(frame["TermName"]) == {"Fall 2024-2025", "Winter 2024-2025", "Spring 2024-2025"}
    fall = frame[frame["TermName"] == "Fall 2024-2025"]
    assert (fall["FallToSpringProjectedGrowth"] != "").all()
    assert (fall["WinterToSpringProjectedGrowth"] == "").all()


def test_map_percentile_follows_the_norm_table():
    # Kindergarten reading, fall: norm mean 137, SD 13. A RIT of 137 is the 50th percentile.
    from scipy.special import ndtr

    from synthetic.norms import MAP_MEANS, MAP_SDS

    assert MAP_MEANS["reading"][0, 0] == 137 and MAP_MEANS["math"][8, 0] == 225
    assert round(100 * ndtr((150 - MAP_MEANS["reading"][0, 0]) / MAP_SDS["reading"][0])) == 84


def test_test_dates_are_school_days_in_the_configured_windows(district):
    results = truth(district, "results.csv")
    results = results[results["source_file"].str.startswith(("nwea_map/", "mclass/"))]
    dates = pd.to_datetime(results["assessment_date"])
    assert (dates.dt.dayofweek < 5).all()
    month = dates.dt.month
    # Testing months: Fall in September-October, Winter in January, Spring in May.
    assert set(month) == {1, 5, 9, 10}
    # config/district.yml: Fall from 07-01, Winter from 12-01, Spring from 03-01.
    window = np.select([month.isin([7, 8, 9, 10, 11]), month.isin([12, 1, 2])], ["Fall", "Winter"], "Spring")
    assert (window == results["window_name"]).all()
    spring_year = np.where(month >= 7, dates.dt.year + 1, dates.dt.year)
    assert (spring_year == results["school_year"]).all()


def test_oneroster_school_years_users_and_demographics(district):
    school_years = read_landing(district, "oneroster/academicSessions.csv")
    assert school_years[["sourcedId", "type", "schoolYear", "startDate", "endDate"]].values.tolist() == [
        [f"ay-{y}", "schoolYear", str(y), f"{y - 1}-07-01", f"{y}-06-30"] for y in YEARS
    ]
    users = read_landing(district, "oneroster/users.csv")
    students = users[users["role"] == "student"]
    assert students["identifier"].str.fullmatch(r"\d{7}").all()
    assert (students["sourcedId"] == "stu-" + students["identifier"]).all()
    assert students["userIds"].str.fullmatch(r"\{StateID:\d{10}\}").all()
    assert (users["status"] == "").all() and (users["dateLastModified"] == "").all()
    assert (users["role"] == "teacher").sum() > 0

    demographics = read_landing(district, "oneroster/demographics.csv")
    for column in ("metadata.economicallyDisadvantaged", "metadata.englishLearner", "metadata.disability", "white"):
        assert set(demographics[column]) == {"true", "false"}
    assert set(demographics["sex"]) == {"male", "female"}

    classes = read_landing(district, "oneroster/classes.csv")
    assert set(classes["classType"]) == {"homeroom"}
    assert set(classes["termSourcedIds"]) == {f"ay-{y}" for y in YEARS}
    enrollments = read_landing(district, "oneroster/enrollments.csv")
    assert set(enrollments["classSourcedId"]) <= set(classes["sourcedId"])
    # Past years are included.
    assert enrollments["sourcedId"].str.startswith("enr-2024-").any()


def test_truth_students_match_the_roster(district):
    students = truth(district, "students.csv")
    users = read_landing(district, "oneroster/users.csv")
    roster = users[users["role"] == "student"].set_index("identifier")
    assert set(students["local_student_id"]) == set(roster.index)
    assert (roster.loc[students["local_student_id"], "givenName"].values == students["first_name"].values).all()
    assert students["race_ethnicity"].isin([
        "hispanic_or_latino", "american_indian_or_alaska_native", "asian", "black_or_african_american",
        "native_hawaiian_or_other_pacific_islander", "white", "two_or_more_races",
    ]).all()
    assert 0.42 < students["is_economically_disadvantaged"].mean() < 0.58
    assert 0.08 < students["is_english_learner"].mean() < 0.16
    assert 0.10 < students["has_disability"].mean() < 0.18


def test_birth_dates_fit_the_grade(district):
    students = truth(district, "students.csv")
    enrollments = truth(district, "enrollments.csv")
    first = enrollments.drop_duplicates("local_student_id").merge(students, on="local_student_id")
    # Age on September 1 of the autumn: five in kindergarten (six for late entrants), plus the grade.
    autumn = pd.to_datetime((first["school_year"] - 1).astype(str) + "-09-01")
    age = (autumn - pd.to_datetime(first["birth_date"])).dt.days / 365.25
    offset = age - first["grade_level_x"]
    assert offset.between(4.9, 7.1).all()
    assert (offset < 6.05).mean() > 0.9


# ---- the district model ------------------------------------------------------------------


def test_economically_disadvantaged_students_have_lower_map_scores(district):
    results = truth(district, "results.csv")
    students = truth(district, "students.csv")[["local_student_id", "is_economically_disadvantaged"]]
    map_rows = results[results["measure_id"].str.startswith("map_")].merge(students, on="local_student_id")
    by_group = map_rows.groupby(["measure_id", "enrolled_grade", "window_name", "is_economically_disadvantaged"])["scale_score"].mean().unstack()
    gap = by_group[True] - by_group[False]
    assert gap.mean() < -2
    assert (gap < 0).mean() > 0.85


def test_about_five_percent_take_a_lower_grade_dibels_form(district):
    frames = [read_landing(district, dibels_file(district, y)) for y in YEARS]
    dibels = pd.concat(frames)
    rows = dibels[dibels["Enrollment Grade"] != "K"]
    enrolled = rows["Enrollment Grade"].astype(int)
    assessed = rows["Assessment Grade"].replace("K", "0").astype(int)
    below = enrolled - assessed
    assert set(below) <= {0, 1, 2}
    assert 0.02 < (below > 0).mean() < 0.10
    assert (below == 2).sum() < (below == 1).sum()
    # Truth records the form's grade as the instructional grade.
    results = truth(district, "results.csv")
    dibels_truth = results[results["measure_id"] == "dibels8_composite"]
    assert (dibels_truth["instructional_grade"] < dibels_truth["enrolled_grade"]).any()
    assert (dibels_truth["instructional_grade"] <= dibels_truth["enrolled_grade"]).all()


def test_about_four_percent_of_student_windows_are_untested(district):
    summary = json.loads((district / "truth" / "summary.json").read_text())
    windows = 3 * sum(summary["students_enrolled_by_year"].values())
    assert 0.025 < summary["untested_student_windows"] / windows < 0.055


def test_same_day_retests_have_a_later_start_and_a_different_score(district):
    results = truth(district, "results.csv")
    retests = results[results["is_retest"]]
    assert len(retests) > 0
    assert (retests["measure_id"].str.startswith("map_")).all()
    key = ["local_student_id", "measure_id", "assessment_date"]
    originals = results[~results["is_retest"]]
    paired = retests.merge(originals, on=key, suffixes=("_retest", "_first"))
    assert len(paired) == len(retests)
    assert (paired["scale_score_retest"] != paired["scale_score_first"]).all()
    assert ((paired["scale_score_retest"] - paired["scale_score_first"]).abs() <= 15).all()

    frame = read_landing(district, map_file(2025)).reset_index()
    frame["source_row"] = frame["index"] + 2
    in_file = paired[paired["source_file_retest"] == map_file(2025)]
    times = frame.set_index("source_row")["TestStartTime"]
    assert (times.loc[in_file["source_row_retest"]].values > times.loc[in_file["source_row_first"]].values).all()
    assert 0.005 < results["is_retest"].sum() / results["measure_id"].str.startswith("map_").sum() < 0.02


def test_movers_have_two_enrollments_and_later_tests_carry_the_new_school(district):
    enrollments = truth(district, "enrollments.csv")
    counts = enrollments.groupby(["local_student_id", "school_year"]).size()
    movers = counts[counts == 2]
    assert set(counts) == {1, 2}
    per_year = movers.groupby(level="school_year").size() / counts.groupby(level="school_year").size()
    assert per_year.between(0.015, 0.05).all()

    two = enrollments.set_index(["local_student_id", "school_year"]).loc[movers.index].reset_index()
    first, second = two.groupby(["local_student_id", "school_year"]).nth(0), two.groupby(["local_student_id", "school_year"]).nth(1)
    assert (first["school_id"].values != second["school_id"].values).all()
    gap = pd.to_datetime(second["begin_date"]).values - pd.to_datetime(first["end_date"]).values
    assert (gap == np.timedelta64(1, "D")).all()

    roster = read_landing(district, "oneroster/enrollments.csv")
    student_rows = roster[roster["role"] == "student"]
    assert len(student_rows) == len(enrollments)

    second = second.assign(move_date=pd.to_datetime(second["begin_date"]))
    results = truth(district, "results.csv").merge(
        second[["local_student_id", "school_year", "school_id", "move_date"]], on=["local_student_id", "school_year"], suffixes=("", "_new")
    )
    after = pd.to_datetime(results["assessment_date"]) >= results["move_date"]
    assert after.any() and (~after).any()
    assert (results.loc[after, "school_id"] == results.loc[after, "school_id_new"]).all()
    assert (results.loc[~after, "school_id"] != results.loc[~after, "school_id_new"]).all()


def test_dibels_levels_follow_the_configured_cut_scores(district):
    cuts = pd.read_csv(CONFIG_DIR / "cut_scores.csv", dtype=str)
    kinder = cuts[(cuts["measure_id"] == "dibels8_composite") & (cuts["grade_level"] == "K")]
    dibels = pd.concat([read_landing(district, dibels_file(district, y)) for y in YEARS])
    rows = dibels[dibels["Assessment Grade"] == "K"]
    window = rows["Benchmark Period"].map({"BOY": "Fall", "MOY": "Winter", "EOY": "Spring"})
    score = rows["Composite Score"].astype(float)
    expected = []
    for w, s in zip(window, score):
        bands = kinder[kinder["window_name"] == w].assign(min_score=lambda f: f["min_score"].astype(float))
        expected.append(bands[bands["min_score"] <= s].sort_values("min_score")["level"].iloc[-1])
    assert (rows["Composite Level"].values == np.array(expected)).all()
    # A kindergarten composite of 306 in the fall is the first At Benchmark score.
    fall = kinder[kinder["window_name"] == "Fall"].set_index("level")["min_score"]
    assert fall["At Benchmark"] == "306"

    shares = dibels["Composite Level"].value_counts(normalize=True)
    assert 0.20 <= shares["Well Below Benchmark"] <= 0.30
    assert 0.14 <= shares["Below Benchmark"] <= 0.21
    assert 0.29 <= shares["At Benchmark"] <= 0.41
    assert 0.14 <= shares["Above Benchmark"] <= 0.26


def test_dibels_measures_given_follow_the_form_grade(district):
    dibels = read_landing(district, dibels_file(district, 2025))
    given = lambda label: dibels[f"{label} - Score"] != ""  # noqa: E731
    grade = dibels["Assessment Grade"]
    assert (given("Letter Names (LNF)") == grade.isin(["K", "1"])).all()
    assert (given("Reading Fluency (ORF)") == grade.isin(["1", "2", "3"])).all()
    assert (given("Reading Comprehension (Maze)") == (grade == "3")).all()
    assert (given("Word Reading (WRF)")).all()
    assert set(dibels["Benchmark Period"]) == {"BOY", "MOY", "EOY"}
    assert set(dibels["School Year"]) == {"2024-2025"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", dibels["Client Date"].iloc[0])


# ---- truth points at the files -----------------------------------------------------------


def test_truth_has_one_row_per_file_row_and_measure(district):
    results = truth(district, "results.csv")
    for year in YEARS:
        for relative in (map_file(year), dibels_file(district, year)):
            text = (district / "landing" / relative).read_bytes()
            data_rows = text.count(b"\n") - 1
            rows = results[results["source_file"] == relative]
            assert rows["source_row"].nunique() == data_rows
            assert rows["source_row"].min() == 2 and rows["source_row"].max() == data_rows + 1
            if relative.startswith("nwea_map/"):
                assert len(rows) == data_rows
    summary = json.loads((district / "truth" / "summary.json").read_text())
    assert summary["truth_rows"]["results"] == len(results)  # every family's results


def test_every_truth_row_points_at_a_line_with_its_student_and_score(district):
    results = truth(district, "results.csv")
    checked = 0
    for year in YEARS:
        for relative, id_column, score_column in (
            (map_file(year), "StudentID", "TestRITScore"),
            (dibels_file(district, year), "Student Primary ID", "Composite Score"),
        ):
            frame = read_landing(district, relative)
            frame.index = frame.index + 2  # header is line 1
            rows = results[results["source_file"] == relative]
            assert (frame.loc[rows["source_row"], id_column].values == rows["local_student_id"].values).all()
            scored = rows if relative.startswith("nwea_map/") else rows[rows["measure_id"] == "dibels8_composite"]
            assert (frame.loc[scored["source_row"], score_column].astype(float).values == scored["scale_score"].values).all()
            checked += len(rows)
    # the other source families' truth rows are checked by their reader tests
    assert checked == results["source_file"].str.startswith(("nwea_map/", "mclass/")).sum()


def test_command_line_writes_a_district(tmp_path, capsys):
    cli_main(["--students", "90", "--schools", "2", "--years", "1", "--seed", "5", "--out", str(tmp_path)])
    assert (tmp_path / "landing" / "nwea_map" / "ComboStudentAssessment_2025-2026.csv").exists()
    assert '"rows_per_file"' in capsys.readouterr().out
