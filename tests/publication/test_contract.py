"""The published contract is declared once, in each mart's YAML, and read from dbt's manifest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publication import contract
from publication.contract import ContractError, marts_from_manifest

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_list(heading: str) -> set[str]:
    text = README.read_text()
    start = text.index(heading)
    paragraph = text[start : text.index("\n\n", start)]
    return set(re.findall(r"`((?:dim|fct|agg|audit)_\w+)`", paragraph))


def test_the_manifest_declares_every_published_mart_as_the_readme_lists_them():
    marts = contract.marts()
    assert set(contract.published()) == _readme_list("`district.duckdb` (restricted):")
    assert set(contract.public()) == _readme_list("`public.duckdb` (policymakers, BI tools):")
    # nothing student-level is public
    assert not [m.name for m in marts.values() if m.is_public and m.is_student_level]
    assert {n for n, m in marts.items() if m.never_empty} == {
        "dim_students", "dim_schools", "dim_measures", "dim_assessment_windows", "fct_assessment_results",
        "agg_school_proficiency",
    }
    assert marts["fct_assessment_results"].grain == ("student_key", "measure_id", "assessment_date")


def _manifest(meta: dict, tests: list[tuple[str, dict]]) -> dict:
    nodes = {
        "model.spt.agg_x": {
            "resource_type": "model", "name": "agg_x", "patch_path": "spt://models/agg_x.yml",
            "config": {"meta": meta}, "columns": {"school_id": {}, "n": {}},
        }
    }
    for i, (name, kwargs) in enumerate(tests):
        nodes[f"test.spt.t{i}"] = {
            "resource_type": "test", "attached_node": "model.spt.agg_x", "config": {},
            "test_metadata": {"name": name, "kwargs": kwargs},
        }
    return {"nodes": nodes}


def test_a_declared_grain_needs_a_unique_test_on_exactly_those_columns():
    good = _manifest({"publish": "public", "grain": ["school_id"]}, [("unique", {"column_name": "school_id"})])
    assert marts_from_manifest(good)["agg_x"].is_public
    combined = _manifest(
        {"publish": "restricted", "grain": ["school_id", "n"]},
        [("unique_combination_of_columns", {"combination_of_columns": ["school_id", "n"]})],
    )
    assert marts_from_manifest(combined)["agg_x"].grain == ("school_id", "n")
    with pytest.raises(ContractError, match=r"agg_x \(spt://models/agg_x.yml\): no unique test on its grain \(school_id, n\)"):
        marts_from_manifest(_manifest({"publish": "public", "grain": ["school_id", "n"]}, [("unique", {"column_name": "school_id"})]))
    with pytest.raises(ContractError, match="declares its grain"):
        marts_from_manifest(_manifest({"publish": "public"}, []))
    with pytest.raises(ContractError, match="publish must be one of restricted, public, not 'everyone'"):
        marts_from_manifest(_manifest({"publish": "everyone", "grain": ["school_id"]}, [("unique", {"column_name": "school_id"})]))
    # a model that declares no publication is not part of the contract
    assert marts_from_manifest(_manifest({}, [])) == {}
