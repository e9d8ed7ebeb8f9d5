from datetime import date
from pathlib import Path
import shutil

import duckdb
import pytest

from definitions import ConfigError, load_definitions, write_config_schema

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    return target


def test_demo_definitions_load_and_expand_windows():
    definitions = load_definitions(CONFIG)
    windows = definitions.assessment_windows.set_index(["school_year", "window_name"])
    # 2025-2026 is school year 2026: Fall starts on the first day of the school year,
    # Winter ends the day before Spring starts, Spring ends the day before the next year.
    assert windows.loc[(2026, "Fall"), "start_date"] == date(2025, 7, 1)
    assert windows.loc[(2026, "Winter"), "end_date"] == date(2026, 2, 28)
    assert windows.loc[(2024, "Winter"), "end_date"] == date(2024, 2, 29)
    assert windows.loc[(2026, "Spring"), "end_date"] == date(2026, 6, 30)


def test_wildcard_cut_scores_expand_to_every_grade_and_window():
    cuts = load_definitions(CONFIG).cut_scores
    map_reading = cuts[cuts.measure_id == "map_reading"]
    # 5 quintile bands x 14 grades (PK..12) x 3 windows
    assert len(map_reading) == 5 * 14 * 3
    grade3_fall = map_reading[(map_reading.grade_level == 3) & (map_reading.window_name == "Fall")]
    assert list(grade3_fall.sort_values("min_score").level) == ["Low", "LoAvg", "Avg", "HiAvg", "High"]


def test_published_dibels_kindergarten_cuts_are_loaded():
    cuts = load_definitions(CONFIG).cut_scores
    k_winter = cuts[(cuts.measure_id == "dibels8_composite") & (cuts.grade_level == 0) & (cuts.window_name == "Winter")]
    at = k_winter[k_winter.level == "At Benchmark"].iloc[0]
    assert (at.min_score, at.max_score) == (371, 392)


def test_bad_number_names_file_line_and_field(config_copy: Path):
    text = (config_copy / "measures.csv").read_text().splitlines()
    text[2] = text[2].replace(",100,350,", ",one hundred,350,", 1)
    (config_copy / "measures.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(ConfigError) as error:
        load_definitions(config_copy)
    assert any(p.startswith("measures.csv line 3, field 'scale_min'") for p in error.value.problems)


def test_unknown_level_and_window_in_cut_scores_are_reported(config_copy: Path):
    path = config_copy / "cut_scores.csv"
    path.write_text(path.read_text() + "map_math,4,Autumn,Great,1,99,\n")
    with pytest.raises(ConfigError) as error:
        load_definitions(config_copy)
    line = len(path.read_text().splitlines())
    assert f"cut_scores.csv line {line}, field 'window_name'" in str(error.value)
    assert f"cut_scores.csv line {line}, field 'level'" in str(error.value)


def test_overlapping_bands_are_rejected(config_copy: Path):
    path = config_copy / "cut_scores.csv"
    path.write_text(path.read_text() + "dibels8_orf,2,Fall,Above Benchmark,80,300,\n")
    with pytest.raises(ConfigError) as error:
        load_definitions(config_copy)
    assert "overlaps" in str(error.value)


def test_district_yml_error_names_the_line(config_copy: Path):
    path = config_copy / "district.yml"
    path.write_text(path.read_text().replace("minimum_n: 10", "minimum_n: none"))
    with pytest.raises(ConfigError) as error:
        load_definitions(config_copy)
    expected_line = next(i for i, l in enumerate(path.read_text().splitlines(), 1) if "minimum_n" in l)
    assert f"district.yml line {expected_line}, field 'privacy.minimum_n'" in str(error.value)


def test_config_schema_is_written():
    con = duckdb.connect()
    counts = write_config_schema(con, load_definitions(CONFIG))
    measure_lines = [l for l in (CONFIG / "measures.csv").read_text().splitlines()[1:] if l.strip()]
    assert counts["measures"] == con.execute("select count(*) from config.measures").fetchone()[0] == len(measure_lines)
    assert con.execute("select minimum_n from config.district").fetchone()[0] == 10


def test_grade12_design_and_funding_are_written():
    con = duckdb.connect()
    counts = write_config_schema(con, load_definitions(CONFIG))
    # 2 grades x 2 subjects; 3 windows in each of the 18 configured school years (2018-2035)
    assert counts["grade12_measures"] == 4 and counts["grade12_windows"] == 3 * 18
    # z for 95% confidence, to six decimals
    assert round(con.execute("select z_value from config.grade12_design").fetchone()[0], 6) == 1.959964
    draw = con.execute(
        "select draw_date from config.grade12_windows where school_year = 2026 and window_name = 'Fall'"
    ).fetchone()[0]
    assert draw == date(2025, 9, 1)
    assert con.execute("select count(*) from config.funding_formulas").fetchone()[0] == 2
    assert con.execute("select count_date from config.funding_count_dates where school_year = 2026").fetchone()[0] == date(
        2025, 10, 1
    )


def test_sampling_design_errors_name_the_field(config_copy: Path):
    path = config_copy / "district.yml"
    text = path.read_text()
    text = text.replace("maximum_sample: null", "maximum_sample: 5").replace('Fall: "09-01"', 'Fall: "12-15"')
    path.write_text(text.replace("reading: map_reading\n    math: map_math", "reading: map_reeding\n    math: map_math"))
    with pytest.raises(ConfigError) as error:
        load_definitions(config_copy)
    assert "field 'grade12_sampling': Value error, maximum_sample must not be below minimum_sample" in str(error.value)
    path.write_text(text.replace("maximum_sample: 5", "maximum_sample: null"))
    with pytest.raises(ConfigError) as error:
        load_definitions(config_copy)
    # Fall runs from 07-01 to 11-30, so a 12-15 draw date cannot be in it
    assert "field 'grade12_sampling.draw_dates.Fall': 12-15 is not inside the Fall window" in str(error.value)


def test_funding_reservations_over_the_appropriation_name_the_line(config_copy: Path):
    path = config_copy / "district.yml"
    path.write_text(path.read_text().replace("{name: homeless, amount: 30000}", "{name: homeless, amount: 3000000}"))
    with pytest.raises(ConfigError) as error:
        load_definitions(config_copy)
    assert "field 'funding.formulas.0.title_i'" in str(error.value)
    # 4% and 1% of $1,850,000 (74,000 + 18,500) + 3,000,000 + 12,500
    assert "the reservations (3,105,000.00) exceed the appropriation (1,850,000.00)" in str(error.value)


def test_a_bad_funding_counts_line_names_file_line_and_field(config_copy: Path):
    path = config_copy / "funding_counts.csv"
    path.write_text(path.read_text().replace("255901102,,,,,6", "255901102,,,,,six"))
    with pytest.raises(ConfigError) as error:
        load_definitions(config_copy)
    assert "funding_counts.csv line 3, field 'low_income_private'" in str(error.value)
    assert "(got 'six')" in str(error.value)
