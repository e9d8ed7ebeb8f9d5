with

source as (

    select * from {{ source('config', 'district') }}

),

renamed as (

    select
        district_name,
        state_district_id,
        cast(minimum_n as integer) as minimum_n

    from source

)

select * from renamed
