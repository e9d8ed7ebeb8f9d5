with

cells as (

    select * from {{ ref('int_growth__transitions_suppressed') }}

),

final as (

    select
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(grade_level as integer) as grade_level,
        cast(student_group as {{ dbt.type_string() }}) as student_group,
        cast(from_window as {{ dbt.type_string() }}) as from_window,
        cast(to_window as {{ dbt.type_string() }}) as to_window,
        cast(from_level as {{ dbt.type_string() }}) as from_level,
        cast(from_level_rank as integer) as from_level_rank,
        cast(to_level as {{ dbt.type_string() }}) as to_level,
        cast(to_level_rank as integer) as to_level_rank,
        cast(case when not is_suppressed then n_students end as integer) as n_students,
        cast(is_suppressed as boolean) as is_suppressed

    from cells

)

select * from final
