"""Which progress matrix cells to hide (analytics.growth.suppress_transition_matrices)."""

from analytics.growth import suppress_transition_matrices

MATRIX_KEYS = ["school_id", "school_year", "measure_id", "grade_level", "from_window", "to_window"]


def model(dbt, session):
    dbt.config(materialized="table")
    cells = dbt.ref("int_growth__transitions_counted").df()
    district = dbt.ref("stg_config__district").df()
    minimum_n = int(district["minimum_n"].iloc[0])
    # a stable order, so that ties between equally small cells are broken the same way every run
    cells = cells.sort_values(
        [*MATRIX_KEYS, "student_group", "from_level_rank", "to_level_rank"], ignore_index=True
    )
    cells["is_suppressed"] = suppress_transition_matrices(cells, minimum_n, MATRIX_KEYS)
    return cells
