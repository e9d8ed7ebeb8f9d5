with

source as (

    select * from {{ source('config', 'assessment_windows') }}

),

renamed as (

    select
        cast(school_year as integer) as school_year,
        window_name,
        cast(window_order as integer) as window_order,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date

    from source

)

select * from renamed
