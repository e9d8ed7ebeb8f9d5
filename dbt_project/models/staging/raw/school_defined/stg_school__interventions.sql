with

source as (

    select * from {{ source('raw', 'school_interventions') }}
    where file_sha256 not in (select file_sha256 from {{ source('raw', 'superseded_files') }})

),

renamed as (

    select
        intervention_id,
        student_id as local_student_id,
        school_id,
        intervention_name,
        cast(tier as integer) as tier,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        staff_id,
        cast(minutes_per_week as integer) as minutes_per_week,
        subject,
        measure_id as monitored_measure_id,
        source_file,
        source_row

    from source

)

select * from renamed
