with

source as (

    select * from {{ source('config', 'mtss_settings') }}

),

renamed as (

    select
        combine_tiers,
        rate_of_improvement_method,
        cast(minimum_points as integer) as minimum_points,
        cast(decision_points as integer) as decision_points,
        aimline_without_goal,
        cast(milestone_weeks as integer) as milestone_weeks,
        cast(baseline_weeks as integer) as baseline_weeks,
        cast(dual_discrepancy_below_percentile as {{ type_double() }}) as dual_discrepancy_below_percentile,
        cast(dual_discrepancy_growth_ratio_below as {{ type_double() }}) as dual_discrepancy_growth_ratio_below

    from source

)

select * from renamed
