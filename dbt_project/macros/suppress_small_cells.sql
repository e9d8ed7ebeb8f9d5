{#- Small-cell and complementary suppression of a public aggregate, the one rule for every
    aggregate reported by student group.

    `counted` names a CTE with one row per cell and student group: the `cell_columns`, the
    student_group with its group_family and group_kind (from int_roster__student_groups_listed),
    and the count `count_column`; every cell has a row for every group, zero counts included.
    `district` names a relation with the minimum_n column.

    The macro writes CTEs ending in `suppressed`: every column of `counted` with all_count (the
    cell's 'all' count), minimum_n and is_suppressed. A row is suppressed when
      1. its count is under the minimum (zero included), or
      2. it is a one_group group and 'all' minus the group is 1 to minimum_n - 1 students (the
         difference would show the students outside the group), or
      3. it is the smallest shown group of a partition (ties: the first student_group) in which
         exactly one hidden group has students and every student has a value, or no group is
         hidden and 1 to minimum_n - 1 students have no value: each would be the only unknown
         left after subtracting the shown groups from 'all'.
    One pass is final: after rule 3 a partition holds two unknowns.
    analytics.growth.suppress_transition_matrices applies the same group rules to the progress
    matrix, where rows and columns add their own. -#}
{% macro suppress_small_cells(counted, cell_columns, count_column, district='district') %}
suppression_all as (

    select
        {%- for column in cell_columns %}
        {{ column }},
        {%- endfor %}
        {{ count_column }} as all_count

    from {{ counted }}
    where group_kind = 'all'

),

suppression_cells as (

    select
        {{ counted }}.*,
        suppression_all.all_count,
        {{ district }}.minimum_n,
        {{ counted }}.{{ count_column }} < {{ district }}.minimum_n as is_small_cell

    from {{ counted }}
    inner join suppression_all
        on {% for column in cell_columns -%}
        {{ 'and ' if not loop.first }}suppression_all.{{ column }} = {{ counted }}.{{ column }}
        {% endfor %}
    cross join {{ district }}

),

suppression_partitions as (

    select
        {%- for column in cell_columns %}
        {{ column }},
        {%- endfor %}
        group_family,
        sum(case when is_small_cell and {{ count_column }} > 0 then 1 else 0 end) as hidden_with_students,
        max(all_count) - sum({{ count_column }}) as students_without_value

    from suppression_cells
    where group_kind = 'partition'
    group by
        {%- for column in cell_columns %}
        {{ column }},
        {%- endfor %}
        group_family

),

suppression_ranked as (

    select
        suppression_cells.*,
        suppression_partitions.hidden_with_students,
        suppression_partitions.students_without_value,
        row_number() over (
            partition by
                {%- for column in cell_columns %}
                suppression_cells.{{ column }},
                {%- endfor %}
                suppression_cells.group_family,
                suppression_cells.is_small_cell
            order by suppression_cells.{{ count_column }}, suppression_cells.student_group
        ) as smallest_first

    from suppression_cells
    left join suppression_partitions
        on {% for column in cell_columns -%}
        suppression_partitions.{{ column }} = suppression_cells.{{ column }}
        and {% endfor -%}
        suppression_partitions.group_family = suppression_cells.group_family

),

suppressed as (

    select
        suppression_ranked.*,
        is_small_cell
            or coalesce(
                group_kind = 'one_group'
                and all_count - {{ count_column }} between 1 and minimum_n - 1,
                false
            )
            or coalesce(
                group_kind = 'partition'
                and not is_small_cell
                and smallest_first = 1
                and (
                    (hidden_with_students = 1 and students_without_value = 0)
                    or (hidden_with_students = 0 and students_without_value between 1 and minimum_n - 1)
                ),
                false
            ) as is_suppressed

    from suppression_ranked

)
{% endmacro %}
