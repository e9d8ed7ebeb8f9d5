with

source as (

    select * from {{ source('config', 'mtss_subject_measures') }}

),

renamed as (

    select
        subject,
        measure_id

    from source

)

select * from renamed
