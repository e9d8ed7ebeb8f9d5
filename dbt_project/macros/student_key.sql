{#- student_key: a keyed hash of the district local ID, stable across years and sources:
    left(sha256(secret || ':' || local_id), 20). Keyed so that a published key cannot be
    recomputed from a known local ID without the secret.

    The secret is read when the SQL runs, never written into it: student_key_secret() is an
    engine's session variable (on DuckDB set by the orchestration.dbt_student_key plugin from
    SPT_STUDENT_KEY_SECRET), so compiled SQL, dbt's artifacts and its log never hold it. A
    build without the secret stops with an error rather than publishing unkeyed rows. -#}
{% macro student_key(local_id) -%}
    case
        when {{ local_id }} is not null
            then left({{ sha256_hex(dbt.concat([student_key_secret(), "':'", local_id])) }}, 20)
    end
{%- endmacro %}

{% macro student_key_secret() -%}
    {{ return(adapter.dispatch('student_key_secret', 'student_performance')()) }}
{%- endmacro %}

{% macro default__student_key_secret() -%}
    coalesce(
        getvariable('spt_student_key_secret'),
        error('SPT_STUDENT_KEY_SECRET is not set: run through `spt`, which sets it, or set it from the district''s secret store')
    )
{%- endmacro %}

{#- PostgreSQL: the secret is a custom setting of the session (set spt.student_key_secret = ...),
    set by whatever opens the session; current_setting raises when it is missing. -#}
{% macro postgres__student_key_secret() -%}
    current_setting('spt.student_key_secret')
{%- endmacro %}
