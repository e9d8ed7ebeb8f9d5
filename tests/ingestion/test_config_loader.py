from datetime import date
from pathlib import Path
import shutil

import duckdb
import pytest

from ingestion.config_loader import ConfigError, load_definitions, write_config_schema

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
    assert counts["measures"] == con.execute("select count(*) from config.measures").fetchone()[0] == 13
    assert con.execute("select minimum_n from config.district").fetchone()[0] == 10
