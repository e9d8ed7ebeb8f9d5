{#- OneRoster writes flags as the strings "true"/"false"; anything else is unknown (NULL). -#}
{% macro parse_boolean(expression) -%}
    case lower(trim({{ expression }}))
        when 'true' then true
        when 'false' then false
    end
{%- endmacro %}
