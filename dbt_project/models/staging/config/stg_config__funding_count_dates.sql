with

source as (

    select * from {{ source('config', 'funding_count_dates') }}

),

renamed as (

    select
        cast(school_year as integer) as school_year,
        cast(count_date as date) as count_date

    from source

)

select * from renamed
