{#- Models land in exactly the schema named in dbt_project.yml (staging, intermediate,
    marts), not in '<target schema>_<custom schema>': other steps read these names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
