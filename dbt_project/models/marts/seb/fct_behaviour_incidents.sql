with

incidents as (

    select * from {{ ref('int_seb__incidents_placed') }}
    where exclusion_reason is null

),

final as (

    select
        cast(incident_id as {{ dbt.type_string() }}) as incident_id,
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(incident_date as date) as incident_date,
        cast(incident_type as {{ dbt.type_string() }}) as incident_type,
        cast(class_sourced_id as {{ dbt.type_string() }}) as class_sourced_id,
        cast(location as {{ dbt.type_string() }}) as location,
        cast(severity as {{ dbt.type_string() }}) as severity,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as bigint) as source_row

    from incidents

)

select * from final
