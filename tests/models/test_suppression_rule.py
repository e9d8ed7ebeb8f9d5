"""The suppression macro (macros/suppress_small_cells.sql) on small tables, by hand and against the
progress matrix's Python rule (analytics.growth.suppress_transition_matrices), which applies the
same group rules: on a matrix of one cell, no row or column rule applies and the two must agree."""

from __future__ import annotations

import duckdb
import jinja2
import numpy as np
import pandas as pd
import pytest

from analytics.growth import suppress_transition_matrices
from publication.contract import DBT_PROJECT_DIR

MINIMUM_N = 10
RACES = ("asian", "black", "hispanic_latino", "white")


def macro_sql(cell_columns: list[str], count_column: str) -> str:
    text = (DBT_PROJECT_DIR / "macros" / "suppress_small_cells.sql").read_text()
    macro = jinja2.Environment().from_string(text).module.suppress_small_cells
    return str(macro("counted", cell_columns, count_column))


def suppressed_by_macro(cells: pd.DataFrame) -> pd.Series:
    """is_suppressed per row of `cells` (cell_id, student_group, group_family, group_kind, n)."""
    sql = (
        f"with district as (select {MINIMUM_N} as minimum_n), counted as (select * from cells), "
        f"{macro_sql(['cell_id'], 'n')} select cell_id, student_group, is_suppressed from suppressed"
    )
    with duckdb.connect() as con:
        con.register("cells", cells)
        result = con.execute(sql).df()
    merged = cells.merge(result, on=["cell_id", "student_group"], how="left", validate="one_to_one")
    assert merged["is_suppressed"].notna().all()
    return merged["is_suppressed"].astype(bool)


def rows(cell_id: int, counts: dict[str, int]) -> list[dict]:
    out = []
    for group, n in counts.items():
        if group == "all":
            family, kind = "all", "all"
        elif ":" in group:
            family, kind = group.split(":")[0], "partition"
        else:
            family, kind = group, "one_group"
        out.append({"cell_id": cell_id, "student_group": group, "group_family": family, "group_kind": kind, "n": n})
    return out


def frame(*cells: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([row for i, counts in enumerate(cells) for row in rows(i, counts)])


def hidden(cells: pd.DataFrame) -> set[tuple[int, str]]:
    flags = suppressed_by_macro(cells)
    return set(zip(cells.loc[flags.to_numpy(), "cell_id"], cells.loc[flags.to_numpy(), "student_group"]))


def test_large_cells_are_shown():
    cells = frame({"all": 40, "english_learner": 15, "gender:female": 20, "gender:male": 20})
    assert hidden(cells) == set()


def test_a_small_cell_and_an_empty_cell_are_hidden():
    cells = frame({"all": 40, "english_learner": 4, "students_with_disabilities": 0})
    assert hidden(cells) == {(0, "english_learner"), (0, "students_with_disabilities")}


def test_a_group_with_few_students_outside_it_is_hidden():
    # 25 students, 18 economically disadvantaged: 'all' minus the group would show 7 others.
    cells = frame({"all": 25, "economically_disadvantaged": 18, "english_learner": 12})
    assert hidden(cells) == {(0, "economically_disadvantaged")}


def test_a_partition_with_one_hidden_cell_hides_its_smallest_shown_cell():
    # 30 = 3 + 12 + 15, every student has a value: 3 is hidden and 12 goes with it.
    cells = frame({"all": 30, "race_ethnicity:asian": 3, "race_ethnicity:black": 12, "race_ethnicity:white": 15})
    assert hidden(cells) == {(0, "race_ethnicity:asian"), (0, "race_ethnicity:black")}


def test_a_partition_missing_a_few_students_hides_its_smallest_shown_cell():
    # 30 = 12 + 15 + 3 with no gender recorded: the 3 would be 'all' minus the shown cells.
    cells = frame({"all": 30, "gender:female": 12, "gender:male": 15})
    assert hidden(cells) == {(0, "gender:female")}


def test_two_hidden_cells_in_a_partition_protect_each_other():
    cells = frame({"all": 30, "race_ethnicity:asian": 3, "race_ethnicity:black": 4, "race_ethnicity:white": 23})
    assert hidden(cells) == {(0, "race_ethnicity:asian"), (0, "race_ethnicity:black")}


def test_cells_are_suppressed_independently():
    cells = frame({"all": 25, "economically_disadvantaged": 18}, {"all": 60, "economically_disadvantaged": 18})
    assert hidden(cells) == {(0, "economically_disadvantaged")}


def random_cells(seed: int, n_cells: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cells = []
    for _ in range(n_cells):
        total = int(rng.integers(0, 60))
        counts = {"all": total}
        for group in ("economically_disadvantaged", "english_learner", "students_with_disabilities"):
            counts[group] = int(rng.integers(0, total + 1))
        for family, values in (("race_ethnicity", RACES), ("gender", ("female", "male"))):
            without_value = int(rng.integers(0, min(total, 12) + 1)) if rng.random() < 0.5 else 0
            shares = rng.dirichlet(np.full(len(values), 0.6))
            split = rng.multinomial(total - without_value, shares)
            counts.update({f"{family}:{value}": int(n) for value, n in zip(values, split)})
        cells.append(counts)
    return frame(*cells)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_macro_and_the_matrix_rule_agree_on_one_cell_matrices(seed):
    cells = random_cells(seed, 400).sort_values(["cell_id", "student_group"], ignore_index=True)
    by_macro = suppressed_by_macro(cells).to_numpy()
    as_matrices = cells.assign(from_level="L", to_level="L").rename(columns={"n": "n_students"})
    by_python = suppress_transition_matrices(as_matrices, MINIMUM_N, ["cell_id"])
    # the random cells reach every rule
    assert by_macro.sum() > 100 and (~by_macro).sum() > 100
    assert int(((cells["group_kind"] == "partition") & by_macro & (cells["n"] >= MINIMUM_N)).sum()) > 5
    assert int(((cells["group_kind"] == "one_group") & by_macro & (cells["n"] >= MINIMUM_N)).sum()) > 5
    disagree = cells.loc[by_macro != by_python, ["cell_id", "student_group", "n"]]
    assert disagree.empty, disagree.head(10).to_string()


def test_every_public_aggregate_by_student_group_uses_the_macro():
    marts = DBT_PROJECT_DIR / "models" / "marts"
    for name in ("agg_school_proficiency", "agg_school_growth", "agg_mtss_tiers"):
        sql = next(marts.rglob(f"{name}.sql")).read_text()
        assert "suppress_small_cells(" in sql, name
        assert "every_student_group(" in sql, name
        assert "smallest_first" not in sql, f"{name} restates the rule"
