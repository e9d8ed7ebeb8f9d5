with

windows as (

    select * from {{ ref('stg_config__assessment_windows') }}

),

final as (

    select
        cast(school_year as integer) as school_year,
        cast(window_name as {{ dbt.type_string() }}) as window_name,
        cast(window_order as integer) as window_order,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date

    from windows

)

select * from final
