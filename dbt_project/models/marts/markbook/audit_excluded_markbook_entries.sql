with

entries as (

    select * from {{ ref('int_markbook__descriptors_matched') }}
    where exclusion_reason is not null

),

final as (

    select
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as bigint) as source_row,
        cast(local_student_id as {{ dbt.type_string() }}) as local_student_id,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(objective_id as {{ dbt.type_string() }}) as objective_id,
        cast(descriptor_set as {{ dbt.type_string() }}) as descriptor_set,
        cast(written_descriptor as {{ dbt.type_string() }}) as descriptor,
        cast(assessment_date as date) as assessment_date,
        cast(exclusion_reason as {{ dbt.type_string() }}) as reason

    from entries

)

select * from final
