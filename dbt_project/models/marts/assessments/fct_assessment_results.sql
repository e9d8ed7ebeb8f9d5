{{ config(materialized="view") }}

with

results as (

    select * from {{ ref('int_assessments__counted') }}
    where exclusion_reason is null

),

final as (

    select
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(window_name as {{ dbt.type_string() }}) as window_name,
        cast(assessment_date as date) as assessment_date,
        cast(enrolled_grade as integer) as enrolled_grade,
        cast(instructional_grade as integer) as instructional_grade,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(scale_score as {{ type_double() }}) as scale_score,
        cast(percentile as {{ type_double() }}) as percentile,
        cast(performance_level as {{ dbt.type_string() }}) as performance_level,
        cast(performance_level_rank as integer) as performance_level_rank,
        cast(expectation as {{ dbt.type_string() }}) as expectation,
        cast(is_proficient as boolean) as is_proficient,
        cast(is_latest_in_window as boolean) as is_latest_in_window,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as bigint) as source_row

    from results

)

select * from final
