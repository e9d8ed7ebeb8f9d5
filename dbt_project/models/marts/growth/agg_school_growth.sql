with

growth as (

    select * from {{ ref('fct_student_growth') }}
    where school_id is not null
        and grade_level is not null

),

student_groups as (

    select * from {{ ref('int_roster__student_groups_listed') }}

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

-- every cell with students, with every student group of the district
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

spine as (

    {{ every_student_group('cells') }}

),

counted as (

    select
        spine.*,
        coalesce(grouped.n_students, 0) as n_students,
        grouped.mean_gain,
        coalesce(grouped.n_with_growth_percentile, 0) as n_with_growth_percentile,
        grouped.median_growth_percentile,
        coalesce(grouped.n_with_typical_target, 0) as n_with_typical_target,
        coalesce(grouped.n_met_typical_growth, 0) as n_met_typical_growth,
        coalesce(grouped.n_with_stretch_target, 0) as n_with_stretch_target,
        coalesce(grouped.n_met_stretch_growth, 0) as n_met_stretch_growth

    from spine
    left join grouped
        on grouped.school_id = spine.school_id
        and grouped.school_year = spine.school_year
        and grouped.measure_id = spine.measure_id
        and grouped.grade_level = spine.grade_level
        and grouped.from_window = spine.from_window
        and grouped.to_window = spine.to_window
        and grouped.student_group = spine.student_group

),

-- small cells, and the cells that subtraction from 'all' would give back
{{ suppress_small_cells(
    'counted',
    ['school_id', 'school_year', 'measure_id', 'grade_level', 'from_window', 'to_window'],
    'n_students'
) }},

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
        cast(case when not is_suppressed then n_students end as integer) as n_students,
        case
            when not is_suppressed then cast({{ round_double('mean_gain', 1) }} as {{ type_double() }})
        end as mean_gain,
        -- medians cannot be subtracted from one another; shown when enough students have a percentile
        case
            when not is_suppressed and n_with_growth_percentile >= minimum_n
                then cast({{ round_double('median_growth_percentile', 1) }} as {{ type_double() }})
        end as median_growth_percentile,
        -- shown when every student of the cell has a target, so the denominator is n_students and
        -- the cell's suppression protects it
        case
            when not is_suppressed and n_with_typical_target = n_students
                then cast({{ round_double(
                    '100.0 * cast(n_met_typical_growth as ' ~ type_double() ~ ') / n_students', 1
                ) }} as {{ type_double() }})
        end as pct_met_typical_growth,
        case
            when not is_suppressed and n_with_stretch_target = n_students
                then cast({{ round_double(
                    '100.0 * cast(n_met_stretch_growth as ' ~ type_double() ~ ') / n_students', 1
                ) }} as {{ type_double() }})
        end as pct_met_stretch_growth,
        cast(is_suppressed as boolean) as is_suppressed

    from suppressed

)

select * from final
