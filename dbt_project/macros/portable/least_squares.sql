{#- Least-squares slope and intercept of y on x within a group, from exact sums: the values are
    cast to decimals, so the sums do not depend on the order a parallel engine adds the rows in,
    and a rerun gives the same bits (regr_slope's floating-point accumulation does not). -#}
{% macro least_squares_slope(y, x) -%}
    cast(
        count(*) * sum(cast({{ x }} as decimal(18, 4)) * cast({{ y }} as decimal(18, 4)))
        - sum(cast({{ x }} as decimal(18, 4))) * sum(cast({{ y }} as decimal(18, 4)))
    as {{ type_double() }})
    / cast(
        count(*) * sum(cast({{ x }} as decimal(18, 4)) * cast({{ x }} as decimal(18, 4)))
        - sum(cast({{ x }} as decimal(18, 4))) * sum(cast({{ x }} as decimal(18, 4)))
    as {{ type_double() }})
{%- endmacro %}

{% macro least_squares_intercept(y, x) -%}
    (
        cast(sum(cast({{ y }} as decimal(18, 4))) as {{ type_double() }})
        - ({{ least_squares_slope(y, x) }}) * cast(sum(cast({{ x }} as decimal(18, 4))) as {{ type_double() }})
    ) / count(*)
{%- endmacro %}
