{#- The model has exactly `expected` rows (e.g. the one-row district settings). -#}
{% test has_row_count(model, expected) %}

select n_rows
from (
    select count(*) as n_rows
    from {{ model }}
) as counted
where n_rows <> {{ expected }}

{% endtest %}
