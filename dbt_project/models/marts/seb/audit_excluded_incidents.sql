with

incidents as (

    select * from {{ ref('int_seb__incidents_placed') }}
    where exclusion_reason is not null

),

final as (

    select
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as bigint) as source_row,
        cast(incident_id as {{ dbt.type_string() }}) as incident_id,
        cast(local_student_id as {{ dbt.type_string() }}) as local_student_id,
        cast(incident_date as date) as incident_date,
        cast(exclusion_reason as {{ dbt.type_string() }}) as reason

    from incidents

)

select * from final
