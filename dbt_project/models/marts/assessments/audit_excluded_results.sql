with

results as (

    select * from {{ ref('int_assessments__counted') }}
    where exclusion_reason is not null

),

final as (

    select
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as bigint) as source_row,
        cast(vendor_student_id as {{ dbt.type_string() }}) as vendor_student_id,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(assessment_date as date) as assessment_date,
        cast(exclusion_reason as {{ dbt.type_string() }}) as reason

    from results

)

select * from final
