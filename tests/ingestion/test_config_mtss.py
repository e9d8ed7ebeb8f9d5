"""The MTSS settings of district.yml (mtss:) and config/roi_norms.csv: loaded, validated with file,
line and field, and written to the config schema."""

from __future__ import annotations

import shutil
from datetime import date
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


def test_primary_resolves_to_each_subjects_primary_metric_and_levels_to_rows():
    rules = load_definitions(CONFIG).mtss_tier_rules
    percentile = rules[rules["basis"] == "percentile"]
    assert sorted(zip(percentile["measure_id"], percentile["tier"], percentile["below_percentile"])) == [
        ("map_math", 2, 25), ("map_math", 3, 10), ("map_reading", 2, 25), ("map_reading", 3, 10),
    ]
    levels = rules[rules["basis"] == "performance_level"].set_index("performance_level")["tier"]
    assert levels.to_dict() == {"Well Below Benchmark": 3, "Below Benchmark": 2}


def test_a_district_without_mtss_settings_gets_the_star_default_bands(config_copy: Path):
    path = config_copy / "district.yml"
    text = path.read_text()
    path.write_text(text[: text.index("\nmtss:")] + "\n")
    definitions = load_definitions(config_copy)
    assert set(definitions.mtss_tier_rules["rule_name"]) == {"screening_percentile"}
    assert len(definitions.roi_norms) == 0
    con = duckdb.connect()
    write_config_schema(con, definitions)
    settings = con.execute("select rate_of_improvement_method, minimum_points, decision_points from config.mtss_settings")
    assert settings.fetchone() == ("ols", 3, 4)


def test_mtss_tables_are_written():
    con = duckdb.connect()
    counts = write_config_schema(con, load_definitions(CONFIG))
    assert counts["mtss_settings"] == 1 and counts["mtss_tier_rules"] == 6
    # the demo's default goal date 05-04 falls in the spring of each school year
    def one(sql: str):
        return con.execute(sql).fetchone()

    assert one("select default_goal_date from config.mtss_default_goal_dates where school_year = 2026") == (date(2026, 5, 4),)
    norm = "select expected_weekly_roi, ambitious_weekly_roi from config.roi_norms where measure_id = 'dibels8_orf'"
    assert one(f"{norm} and grade_level = 2") == (1.5, 2.0)
    # kindergarten is written as grade 0
    assert one("select count(*) from config.roi_norms where measure_id = 'dibels8_nwf_cls' and grade_level = 0") == (1,)
    assert one("select measure_id from config.mtss_subject_measures where subject = 'math'") == ("map_math",)


def test_tier_bands_out_of_order_name_the_line(config_copy: Path):
    path = config_copy / "district.yml"
    path.write_text(path.read_text().replace("below_percentile: {3: 10, 2: 25}", "below_percentile: {3: 30, 2: 25}"))
    message = problems_of(config_copy)
    assert f"district.yml line {line_of(path, 'name: screening_percentile')}, field 'mtss.tier_rules.0'" in message
    assert "the tier 3 percentile bound must be below the tier 2 bound" in message


def test_a_rule_needs_exactly_one_basis_and_known_tiers(config_copy: Path):
    path = config_copy / "district.yml"
    text = path.read_text()
    path.write_text(text.replace("below_percentile: {3: 10, 2: 25}", "below_percentile: {4: 10, 2: 25}"))
    assert "field 'mtss.tier_rules.0.below_percentile.4.[key]'" in problems_of(config_copy)
    both = "      measures: [dibels8_composite]\n      below_percentile: {3: 5}\n"
    path.write_text(text.replace("      measures: [dibels8_composite]\n", both))
    assert "give either below_percentile (tier -> percentile) or levels" in problems_of(config_copy)


def test_unknown_measure_and_level_in_a_tier_rule_name_the_line(config_copy: Path):
    path = config_copy / "district.yml"
    text = path.read_text()
    path.write_text(text.replace("measures: [dibels8_composite]", "measures: [dibels9_composite]"))
    message = problems_of(config_copy)
    assert (
        f"district.yml line {line_of(path, 'dibels9_composite')}, field 'mtss.tier_rules.1.measures': "
        "'dibels9_composite' is not in measures.csv"
    ) in message
    path.write_text(text.replace("3: [Well Below Benchmark]", "3: [Way Below Benchmark]"))
    message = problems_of(config_copy)
    assert (
        f"district.yml line {line_of(path, 'Way Below Benchmark')}, field 'mtss.tier_rules.1.levels.3': "
        "'Way Below Benchmark' is not a level of dibels8_composite"
    ) in message


def test_bad_progress_monitoring_settings_name_the_field(config_copy: Path):
    path = config_copy / "district.yml"
    text = path.read_text()
    path.write_text(text.replace("rate_of_improvement_method: ols", "rate_of_improvement_method: median"))
    line = line_of(path, "rate_of_improvement_method")
    assert f"district.yml line {line}, field 'mtss.progress_monitoring.rate_of_improvement_method'" in problems_of(config_copy)
    path.write_text(text.replace('default_goal_date: "05-04"', 'default_goal_date: "05-34"'))
    assert "field 'mtss.progress_monitoring.default_goal_date'" in problems_of(config_copy)


def test_roi_norm_problems_name_file_line_and_field(config_copy: Path):
    path = config_copy / "roi_norms.csv"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace("dibels8_orf,1,2.0,3.0", "dibels8_orf,1,2.0,1.0")
    lines[2] = lines[2].replace("dibels8_orf,2,", "dibels8_orff,2,")
    lines.append("dibels8_orf,3,1.0,1.5,again")
    path.write_text("\n".join(lines) + "\n")
    message = problems_of(config_copy)
    assert "roi_norms.csv line 2, field 'ambitious_weekly_roi': Value error, must not be below expected_weekly_roi (2.0)" in (
        message
    )
    lines[1] = lines[1].replace("dibels8_orf,1,2.0,1.0", "dibels8_orf,1,2.0,3.0")
    path.write_text("\n".join(lines) + "\n")
    message = problems_of(config_copy)
    assert "roi_norms.csv line 3, field 'measure_id': 'dibels8_orff' is not in measures.csv" in message
    assert f"roi_norms.csv line {len(lines)}, field 'grade_level': dibels8_orf grade 3 is given twice" in message
