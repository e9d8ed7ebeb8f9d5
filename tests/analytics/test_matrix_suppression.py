"""Progress matrix suppression (analytics.growth.suppress_transition_matrices), on matrices small
enough to follow by hand. The minimum n is 10 throughout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.growth import suppress_transition_matrices

KEYS = ["school_id"]
LEVELS = ("A", "B", "C")


def kinds(group: str) -> dict[str, str]:
    """The family and kind of a student group, as int_roster__student_groups_listed lists them."""
    if group == "all":
        return {"group_family": "all", "group_kind": "all"}
    if ":" in group:
        return {"group_family": group.split(":")[0], "group_kind": "partition"}
    return {"group_family": group, "group_kind": "one_group"}


def matrix(rows: list[list[int]], group: str = "all", school: str = "s1") -> pd.DataFrame:
    """One 3 x 3 matrix: rows[i][j] students moved from LEVELS[i] to LEVELS[j]."""
    return pd.DataFrame(
        [
            {
                "school_id": school, "student_group": group, **kinds(group),
                "from_level": f, "to_level": t, "n_students": rows[i][j],
            }
            for i, f in enumerate(LEVELS)
            for j, t in enumerate(LEVELS)
        ]
    )


def cell(level: str, group: str = "all", n: int = 0, school: str = "s1") -> pd.DataFrame:
    """A 1 x 1 matrix (every student stayed at `level`): no row or column rule applies."""
    return pd.DataFrame(
        [{
            "school_id": school, "student_group": group, **kinds(group),
            "from_level": level, "to_level": level, "n_students": n,
        }]
    )


def hidden_grid(cells: pd.DataFrame) -> list[list[bool]]:
    hidden = suppress_transition_matrices(cells, 10, KEYS)
    return hidden.reshape(3, 3).tolist()


def test_a_matrix_of_large_cells_shows_everything():
    assert hidden_grid(matrix([[20, 11, 10], [15, 30, 12], [10, 10, 40]])) == [[False] * 3] * 3


def test_a_lone_small_cell_takes_the_smallest_cell_of_its_row_and_column_with_it():
    # (A,B)=3 is small. Row A then hides 20 (A,C) and column B hides 25 (C,B); column C is left with
    # (A,C) alone, so 11 (B,C) goes; row B is left with (B,C) alone, so 12 (B,A) goes; row C with
    # (C,B) alone, so 30 (C,A) goes. Only the diagonal stays.
    grid = hidden_grid(matrix([[50, 3, 20], [12, 40, 11], [30, 25, 60]]))
    assert grid == [[False, True, True], [True, False, True], [True, True, False]]


def test_two_small_cells_in_a_row_and_a_column_protect_each_other():
    # (A,B)=2, (A,C)=4 and (B,B)=5 are small. Row A and column B already hold two hidden cells each;
    # row B holds only (B,B), so its smallest visible cell 12 (B,C) goes, which also gives column C
    # a second hidden cell.
    grid = hidden_grid(matrix([[30, 2, 4], [40, 5, 12], [50, 60, 70]]))
    assert grid == [[False, True, True], [False, True, True], [False, False, False]]


def test_an_empty_cell_alone_in_its_row_is_protected_too():
    # A 0 is below the minimum; alone in row A (and column C) it would be known from the totals.
    grid = hidden_grid(matrix([[30, 40, 0], [40, 30, 50], [50, 60, 30]]))
    assert grid[0][2]
    for line in [*grid, *zip(*grid)]:
        assert sum(line) != 1


def test_ties_go_to_the_first_cell_in_the_input_order():
    # Row A needs one more hidden cell: (A,A) and (A,B) both hold 20; (A,A) comes first.
    grid = hidden_grid(matrix([[20, 20, 3], [20, 30, 3], [40, 40, 40]]))
    assert grid[0] == [True, False, True]


def test_a_group_with_few_students_outside_it_is_hidden():
    # 25 students in all, 18 economically disadvantaged: 'all' minus the group would show 7 others.
    cells = pd.concat(
        [cell("A", "all", 25), cell("A", "economically_disadvantaged", 18), cell("A", "english_learner", 12)]
    )
    hidden = suppress_transition_matrices(cells, 10, KEYS)
    # English learners: 25 - 12 = 13 others, not small.
    assert hidden.tolist() == [False, True, False]


def test_a_partition_with_one_hidden_cell_hides_its_smallest_shown_cell():
    # 30 = 12 + 15 + 3 (every student has a value): 3 is hidden, and 12 goes with it.
    cells = pd.concat(
        [
            cell("A", "all", 30),
            cell("A", "race_ethnicity:asian", 3),
            cell("A", "race_ethnicity:black", 12),
            cell("A", "race_ethnicity:white", 15),
        ]
    )
    assert suppress_transition_matrices(cells, 10, KEYS).tolist() == [False, True, True, False]


def test_a_partition_missing_a_few_students_hides_its_smallest_shown_cell():
    # 30 = 12 + 15 + 3 students with no gender recorded: the 3 would be all minus the shown cells.
    cells = pd.concat([cell("A", "all", 30), cell("A", "gender:female", 12), cell("A", "gender:male", 15)])
    assert suppress_transition_matrices(cells, 10, KEYS).tolist() == [False, True, False]


def test_matrices_are_suppressed_independently():
    cells = pd.concat(
        [
            matrix([[50, 3, 20], [12, 40, 11], [30, 25, 60]], school="s1"),
            matrix([[20, 11, 10], [15, 30, 12], [10, 10, 40]], school="s2"),
        ]
    )
    hidden = suppress_transition_matrices(cells, 10, KEYS)
    assert hidden[:9].sum() == 6
    assert not hidden[9:].any()


def test_the_input_order_of_rows_is_kept():
    cells = matrix([[50, 3, 20], [12, 40, 11], [30, 25, 60]])
    shuffled = cells.sample(frac=1, random_state=3)
    hidden = suppress_transition_matrices(shuffled, 10, KEYS)
    expected = dict(zip(zip(cells["from_level"], cells["to_level"]), suppress_transition_matrices(cells, 10, KEYS)))
    assert hidden.tolist() == [expected[f, t] for f, t in zip(shuffled["from_level"], shuffled["to_level"])]


def test_a_repeated_cell_is_refused():
    cells = pd.concat([cell("A", "all", 12), cell("A", "all", 14)])
    with pytest.raises(ValueError, match="one row per matrix"):
        suppress_transition_matrices(cells, 10, KEYS)


def test_no_cells_give_no_flags():
    empty = matrix([[0] * 3] * 3).iloc[0:0]
    assert suppress_transition_matrices(empty, 10, KEYS).shape == (0,)
    assert np.all(suppress_transition_matrices(matrix([[0] * 3] * 3), 10, KEYS))


def test_an_unknown_group_kind_is_refused():
    cells = cell("A", "all", 12).assign(group_kind="subgroup")
    with pytest.raises(ValueError, match="unknown group kind"):
        suppress_transition_matrices(cells, 10, KEYS)
