{#- Every non-null combination of from_columns exists as to_columns in the parent model. -#}
{% test relationships_multi_column(model, from_columns, to, to_columns) %}

with

child as (

    select distinct {{ from_columns | join(', ') }}
    from {{ model }}
    where
        {%- for column in from_columns %}
        {{ column }} is not null{% if not loop.last %} and{% endif %}
        {%- endfor %}

),

parent as (

    select
        {%- for column in to_columns %}
        {{ column }} as {{ from_columns[loop.index0] }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ to }}

)

select child.*
from child
left join parent
    on
    {%- for column in from_columns %}
    parent.{{ column }} = child.{{ column }}{% if not loop.last %} and{% endif %}
    {%- endfor %}
where parent.{{ from_columns[0] }} is null

{% endtest %}
