with

source as (

    select * from {{ source('config', 'growth_measures') }}

),

renamed as (

    select
        purpose,
        subject,
        measure_id

    from source

)

select * from renamed
