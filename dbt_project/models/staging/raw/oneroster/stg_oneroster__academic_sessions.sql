with

source as (

    select * from {{ source('raw', 'oneroster_academic_sessions') }}
    {{ latest_delivery(source('raw', 'oneroster_academic_sessions')) }}

),

renamed as (

    select
        "sourcedId" as academic_session_sourced_id,
        "title" as session_title,
        "type" as session_type,
        cast("startDate" as date) as start_date,
        cast("endDate" as date) as end_date,
        "parentSourcedId" as parent_academic_session_sourced_id,
        cast("schoolYear" as integer) as school_year,
        source_file,
        source_row

    from source

)

select * from renamed
