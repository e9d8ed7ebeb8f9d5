{#- Each value is one of `values` or starts with one of `prefixes` followed by a
    non-empty suffix (e.g. student groups 'all' or 'gender:<value>'). -#}
{% test accepted_values_or_prefixes(model, column_name, values=[], prefixes=[]) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and not (
        {{ column_name }} in (
            {%- for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %}
            {%- if values | length == 0 %}null{% endif -%}
        )
        {%- for prefix in prefixes %}
        or (
            substring({{ column_name }}, 1, {{ prefix | length }}) = '{{ prefix }}'
            and {{ dbt.length(column_name) }} > {{ prefix | length }}
        )
        {%- endfor %}
    )

{% endtest %}
