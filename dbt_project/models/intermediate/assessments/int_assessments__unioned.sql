{#- Every source family's results in the one canonical shape. A new family is a staging model
    (the stage_assessment_results macro over its raw table) and a line in this list. Progress-
    monitoring probes are not results of a screening window and are not unioned here. -#}
{%- set staged_results = [
    'stg_nwea_map__results',
    'stg_mclass__dibels8_results',
    'stg_acadience__results',
    'stg_iready__results',
    'stg_star__results',
    'stg_fastbridge__results',
    'stg_aimsweb__results',
    'stg_seb__screener_results',
    'stg_school__measure_results',
] -%}
{%- set result_columns = [
    'source_format', 'vendor_student_id', 'state_student_id', 'school_ref', 'school_name',
    'measure_id', 'assessment_date', 'assessment_time', 'reported_period', 'enrolled_grade',
    'assessed_grade', 'scale_score', 'standard_error', 'percentile', 'vendor_level',
    'typical_growth', 'stretch_growth',
    'source_file', 'source_row', 'file_sha256', 'ingested_at',
] -%}

{{ config(materialized='view') }}

with

unioned as (

    {% for model in staged_results %}
    select {{ result_columns | join(', ') }}
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
