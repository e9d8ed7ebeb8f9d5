"""The Dagster graph: what assets and checks exist and how they are wired."""

from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.sensors import landing_fingerprint
from orchestration.settings import Paths
from quality.publish import RESTRICTED_TABLES


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_asset_graph_has_every_stage(graph):
    keys = {"/".join(k.path) for k in graph.get_all_asset_keys()}
    assert {"config/cut_scores", "config/assessment_windows", "raw/nwea_map_results",
            "raw/mclass_dibels8_results", "raw/oneroster_users", "raw/file_manifest"} <= keys
    assert {"marts/fct_assessment_results", "marts/agg_school_proficiency", "marts/dim_students",
            "published/warehouse"} <= keys


def test_dbt_sources_are_wired_to_the_ingestion_assets(graph):
    staged = dg.AssetKey(["staging", "stg_nwea_map__results"])
    assert dg.AssetKey(["raw", "nwea_map_results"]) in graph.get(staged).parent_keys
    cut_scores = dg.AssetKey(["staging", "stg_config__cut_scores"])
    assert dg.AssetKey(["config", "cut_scores"]) in graph.get(cut_scores).parent_keys


def test_publication_waits_for_every_mart_and_the_blocking_gate(graph):
    published = graph.get(dg.AssetKey(["published", "warehouse"]))
    marts = {k for k in published.parent_keys if k.path[0] == "marts"}
    # every published table is a mart the publication depends on
    assert marts == {dg.AssetKey(["marts", table]) for table in RESTRICTED_TABLES}
    assert len(marts) == 32
    specs = {s.name: s for c in defs.asset_checks for s in c.check_specs}
    # every published mart has its Great Expectations suite as a blocking check on that mart
    for table in RESTRICTED_TABLES:
        assert specs[f"{table}_expectations"].blocking
        assert specs[f"{table}_expectations"].asset_key.path == ["marts", table]
    # raw tables are checked where they are loaded, before dbt builds on them
    assert specs["raw_nwea_map_results_schema"].asset_key == dg.AssetKey(["raw", "nwea_map_results"])
    assert specs["raw_rows_accounted_for"].blocking
    assert specs["agg_funding_lines_expectations"].asset_key.path == ["marts", "agg_funding_lines"]


def test_sensor_and_daily_schedule_are_defined():
    assert defs.resolve_sensor_def("landing_sensor").job_name == "spt_pipeline"
    schedule = defs.resolve_schedule_def("daily_pipeline")
    assert schedule.cron_schedule == "0 6 * * *"


def test_landing_fingerprint_changes_when_a_file_lands(tmp_path: Path):
    paths = Paths(tmp_path, tmp_path, tmp_path / "warehouse")
    (tmp_path / "a.csv").write_text("x\n1\n")
    first = landing_fingerprint(paths)
    assert landing_fingerprint(paths) == first
    (tmp_path / "b.csv").write_text("x\n2\n")
    assert landing_fingerprint(paths) != first
