{#- Cast to a double, NULL when the value is not a number (e.g. 'Tested Out'),
    where a plain cast (dbt.safe_cast on DuckDB and PostgreSQL) would fail the model. -#}
{% macro try_cast_double(expression) -%}
    {{ return(adapter.dispatch('try_cast_double', 'student_performance')(expression)) }}
{%- endmacro %}

{% macro default__try_cast_double(expression) -%}
    case
        when trim(cast({{ expression }} as {{ dbt.type_string() }}))
            ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'
            then cast(trim(cast({{ expression }} as {{ dbt.type_string() }})) as {{ type_double() }})
    end
{%- endmacro %}

{% macro duckdb__try_cast_double(expression) -%}
    try_cast({{ expression }} as {{ type_double() }})
{%- endmacro %}

{% macro spark__try_cast_double(expression) -%}
    try_cast({{ expression }} as {{ type_double() }})
{%- endmacro %}
