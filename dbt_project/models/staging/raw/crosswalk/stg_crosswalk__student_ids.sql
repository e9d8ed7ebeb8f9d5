with

source as (

    select * from {{ source('raw', 'student_id_crosswalk') }}
    where file_sha256 not in (select file_sha256 from {{ source('raw', 'superseded_files') }})

),

renamed as (

    select
        id_system,
        vendor_student_id,
        local_student_id,
        source_file,
        source_row

    from source

)

select * from renamed
