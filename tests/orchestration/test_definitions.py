"""The Dagster graph: what assets and checks exist and how they are wired."""

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.sensors import landing_fingerprint
from orchestration.settings import Paths
from publication import contract


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
    assert marts == {dg.AssetKey(["marts", table]) for table in contract.published()}
    assert len(marts) == 32
    specs = {s.name: s for c in defs.asset_checks for s in c.check_specs}
    # every published mart has its Great Expectations suite as a blocking check on that mart
    for table in contract.published():
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


def test_every_source_asset_is_materialized_by_a_stage(graph):
    # a source dbt reads that no stage writes would be an orphan the UI cannot materialize
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    sources = {k for k in graph.get_all_asset_keys() if k.path[0] in ("config", "raw")}
    assert sources and sources <= materializable


def test_the_definitions_loader_writes_exactly_the_config_tables_dbt_reads():
    import duckdb

    from definitions import load_definitions, write_config_schema

    written = write_config_schema(duckdb.connect(), load_definitions(Path(__file__).parents[2] / "config"))
    assert sorted(written) == list(contract.sources("config"))


SNAPSHOT = Path(__file__).with_name("asset_graph.txt")


def asset_graph_text(graph) -> str:
    """Asset keys with their parents, then checks with their asset and whether they block: one line each."""
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        parents = sorted(p.to_user_string() for p in graph.get(key).parent_keys)
        lines.append(f"asset {key.to_user_string()} <- {', '.join(parents) or '-'}")
    for check in sorted((s for c in defs.asset_checks for s in c.check_specs), key=lambda s: s.name):
        lines.append(f"check {check.name} on {check.asset_key.to_user_string()}{' blocking' if check.blocking else ''}")
    return "\n".join(lines) + "\n"


def test_the_asset_graph_matches_its_reviewed_snapshot(graph):
    # A change to the graph (an asset, a dependency, a check) shows in review as a change to
    # tests/orchestration/asset_graph.txt; regenerate it with SPT_UPDATE_SNAPSHOTS=1.
    import os

    current = asset_graph_text(graph)
    if os.environ.get("SPT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(current)
    assert current == SNAPSHOT.read_text()


def test_dbt_runs_from_one_project_whose_manifest_is_current():
    from orchestration import assets

    resource = defs.resources["dbt"]
    assert Path(resource.project_dir) == contract.DBT_PROJECT_DIR
    assert assets.DBT_PROJECT.manifest_path == contract.DBT_PROJECT_DIR / "target" / "manifest.json"
    # the manifest holds every mart the contract publishes
    manifest = json.loads(assets.DBT_PROJECT.manifest_path.read_text())
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert set(contract.published()) <= models
