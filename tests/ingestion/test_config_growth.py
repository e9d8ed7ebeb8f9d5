"""The growth settings of district.yml (growth:): loaded, validated with file, line and field, and
written to the config schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from definitions import ConfigError, load_definitions, write_config_schema

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    return target


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def problems_of(config_dir: Path) -> str:
    with pytest.raises(ConfigError) as error:
        load_definitions(config_dir)
    return str(error.value)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_growth_settings_are_written_to_the_config_schema():
    con = duckdb.connect()
    counts = write_config_schema(con, load_definitions(CONFIG))
    spans = con.execute(
        "select from_window, to_window, is_prior_year, baseline, has_vendor_target from config.growth_spans "
        "where span_use = 'gain' order by all"
    ).fetchall()
    assert ("Fall", "Spring", False, "fall", True) in spans
    assert ("Spring", "Spring", True, "prior_spring", False) in spans
    assert sum(has_target for *_, has_target in spans) == 1
    assert counts["growth_spans"] == len(spans) + 3  # and the three progress matrix spans
    measures = con.execute("select purpose, subject, measure_id from config.growth_measures order by all").fetchall()
    assert ("sgp", "math", "map_math") in measures and ("progress_matrix", "reading", "map_reading") in measures
    sgp = con.execute("select window_name, max_priors, min_cohort from config.growth_sgp").fetchall()
    assert sgp == [("Spring", 2, 50)]


def test_a_span_with_an_unknown_window_names_the_line_and_field(config_copy: Path):
    path = config_copy / "district.yml"
    edit(path, "- {from_window: Fall, to_window: Winter}", "- {from_window: Fall, to_window: Wintr}")
    problems = problems_of(config_copy)
    line = line_of(path, "to_window: Wintr")
    assert f"district.yml line {line}, field 'growth.spans.0.to_window': 'Wintr' is not a window" in problems


def test_a_same_year_span_that_runs_backwards_is_refused(config_copy: Path):
    path = config_copy / "district.yml"
    edit(path, "- {from_window: Winter, to_window: Spring}", "- {from_window: Spring, to_window: Fall}")
    problems = problems_of(config_copy)
    line = line_of(path, "from_window: Spring, to_window: Fall}")
    assert f"district.yml line {line}, field 'growth.spans.1.to_window': Fall does not come after Spring" in problems
    assert "set prior_year: true" in problems


def test_sgp_needs_a_known_measure_of_its_subject_and_its_year_on_year_span(config_copy: Path):
    path = config_copy / "district.yml"
    edit(path, "      math: map_math\n    window: Spring", "      math: map_reading\n    window: Spring")
    line = line_of(path, "      math: map_reading")
    expected = f"district.yml line {line}, field 'growth.sgp.measures.math': 'map_reading' is a reading measure"
    assert expected in problems_of(config_copy)
    edit(path, "      math: map_reading\n    window: Spring", "      math: map_math\n    window: Spring")
    edit(path, "    - {from_window: Spring, to_window: Spring, prior_year: true}\n", "")
    assert "add {from_window: Spring, to_window: Spring, prior_year: true} to growth.spans" in problems_of(config_copy)


def test_sgp_settings_out_of_range_name_the_field(config_copy: Path):
    path = config_copy / "district.yml"
    edit(path, "max_priors: 2", "max_priors: 3")
    edit(path, "min_cohort: 50", "min_cohort: 0")
    problems = problems_of(config_copy)
    assert f"district.yml line {line_of(path, 'max_priors: 3')}, field 'growth.sgp.max_priors'" in problems
    assert f"district.yml line {line_of(path, 'min_cohort: 0')}, field 'growth.sgp.min_cohort'" in problems
