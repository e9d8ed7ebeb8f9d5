with

source as (

    select * from {{ source('config', 'grade12_windows') }}

),

renamed as (

    select
        cast(school_year as integer) as school_year,
        window_name,
        cast(draw_date as date) as draw_date

    from source

)

select * from renamed
