with

source as (

    select * from {{ source('config', 'mtss_default_goal_dates') }}

),

renamed as (

    select
        cast(school_year as integer) as school_year,
        cast(default_goal_date as date) as default_goal_date

    from source

)

select * from renamed
