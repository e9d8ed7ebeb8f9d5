"""Dagster assets: a few lines each, calling the stages in orchestration.stages."""

from datetime import datetime, timezone

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets, get_asset_key_for_model

from ingestion.formats import BOOKKEEPING_TABLES, RECORD_TABLES, RESULT_TABLES, ROSTER_TABLES
from publication import contract

from . import stages
from .settings import Paths, ensure_student_key_secret

# The dbt project. Under `dagster dev` (`make ui`) prepare_if_dev parses it again as the code
# loads, so an edited model shows at once; everywhere else contract.ensure_dbt_manifest parses it
# only when one of its files changed.
DBT_PROJECT = DbtProject(project_dir=contract.DBT_PROJECT_DIR, profiles_dir=contract.DBT_PROJECT_DIR)
DBT_PROJECT.prepare_if_dev()
contract.ensure_dbt_manifest()

# Every config table dbt reads, each written by the definitions loader (a test holds the two equal).
CONFIG_TABLES = contract.sources("config")
RAW_TABLES = (*RESULT_TABLES, *ROSTER_TABLES, *RECORD_TABLES, *BOOKKEEPING_TABLES)
# Every mart the publication copies: the publish waits for all of them.
MARTS = contract.published()


@dg.multi_asset(
    specs=[dg.AssetSpec(["config", t], group_name="config", kinds={"duckdb"}) for t in CONFIG_TABLES],
    name="district_definitions",
    description="Validate config/ (district.yml and the CSVs) and write the `config` schema.",
)
def district_definitions(context: dg.AssetExecutionContext):
    counts = stages.load_config(Paths.from_env())
    for table in CONFIG_TABLES:
        yield dg.MaterializeResult(asset_key=["config", table], metadata={"rows": counts[table]})


@dg.multi_asset(
    specs=[dg.AssetSpec(["raw", t], group_name="raw", kinds={"duckdb"}) for t in RAW_TABLES],
    name="landing_files",
    description="Load every new landing file into the `raw` schema (idempotent by file content).",
)
def landing_files(context: dg.AssetExecutionContext):
    summary = stages.ingest(
        Paths.from_env(),
        on_file=lambda f: context.log.info(
            f"{f.source_file}: {f.status} ({f.rows_loaded} loaded, {f.rows_rejected} rejected)"
        ),
    )
    metadata = {
        "files_loaded": summary.count("loaded"),
        "files_rejected": summary.count("rejected"),
        "files_already_loaded": summary.count("already_loaded"),
        "rows_read": summary.rows_read,
        "rows_loaded": summary.rows_loaded,
        "rows_rejected": summary.rows_rejected,
    }
    for table in RAW_TABLES:
        yield dg.MaterializeResult(asset_key=["raw", table], metadata=metadata)


@dbt_assets(manifest=DBT_PROJECT.manifest_path)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """dbt build: staging, intermediate and marts, with every dbt test."""
    ensure_student_key_secret(Paths.from_env().warehouse_dir)
    invocation = dbt.cli(["build"], context=context, raise_on_error=False)
    yield from invocation.stream()
    if not invocation.is_successful():
        raise dg.Failure(description=stages.dbt_failures(invocation.get_artifact("run_results.json")))


def mart_key(model: str) -> dg.AssetKey:
    return get_asset_key_for_model([warehouse_models], model)


CHECKS = stages.check_catalog()


def checked_asset(table: str) -> dg.AssetKey:
    if table.startswith("raw."):
        return dg.AssetKey(["raw", table.removeprefix("raw.")])
    return mart_key(table)


def _check_results(specs: list[tuple[str, str, bool]], results) -> list[dg.AssetCheckResult]:
    """One Dagster result per catalogued check; a raw table never delivered has nothing to check."""
    by_name = {r.name: r for r in results}
    out = []
    for name, table, blocking in specs:
        result = by_name.get(name)
        if result is None:
            out.append(dg.AssetCheckResult(
                check_name=name, asset_key=checked_asset(table), passed=True,
                description=f"{table}: nothing to check (no file of it delivered yet)",
            ))
            continue
        out.append(dg.AssetCheckResult(
            check_name=name,
            asset_key=checked_asset(table),
            passed=result.passed,
            severity=dg.AssetCheckSeverity.ERROR if result.blocking else dg.AssetCheckSeverity.WARN,
            description=result.message[:1000],
            metadata={"failing_rows": result.failing_rows},
        ))
    return out


RAW_CHECKS = [c for c in CHECKS if c[1].startswith("raw.")]
MART_CHECKS = [c for c in CHECKS if not c[1].startswith("raw.")]


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(name, asset=checked_asset(table), blocking=blocking) for name, table, blocking in RAW_CHECKS],
    name="raw_quality_gate",
    description="Row accounting, one manifest line per file and a pandera schema per raw table; a failure stops the build.",
)
def raw_quality_gate(context: dg.AssetCheckExecutionContext):
    results = stages.raw_gate(Paths.from_env(), run_id=context.run.run_id)
    for failed in (r for r in results if not r.passed):
        context.log.error(failed.message)
    yield from _check_results(RAW_CHECKS, results)


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(name, asset=checked_asset(table), blocking=blocking) for name, table, blocking in MART_CHECKS],
    name="publication_gate",
    description="Grains, references, suppression, funding to the cent, pandera and Great Expectations suites "
    "on every mart; a blocking failure publishes nothing.",
)
def publication_gate(context: dg.AssetCheckExecutionContext):
    results = stages.gate(Paths.from_env(), run_id=context.run.run_id)
    for failed in (r for r in results if not r.passed):
        context.log.error(failed.message)
    yield from _check_results(MART_CHECKS, results)


@dg.asset(
    key=["published", "warehouse"],
    deps=[mart_key(m) for m in MARTS],
    group_name="published",
    kinds={"duckdb", "parquet"},
    description="district.duckdb (restricted), public.duckdb (aggregates, suppressed) and Parquet, swapped in atomically.",
)
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    paths = Paths.from_env()
    checks = stages.recorded_checks(paths, context.run_id)
    # Publications are named so that their names sort by time (history keeps the newest).
    publication_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{context.run_id[:8]}"
    publication = stages.publish_marts(paths, publication_id, checks, run_id=context.run.tags.get("spt/run_id"))
    return dg.MaterializeResult(
        metadata={
            "path": str(paths.published_dir),
            "publication": publication_id,
            **{f"rows.{t}": n for t, n in publication.tables.items()},
        }
    )
