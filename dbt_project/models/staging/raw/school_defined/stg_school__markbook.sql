with

source as (

    select * from {{ source('raw', 'school_markbook') }}
    where file_sha256 not in (select file_sha256 from {{ source('raw', 'superseded_files') }})

),

renamed as (

    select
        student_id as local_student_id,
        school_id,
        subject,
        objective_id,
        objective as objective_description,
        descriptor_set,
        descriptor,
        cast(assessment_date as date) as assessment_date,
        teacher_id as teacher_staff_id,
        source_file,
        source_row

    from source

)

select * from renamed
