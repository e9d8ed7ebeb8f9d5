with

source as (

    select * from {{ source('raw', 'school_incidents') }}
    where file_sha256 not in (select file_sha256 from {{ source('raw', 'superseded_files') }})

),

renamed as (

    select
        incident_id,
        student_id as local_student_id,
        school_id,
        cast(incident_date as date) as incident_date,
        incident_type,
        class_id as class_sourced_id,
        location,
        -- the loader accepts any case of minor / major
        lower(severity) as severity,
        source_file,
        source_row

    from source

)

select * from renamed
