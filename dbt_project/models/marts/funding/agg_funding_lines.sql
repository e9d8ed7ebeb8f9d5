with

lines as (

    select * from {{ ref('int_funding__lines_allocated') }}

),

final as (

    select
        cast(fiscal_year as integer) as fiscal_year,
        cast(method as {{ dbt.type_string() }}) as method,
        cast(line_type as {{ dbt.type_string() }}) as line_type,
        cast(line_name as {{ dbt.type_string() }}) as line_name,
        {{ cents_to_dollars('amount_cents') }} as amount,
        {{ cents_to_dollars('appropriation_cents') }} as appropriation

    from lines

)

select * from final
