with

growth as (

    select * from {{ ref('fct_student_growth') }}
    where school_id is not null
        and grade_level is not null

),

student_groups as (

    select * from {{ ref('int_growth__student_groups_listed') }}

),

district as (

    select * from {{ ref('stg_config__district') }}

),

grouped as (

    select
        growth.school_id,
        growth.school_year,
        growth.subject,
        growth.measure_id,
        growth.grade_level,
        growth.from_window,
        growth.to_window,
        growth.baseline,
        student_groups.student_group,
        -- one row per student in a cell: fct_student_growth has one row per student, measure and span
        count(*) as n_students,
        avg(growth.gain) as mean_gain,
        count(growth.growth_percentile) as n_with_growth_percentile,
        percentile_cont(0.5) within group (order by growth.growth_percentile) as median_growth_percentile,
        count(growth.typical_growth_target) as n_with_typical_target,
        sum(case when growth.met_typical_growth then 1 else 0 end) as n_met_typical_growth,
        count(growth.stretch_growth_target) as n_with_stretch_target,
        sum(case when growth.met_stretch_growth then 1 else 0 end) as n_met_stretch_growth

    from growth
    inner join student_groups
        on student_groups.student_key = growth.student_key
    group by
        growth.school_id,
        growth.school_year,
        growth.subject,
        growth.measure_id,
        growth.grade_level,
        growth.from_window,
        growth.to_window,
        growth.baseline,
        student_groups.student_group

),

-- every cell with students gets a row for every student group of the district, so that the
-- presence of a row never tells that a small group exists at a school
cells as (

    select distinct
        school_id,
        school_year,
        subject,
        measure_id,
        grade_level,
        from_window,
        to_window,
        baseline

    from growth

),

group_values as (

    select distinct student_group
    from student_groups

),

counted as (

    select
        cells.*,
        group_values.student_group,
        coalesce(grouped.n_students, 0) as n_students,
        grouped.mean_gain,
        coalesce(grouped.n_with_growth_percentile, 0) as n_with_growth_percentile,
        grouped.median_growth_percentile,
        coalesce(grouped.n_with_typical_target, 0) as n_with_typical_target,
        coalesce(grouped.n_met_typical_growth, 0) as n_met_typical_growth,
        coalesce(grouped.n_with_stretch_target, 0) as n_with_stretch_target,
        coalesce(grouped.n_met_stretch_growth, 0) as n_met_stretch_growth,
        coalesce(grouped.n_students, 0) < district.minimum_n as is_suppressed

    from cells
    cross join group_values
    cross join district
    left join grouped
        on grouped.school_id = cells.school_id
        and grouped.school_year = cells.school_year
        and grouped.measure_id = cells.measure_id
        and grouped.grade_level = cells.grade_level
        and grouped.from_window = cells.from_window
        and grouped.to_window = cells.to_window
        and grouped.student_group = group_values.student_group

),

-- Complementary suppression, as in agg_school_proficiency: a one-group cell (economically
-- disadvantaged, English learner, with disabilities) is hidden when fewer than the minimum of the
-- cell's students are outside the group ('all' minus the group would show them); in the
-- race/ethnicity and gender partitions, when one hidden cell with students (or the students with no
-- value) would be the only unknown left after subtracting the shown cells from 'all', the smallest
-- shown cell of the partition is hidden too.
all_students as (

    select
        school_id,
        school_year,
        measure_id,
        grade_level,
        from_window,
        to_window,
        n_students as all_students

    from counted
    where student_group = 'all'

),

with_family as (

    select
        counted.*,
        all_students.all_students,
        case
            when counted.student_group in ('economically_disadvantaged', 'english_learner', 'students_with_disabilities')
                then 'one_group'
            when counted.student_group like 'race_ethnicity:%' then 'race_ethnicity'
            when counted.student_group like 'gender:%' then 'gender'
        end as group_family

    from counted
    inner join all_students
        on all_students.school_id = counted.school_id
        and all_students.school_year = counted.school_year
        and all_students.measure_id = counted.measure_id
        and all_students.grade_level = counted.grade_level
        and all_students.from_window = counted.from_window
        and all_students.to_window = counted.to_window

),

partitions as (

    select
        school_id,
        school_year,
        measure_id,
        grade_level,
        from_window,
        to_window,
        group_family,
        sum(case when is_suppressed and n_students > 0 then 1 else 0 end) as hidden_with_students,
        max(all_students) - sum(n_students) as students_without_value

    from with_family
    where group_family in ('race_ethnicity', 'gender')
    group by
        school_id,
        school_year,
        measure_id,
        grade_level,
        from_window,
        to_window,
        group_family

),

ranked as (

    select
        with_family.*,
        partitions.hidden_with_students,
        partitions.students_without_value,
        row_number() over (
            partition by
                with_family.school_id, with_family.school_year, with_family.measure_id,
                with_family.grade_level, with_family.from_window, with_family.to_window,
                with_family.group_family, with_family.is_suppressed
            order by with_family.n_students, with_family.student_group
        ) as smallest_first

    from with_family
    left join partitions
        on partitions.school_id = with_family.school_id
        and partitions.school_year = with_family.school_year
        and partitions.measure_id = with_family.measure_id
        and partitions.grade_level = with_family.grade_level
        and partitions.from_window = with_family.from_window
        and partitions.to_window = with_family.to_window
        and partitions.group_family = with_family.group_family

),

protected as (

    select
        ranked.*,
        ranked.is_suppressed
            or coalesce(
                ranked.group_family = 'one_group'
                and ranked.all_students - ranked.n_students between 1 and district.minimum_n - 1,
                false
            )
            or coalesce(
                ranked.group_family in ('race_ethnicity', 'gender')
                and not ranked.is_suppressed
                and ranked.smallest_first = 1
                and (
                    (ranked.hidden_with_students = 1 and ranked.students_without_value = 0)
                    or (ranked.hidden_with_students = 0
                        and ranked.students_without_value between 1 and district.minimum_n - 1)
                ),
                false
            ) as is_hidden,
        district.minimum_n

    from ranked
    cross join district

),

final as (

    select
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(grade_level as integer) as grade_level,
        cast(from_window as {{ dbt.type_string() }}) as from_window,
        cast(to_window as {{ dbt.type_string() }}) as to_window,
        cast(baseline as {{ dbt.type_string() }}) as baseline,
        cast(student_group as {{ dbt.type_string() }}) as student_group,
        cast(case when not is_hidden then n_students end as integer) as n_students,
        case
            when not is_hidden then cast({{ round_double('mean_gain', 1) }} as {{ type_double() }})
        end as mean_gain,
        -- medians cannot be subtracted from one another; shown when enough students have a percentile
        case
            when not is_hidden and n_with_growth_percentile >= minimum_n
                then cast({{ round_double('median_growth_percentile', 1) }} as {{ type_double() }})
        end as median_growth_percentile,
        -- shown when every student of the cell has a target, so the denominator is n_students and
        -- the cell's suppression protects it
        case
            when not is_hidden and n_with_typical_target = n_students
                then cast({{ round_double(
                    '100.0 * cast(n_met_typical_growth as ' ~ type_double() ~ ') / n_students', 1
                ) }} as {{ type_double() }})
        end as pct_met_typical_growth,
        case
            when not is_hidden and n_with_stretch_target = n_students
                then cast({{ round_double(
                    '100.0 * cast(n_met_stretch_growth as ' ~ type_double() ~ ') / n_students', 1
                ) }} as {{ type_double() }})
        end as pct_met_stretch_growth,
        cast(is_hidden as boolean) as is_suppressed

    from protected

)

select * from final
