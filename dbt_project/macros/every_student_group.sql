{#- Every row of `cells` once for each student group of the district, with the group's family and
    kind (int_roster__student_groups_listed): an aggregate built on it has a row for every group in
    every cell, zero counts included, so that the presence of a row never tells that a small group
    exists at a school. -#}
{% macro every_student_group(cells) %}
    select
        {{ cells }}.*,
        student_group_values.student_group,
        student_group_values.group_family,
        student_group_values.group_kind

    from {{ cells }}
    cross join (
        select distinct student_group, group_family, group_kind
        from {{ ref('int_roster__student_groups_listed') }}
    ) as student_group_values
{% endmacro %}
