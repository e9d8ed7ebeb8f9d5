{%- set result_columns = [
    'source_format', 'vendor_student_id', 'state_student_id', 'school_ref', 'school_name',
    'measure_id', 'assessment_date', 'assessment_time', 'reported_period', 'enrolled_grade',
    'assessed_grade', 'scale_score', 'standard_error', 'percentile', 'vendor_level',
    'source_file', 'source_row', 'file_sha256', 'ingested_at',
] -%}

{{ config(materialized='view') }}


with

nwea_map as (

    select {{ result_columns | join(', ') }}
    from {{ ref('stg_nwea_map__results') }}

),

mclass_dibels8 as (

    select {{ result_columns | join(', ') }}
    from {{ ref('stg_mclass__dibels8_results') }}

),

unioned as (

    select * from nwea_map
    union all
    select * from mclass_dibels8

)

select * from unioned
