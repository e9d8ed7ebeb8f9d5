"""Small-cell suppression of progress (transition) matrices.

A transition matrix counts the students who moved from each performance level (a row) to each
level (a column) between two windows. Publishing it with small cells hidden is not enough: a row
total (the students at that level in the first window), a column total (at that level in the
second window) or the same matrix for the whole school can be known from other releases, and
subtracting the visible cells would then give a hidden cell back. `suppress_transition_matrices`
hides cells until no hidden cell can be recovered that way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# The kinds of student group (int_roster__student_groups_listed.group_kind): 'all'; a group that is
# one part of 'all' and whose complement is not published ('all' minus the group gives the
# complement's count); and one value of an attribute whose values partition 'all' (with the
# students who have no value, the cells of the attribute add up to 'all').
ALL, ONE_GROUP, PARTITION = "all", "one_group", "partition"


def suppress_transition_matrices(
    cells: pd.DataFrame,
    minimum_n: int,
    matrix_keys: Sequence[str],
    group_column: str = "student_group",
    family_column: str = "group_family",
    kind_column: str = "group_kind",
    from_column: str = "from_level",
    to_column: str = "to_level",
    count_column: str = "n_students",
) -> np.ndarray:
    """Which cells to hide: a boolean array, one value per row of `cells`, in its order.

    `cells` holds one row per matrix (the `matrix_keys` columns and the student group, with its
    family and kind), from level and to level, with the count of students; every matrix should
    have every (from, to) pair, zero
    counts included. The rules, applied again and again until no cell changes:

    1. Primary: a cell with fewer than `minimum_n` students (zero included) is hidden.
    2. Rows and columns: when a row (one from level of one matrix) has exactly one hidden cell, or
       exactly one hidden cell with students, the smallest visible cell of the row is hidden too
       (ties: the first in the input's order); likewise for each column (one to level).
    3. Groups, the rule of the dbt macro suppress_small_cells: at each (from, to) position, a cell
       of a one_group group (economically disadvantaged, English learner, students with
       disabilities) is hidden when 'all' minus the group is 1 to minimum_n - 1 students. In a
       partition (the values of one family: race/ethnicity, gender), when
       exactly one of its cells with students is hidden and every student has a value, or none
       is hidden and 1 to minimum_n - 1 students have no value, the smallest visible cell of the
       partition is hidden.

    A hidden cell's count then always sits in a sum with at least one other unknown.
    """
    if minimum_n < 1:
        raise ValueError(f"minimum_n must be at least 1, got {minimum_n}")
    keys = list(matrix_keys)
    needed = [*keys, group_column, family_column, kind_column, from_column, to_column, count_column]
    missing = [c for c in needed if c not in cells.columns]
    if missing:
        raise ValueError(f"cells are missing column(s) {', '.join(missing)}")
    frame = cells[needed].reset_index(drop=True)
    if frame.duplicated([*keys, group_column, from_column, to_column]).any():
        raise ValueError("cells must have one row per matrix, student group, from level and to level")
    if len(frame) == 0:
        return np.zeros(0, dtype=bool)

    counts = frame[count_column].fillna(0).to_numpy(dtype=np.int64)
    kind = frame[kind_column].astype(str).to_numpy()
    unknown_kinds = set(kind) - {ALL, ONE_GROUP, PARTITION}
    if unknown_kinds:
        raise ValueError(f"unknown group kind(s) {', '.join(sorted(unknown_kinds))}")
    row = frame.groupby([*keys, group_column, from_column], sort=False, dropna=False).ngroup().to_numpy()
    column = frame.groupby([*keys, group_column, to_column], sort=False, dropna=False).ngroup().to_numpy()
    position = frame.groupby([*keys, from_column, to_column], sort=False, dropna=False).ngroup().to_numpy()
    family = frame[family_column].astype(str).to_numpy()
    # The 'all' count at each position, for every row of that position (0 where 'all' is absent).
    is_all = kind == ALL
    all_at_position = np.zeros(position.max() + 1, dtype=np.int64)
    all_at_position[position[is_all]] = counts[is_all]
    all_count = all_at_position[position]
    # Partitions: one id per (position, family); the students of 'all' without a value in it.
    partition_rows = kind == PARTITION
    partition = np.full(len(frame), -1, dtype=np.int64)
    partition[partition_rows] = (
        pd.DataFrame({"position": position[partition_rows], "family": family[partition_rows]})
        .groupby(["position", "family"], sort=False)
        .ngroup()
        .to_numpy()
    )
    n_partitions = int(partition.max()) + 1
    without_value = np.zeros(n_partitions, dtype=np.int64)
    if n_partitions:
        sums = np.bincount(partition[partition_rows], weights=counts[partition_rows], minlength=n_partitions)
        first_all = np.zeros(n_partitions, dtype=np.int64)
        first_all[partition[partition_rows]] = all_count[partition_rows]
        without_value = first_all - sums.astype(np.int64)
    complement_is_small = (kind == ONE_GROUP) & (all_count - counts >= 1) & (all_count - counts < minimum_n)

    hidden = counts < minimum_n
    order = np.arange(len(frame))
    while True:
        before = hidden.copy()
        for line in (row, column):
            hidden |= _smallest_visible(line, _exactly_one_hidden(line, hidden, counts), hidden, counts, order)
        hidden |= complement_is_small
        if n_partitions:
            in_partition = partition_rows
            hidden_with_students = np.bincount(
                partition[in_partition], weights=(hidden & (counts > 0))[in_partition], minlength=n_partitions
            )
            exposed = ((hidden_with_students == 1) & (without_value == 0)) | (
                (hidden_with_students == 0) & (without_value >= 1) & (without_value < minimum_n)
            )
            needs = np.zeros(len(frame), dtype=bool)
            needs[in_partition] = exposed[partition[in_partition]]
            hidden |= _smallest_visible(np.where(in_partition, partition, -1), needs, hidden, counts, order)
        if np.array_equal(hidden, before):
            return hidden


def _exactly_one_hidden(line: np.ndarray, hidden: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per row: whether its line has exactly one hidden cell, or exactly one hidden cell with students."""
    size = int(line.max()) + 1
    hidden_cells = np.bincount(line, weights=hidden, minlength=size)
    hidden_with_students = np.bincount(line, weights=hidden & (counts > 0), minlength=size)
    exposed = (hidden_cells == 1) | (hidden_with_students == 1)
    return exposed[line]


def _smallest_visible(
    line: np.ndarray, needs: np.ndarray, hidden: np.ndarray, counts: np.ndarray, order: np.ndarray
) -> np.ndarray:
    """The smallest visible cell (ties: first in order) of each line that needs one more hidden cell."""
    candidates = np.flatnonzero(needs & ~hidden & (line >= 0))
    chosen = np.zeros(len(line), dtype=bool)
    if candidates.size == 0:
        return chosen
    ranked = candidates[np.lexsort((order[candidates], counts[candidates], line[candidates]))]
    first_of_line = np.r_[True, line[ranked][1:] != line[ranked][:-1]]
    chosen[ranked[first_of_line]] = True
    return chosen
