with

involvements as (

    select * from {{ ref('int_seb__incident_involvements_counted') }}

),

final as (

    select
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(scope as {{ dbt.type_string() }}) as scope,
        cast(class_sourced_id as {{ dbt.type_string() }}) as class_sourced_id,
        cast(school_year as integer) as school_year,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(n_incidents as integer) as n_incidents,
        cast(n_major_incidents as integer) as n_major_incidents,
        cast(student_rank as integer) as student_rank,
        cast(is_top_student as boolean) as is_top_student

    from involvements

)

select * from final
