with

source as (

    select * from {{ source('config', 'mtss_tier_rules') }}

),

renamed as (

    select
        cast(rule_position as integer) as rule_position,
        rule_name,
        subject,
        measure_id,
        basis,
        cast(tier as integer) as tier,
        cast(below_percentile as {{ type_double() }}) as below_percentile,
        performance_level

    from source

)

select * from renamed
