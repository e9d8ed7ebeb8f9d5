with

source as (

    select * from {{ source('config', 'growth_sgp') }}

),

renamed as (

    select
        window_name,
        cast(max_priors as integer) as max_priors,
        cast(min_cohort as integer) as min_cohort

    from source

)

select * from renamed
