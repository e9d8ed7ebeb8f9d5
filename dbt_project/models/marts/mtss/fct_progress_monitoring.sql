with

evaluated as (

    select * from {{ ref('int_mtss__progress_evaluated') }}

),

final as (

    select
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(goal_id as {{ dbt.type_string() }}) as goal_id,
        cast(goal_source as {{ dbt.type_string() }}) as goal_source,
        cast(grade_level as integer) as grade_level,
        cast(n_points as integer) as n_points,
        cast(first_probe_date as date) as first_probe_date,
        cast(latest_probe_date as date) as latest_probe_date,
        cast(latest_score as {{ type_double() }}) as latest_score,
        cast(baseline_score as {{ type_double() }}) as baseline_score,
        cast(baseline_date as date) as baseline_date,
        cast(goal_score as {{ type_double() }}) as goal_score,
        cast(goal_date as date) as goal_date,
        cast(aimline_slope as {{ type_double() }}) as aimline_slope,
        cast(rate_of_improvement as {{ type_double() }}) as rate_of_improvement,
        cast(rate_of_improvement_method as {{ dbt.type_string() }}) as rate_of_improvement_method,
        cast(expected_rate_of_improvement as {{ type_double() }}) as expected_rate_of_improvement,
        cast(decision as {{ dbt.type_string() }}) as decision,
        cast(goal_status as {{ dbt.type_string() }}) as goal_status,
        cast(aimline_score_at_latest as {{ type_double() }}) as aimline_score_at_latest,
        cast(projected_score_at_goal_date as {{ type_double() }}) as projected_score_at_goal_date,
        cast(next_milestone_date as date) as next_milestone_date,
        cast(next_milestone_score as {{ type_double() }}) as next_milestone_score

    from evaluated

)

select * from final
