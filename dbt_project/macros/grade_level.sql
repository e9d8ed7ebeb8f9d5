{#- Grade codes as written by the SIS and vendors ('PK', 'KG', 'K', '01', '1', ...) to the
    INTEGER grade_level used everywhere downstream: PK = -1, K = 0, then 1..12.
    Codes outside that range (e.g. 'UG', 'Other') become NULL. -#}
{% macro grade_code_to_integer(expression) -%}
    case upper(trim({{ expression }}))
        when 'PK' then -1
        when 'KG' then 0
        when 'K' then 0
        {%- for grade in range(1, 13) %}
        when '{{ grade }}' then {{ grade }}
        {%- if grade < 10 %}
        when '0{{ grade }}' then {{ grade }}
        {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}

{#- The short label of an INTEGER grade_level, as used in grade spans like 'K-5'. -#}
{% macro grade_label(expression) -%}
    case
        when {{ expression }} = -1 then 'PK'
        when {{ expression }} = 0 then 'K'
        else cast({{ expression }} as {{ dbt.type_string() }})
    end
{%- endmacro %}
