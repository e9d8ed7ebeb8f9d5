with

source as (

    select * from {{ source('config', 'growth_spans') }}

),

renamed as (

    select
        span_use,
        from_window,
        to_window,
        cast(is_prior_year as boolean) as is_prior_year,
        baseline,
        cast(has_vendor_target as boolean) as has_vendor_target

    from source

)

select * from renamed
