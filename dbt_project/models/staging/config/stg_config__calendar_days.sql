with

source as (

    select * from {{ source('config', 'calendar_days') }}

),

renamed as (

    select
        cast(calendar_date as date) as calendar_date,
        cast(school_year as integer) as school_year,
        window_name

    from source

)

select * from renamed
