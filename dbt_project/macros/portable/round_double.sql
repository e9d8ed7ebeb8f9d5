{#- round(x, n) for a double: PostgreSQL only rounds numerics to n places. -#}
{% macro round_double(expression, places) -%}
    {{ return(adapter.dispatch('round_double', 'student_performance')(expression, places)) }}
{%- endmacro %}

{% macro default__round_double(expression, places) -%}
    cast(round(cast({{ expression }} as numeric), {{ places }}) as {{ type_double() }})
{%- endmacro %}

{% macro duckdb__round_double(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}

{% macro spark__round_double(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}
