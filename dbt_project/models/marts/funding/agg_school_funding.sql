with

funding as (

    select * from {{ ref('fct_school_funding') }}

),

district as (

    select * from {{ ref('stg_config__district') }}

),

final as (

    select
        funding.school_id,
        funding.fiscal_year,
        funding.method,
        -- a poverty rate of a school with fewer students than the minimum n is not published
        cast(case
            when funding.enrollment >= district.minimum_n then {{ round_double('funding.poverty_rate', 1) }}
        end as {{ type_double() }}) as poverty_rate,
        funding.is_served,
        funding.allocation

    from funding
    cross join district

)

select * from final
