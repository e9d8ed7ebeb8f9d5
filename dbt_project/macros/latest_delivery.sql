{#- A roster file is a full (bulk) snapshot: only the most recently ingested file of each
    OneRoster table is current, so a new delivery replaces the previous one. -#}
{% macro latest_delivery(relation) %}
    where ingested_at = (select max(ingested_at) from {{ relation }})
{% endmacro %}
