with

source as (

    select * from {{ source('raw', 'oneroster_classes') }}
    {{ latest_delivery(source('raw', 'oneroster_classes')) }}

),

renamed as (

    select
        "sourcedId" as class_sourced_id,
        "title" as class_title,
        "grades" as grade_codes,
        -- homeroom classes carry one grade; for a list, the first code is the class's grade
        {{ grade_code_to_integer(dbt.split_part('"grades"', "','", 1)) }} as grade_level,
        "courseSourcedId" as course_sourced_id,
        "classCode" as class_code,
        "classType" as class_type,
        "location" as class_location,
        "schoolSourcedId" as school_sourced_id,
        "termSourcedIds" as term_sourced_ids,
        trim({{ dbt.split_part('"termSourcedIds"', "','", 1) }}) as term_sourced_id,
        "subjects" as subjects,
        source_file,
        source_row

    from source

)

select * from renamed
