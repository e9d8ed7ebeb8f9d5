with

source as (

    select * from {{ source('raw', 'oneroster_enrollments') }}
    {{ latest_delivery(source('raw', 'oneroster_enrollments')) }}

),

renamed as (

    select
        "sourcedId" as enrollment_sourced_id,
        "classSourcedId" as class_sourced_id,
        "schoolSourcedId" as school_sourced_id,
        "userSourcedId" as user_sourced_id,
        "role" as enrollment_role,
        {{ parse_boolean('"primary"') }} as is_primary,
        cast("beginDate" as date) as begin_date,
        cast("endDate" as date) as end_date,
        source_file,
        source_row

    from source

)

select * from renamed
