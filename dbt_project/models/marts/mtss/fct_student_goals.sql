with

goals as (

    select * from {{ ref('int_mtss__goals_combined') }}

),

evaluated as (

    select * from {{ ref('int_mtss__progress_evaluated') }}
    where goal_id is not null

),

final as (

    select
        cast(goals.goal_id as {{ dbt.type_string() }}) as goal_id,
        cast(goals.goal_source as {{ dbt.type_string() }}) as goal_source,
        cast(goals.student_key as {{ dbt.type_string() }}) as student_key,
        cast(coalesce(evaluated.school_id, goals.school_id) as {{ dbt.type_string() }}) as school_id,
        cast(goals.school_year as integer) as school_year,
        cast(goals.measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(goals.intervention_id as {{ dbt.type_string() }}) as intervention_id,
        cast(goals.baseline_score as {{ type_double() }}) as baseline_score,
        cast(goals.baseline_date as date) as baseline_date,
        cast(goals.goal_score as {{ type_double() }}) as goal_score,
        cast(goals.goal_date as date) as goal_date,
        cast(goals.is_goal_date_default as boolean) as is_goal_date_default,
        cast(
            case
                when goals.goal_date > goals.baseline_date
                    then (goals.goal_score - goals.baseline_score)
                        / ({{ dbt.datediff('goals.baseline_date', 'goals.goal_date', 'day') }} / 7.0)
            end as {{ type_double() }}
        ) as weekly_growth_needed,
        cast(coalesce(evaluated.n_points, 0) as integer) as n_points,
        cast(evaluated.latest_probe_date as date) as latest_probe_date,
        cast(evaluated.latest_score as {{ type_double() }}) as latest_score,
        cast(evaluated.rate_of_improvement as {{ type_double() }}) as rate_of_improvement,
        cast(evaluated.goal_status as {{ dbt.type_string() }}) as goal_status,
        cast(evaluated.decision as {{ dbt.type_string() }}) as decision,
        cast(evaluated.next_milestone_date as date) as next_milestone_date,
        cast(evaluated.next_milestone_score as {{ type_double() }}) as next_milestone_score,
        cast(goals.source_file as {{ dbt.type_string() }}) as source_file,
        cast(goals.source_row as bigint) as source_row

    from goals
    left join evaluated
        on evaluated.goal_id = goals.goal_id

)

select * from final
