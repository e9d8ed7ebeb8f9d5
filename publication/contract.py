"""The published contract, read from dbt's manifest: which marts are published, to whom, and their grains.

Each mart's YAML declares it once, in `config.meta`:

    config:
      meta:
        publish: restricted      # district.duckdb and parquet/; `public` adds public.duckdb
        grain: [student_key]     # the columns that identify a row
        never_empty: true        # the gate blocks a build where it is empty

Publication, the gate, the Dagster asset graph and the checks read these through `marts()`; a
declared grain must be the columns of one of the model's uniqueness tests (`unique` or
`unique_combination_of_columns`), so the declaration and dbt's test of it cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
AUDIENCES = ("restricted", "public")


class ContractError(Exception):
    """A mart's declaration in its YAML is missing or contradicts its tests."""


@dataclass(frozen=True)
class Mart:
    name: str
    audience: str
    grain: tuple[str, ...]
    never_empty: bool
    columns: tuple[str, ...]

    @property
    def is_public(self) -> bool:
        return self.audience == "public"

    @property
    def is_student_level(self) -> bool:
        return "student_key" in self.columns


def ensure_dbt_manifest() -> Path:
    """dbt's manifest, parsed again whenever a model, macro or project file changed since the last parse.

    The parse is keyed on a fingerprint of every source file (path, size, modification time)
    rather than on the manifest's age: a dbt run that writes its manifest while a model is being
    edited must not hide the edit.
    """
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    stamp = DBT_PROJECT_DIR / "target" / "spt_sources.fingerprint"
    sources = sorted(
        p for p in DBT_PROJECT_DIR.rglob("*")
        if p.suffix in {".sql", ".yml", ".yaml", ".py"} and not {"target", "logs", "dbt_packages"} & set(p.parts)
    )
    fingerprint = hashlib.sha256(
        "\n".join(f"{p.relative_to(DBT_PROJECT_DIR)}|{p.stat().st_size}|{p.stat().st_mtime_ns}" for p in sources).encode()
    ).hexdigest()
    if not manifest.exists() or not stamp.exists() or stamp.read_text() != fingerprint:
        dbt = Path(sys.executable).parent / "dbt"
        subprocess.run([str(dbt), "parse", "--profiles-dir", ".", "--quiet"], cwd=DBT_PROJECT_DIR, check=True)
        stamp.write_text(fingerprint)
    return manifest


def marts(manifest: Path | None = None) -> dict[str, Mart]:
    """Every published mart, by name (sorted), from the manifest (parsed first if it is stale)."""
    path = Path(manifest) if manifest else ensure_dbt_manifest()
    return _read(str(path), path.stat().st_mtime_ns)


def sources(source_name: str, manifest: Path | None = None) -> tuple[str, ...]:
    """The tables dbt reads from one source (`config`, `raw`), sorted."""
    path = Path(manifest) if manifest else ensure_dbt_manifest()
    return _sources(str(path), path.stat().st_mtime_ns, source_name)


@lru_cache(maxsize=8)
def _sources(path: str, _mtime: int, source_name: str) -> tuple[str, ...]:
    nodes = json.loads(Path(path).read_text())["sources"].values()
    return tuple(sorted(n["name"] for n in nodes if n["source_name"] == source_name))


def dbt_tests(model: str, manifest: Path | None = None) -> frozenset[tuple[str, ...]]:
    """The column tests dbt runs on `model`, so that no other check repeats them:
    ("not_null", column), ("unique", column) and ("relationships", column, to_model, to_column)."""
    path = Path(manifest) if manifest else ensure_dbt_manifest()
    return _tests(str(path), path.stat().st_mtime_ns).get(model, frozenset())


@lru_cache(maxsize=4)
def _tests(path: str, _mtime: int) -> dict[str, frozenset[tuple[str, ...]]]:
    found: dict[str, set[tuple[str, ...]]] = {}
    for node in json.loads(Path(path).read_text())["nodes"].values():
        metadata = node.get("test_metadata") or {}
        model = (node.get("attached_node") or "").split(".")[-1]
        kwargs = metadata.get("kwargs") or {}
        if node["resource_type"] != "test" or not model or "column_name" not in kwargs:
            continue
        if (node.get("config") or {}).get("where"):
            continue  # a test of some rows only does not carry the rule for the whole column
        name = metadata.get("name")
        if name in ("not_null", "unique"):
            found.setdefault(model, set()).add((name, kwargs["column_name"]))
        elif name == "relationships":
            to_model = kwargs["to"].removeprefix("ref(").removesuffix(")").strip("'\"")
            found.setdefault(model, set()).add(("relationships", kwargs["column_name"], to_model, kwargs["field"]))
    return {model: frozenset(tests) for model, tests in found.items()}


def published(manifest: Path | None = None) -> tuple[str, ...]:
    """The marts copied to district.duckdb and parquet/."""
    return tuple(marts(manifest))


def public(manifest: Path | None = None) -> tuple[str, ...]:
    """The marts also copied to public.duckdb."""
    return tuple(name for name, mart in marts(manifest).items() if mart.is_public)


@lru_cache(maxsize=4)
def _read(path: str, _mtime: int) -> dict[str, Mart]:
    return marts_from_manifest(json.loads(Path(path).read_text()))


def marts_from_manifest(manifest: dict) -> dict[str, Mart]:
    """The declared marts of a parsed manifest; ContractError names every bad declaration."""
    nodes = manifest["nodes"].values()
    unique_tests: dict[str, set[tuple[str, ...]]] = {}
    for node in nodes:
        metadata = node.get("test_metadata") or {}
        model = (node.get("attached_node") or "").split(".")[-1]
        if node["resource_type"] != "test" or not model:
            continue
        kwargs = metadata.get("kwargs") or {}
        if metadata.get("name") == "unique":
            unique_tests.setdefault(model, set()).add((kwargs["column_name"],))
        elif metadata.get("name") == "unique_combination_of_columns":
            unique_tests.setdefault(model, set()).add(tuple(kwargs["combination_of_columns"]))
    found: dict[str, Mart] = {}
    problems = []
    for node in nodes:
        meta = node.get("config", {}).get("meta") or {}
        if node["resource_type"] != "model" or "publish" not in meta:
            continue
        name = node["name"]
        where = node.get("patch_path", name)
        audience, grain = meta["publish"], tuple(meta.get("grain") or ())
        if audience not in AUDIENCES:
            problems.append(f"{name} ({where}): publish must be one of {', '.join(AUDIENCES)}, not {audience!r}")
        if not grain:
            problems.append(f"{name} ({where}): a published mart declares its grain")
        elif grain not in unique_tests.get(name, set()):
            problems.append(f"{name} ({where}): no unique test on its grain ({', '.join(grain)})")
        found[name] = Mart(name, audience, grain, bool(meta.get("never_empty")), tuple(node.get("columns") or ()))
    if problems:
        raise ContractError("; ".join(problems))
    return dict(sorted(found.items()))
