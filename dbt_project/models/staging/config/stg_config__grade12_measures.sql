with

source as (

    select * from {{ source('config', 'grade12_measures') }}

),

renamed as (

    select
        cast(grade_level as integer) as grade_level,
        subject,
        measure_id

    from source

)

select * from renamed
