{#- Staging for a source in the canonical long result shape (every assessment reader writes it):
    the same renames and casts for each source family. Rows of a delivery retired by a corrected
    re-export (raw.superseded_files) stay in raw but are not staged. -#}
{% macro stage_assessment_results(source_relation) %}
with

source as (

    select * from {{ source_relation }}
    where file_sha256 not in (select file_sha256 from {{ source('raw', 'superseded_files') }})

),

renamed as (

    select
        source_format,
        vendor_student_id,
        state_student_id,
        school_ref,
        school_name,
        measure_id,
        cast(assessment_date as date) as assessment_date,
        assessment_time,
        reported_period,
        cast(enrolled_grade as integer) as enrolled_grade,
        cast(assessed_grade as integer) as assessed_grade,
        {{ try_cast_double('scale_score') }} as scale_score,
        {{ try_cast_double('standard_error') }} as standard_error,
        {{ try_cast_double('percentile') }} as percentile,
        vendor_level,
        cast(reported_school_year as integer) as reported_school_year,
        {{ try_cast_double('typical_growth') }} as typical_growth,
        {{ try_cast_double('stretch_growth') }} as stretch_growth,
        score_metric,
        {{ try_cast_double('goal_score') }} as goal_score,
        cast(goal_date as date) as goal_date,
        source_file,
        source_row,
        file_sha256,
        ingested_at

    from source

)

select * from renamed
{% endmacro %}
