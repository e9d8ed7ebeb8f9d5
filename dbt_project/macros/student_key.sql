{#- student_key: a keyed hash of the district local ID, stable across years and sources:
    left(sha256(secret || ':' || local_id), 20). Keyed (var student_key_secret) so that a
    published key cannot be recomputed from a known local ID without the secret. -#}
{% macro student_key(local_id) -%}
    {%- if execute and not var('student_key_secret') -%}
        {{ exceptions.raise_compiler_error(
            "SPT_STUDENT_KEY_SECRET is not set: run through `spt`, which sets it, or set it from the district's secret store"
        ) }}
    {%- endif -%}
    {%- set secret_literal = "'" ~ dbt.escape_single_quotes(var('student_key_secret')) ~ "'" -%}
    case
        when {{ local_id }} is not null
            then left({{ sha256_hex(dbt.concat([secret_literal, "':'", local_id])) }}, 20)
    end
{%- endmacro %}
