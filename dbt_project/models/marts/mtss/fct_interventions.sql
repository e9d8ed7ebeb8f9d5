with

evaluated as (

    select * from {{ ref('int_mtss__interventions_evaluated') }}

),

final as (

    select
        cast(intervention_id as {{ dbt.type_string() }}) as intervention_id,
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(intervention_name as {{ dbt.type_string() }}) as intervention_name,
        cast(tier as integer) as tier,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(staff_id as {{ dbt.type_string() }}) as staff_id,
        cast(minutes_per_week as integer) as minutes_per_week,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(monitored_measure_id as {{ dbt.type_string() }}) as monitored_measure_id,
        cast(n_points_before as integer) as n_points_before,
        cast(n_points_during as integer) as n_points_during,
        cast(level_before as {{ type_double() }}) as level_before,
        cast(slope_before as {{ type_double() }}) as slope_before,
        cast(level_during as {{ type_double() }}) as level_during,
        cast(slope_during as {{ type_double() }}) as slope_during,
        cast(response as {{ dbt.type_string() }}) as response,
        cast(grade_level as integer) as grade_level,
        cast(expected_rate_of_improvement as {{ type_double() }}) as expected_rate_of_improvement,
        cast(level_measure_id as {{ dbt.type_string() }}) as level_measure_id,
        cast(level_percentile as {{ type_double() }}) as level_percentile,
        cast(is_dual_discrepancy as boolean) as is_dual_discrepancy,
        cast(dual_discrepancy_evidence as {{ dbt.type_string() }}) as dual_discrepancy_evidence,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as bigint) as source_row

    from evaluated

)

select * from final
