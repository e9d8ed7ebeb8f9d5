{#- Integer cents as an exact two-place decimal amount of dollars. -#}
{% macro cents_to_dollars(cents) -%}
    cast(cast({{ cents }} as decimal(18, 0)) / 100 as decimal(18, 2))
{%- endmacro %}
