{#- Grade codes as written by the SIS and vendors ('PK', 'KG', 'K', '01', '1', '3rd Grade', ...) to
    the INTEGER grade_level used everywhere downstream: PK = -1, K = 0, then 1..12, by the one
    crosswalk, the `grade_codes` var of dbt_project.yml (ingestion.grades reads the same var and
    normalises the same way). Codes outside it (e.g. 'TK', 'UG', 'Other') become NULL. -#}
{% macro grade_code_to_integer(expression) -%}
    case trim(replace(upper(trim({{ expression }})), 'GRADE', ''))
        {%- for entry in var('grade_codes') %}
        {%- for code in entry['codes'] %}
        when '{{ code | string | trim | upper | replace('GRADE', '') | trim }}' then {{ entry['grade_level'] }}
        {%- endfor %}
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
