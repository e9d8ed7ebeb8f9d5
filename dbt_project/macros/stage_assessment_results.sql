{#- Staging for a source in the canonical long result shape (every assessment reader writes it):
    the same renames and casts for each source family. -#}
{% macro stage_assessment_results(source_relation) %}
with

source as (

    select * from {{ source_relation }}

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
        source_file,
        source_row,
        file_sha256,
        ingested_at

    from source

)

select * from renamed
{% endmacro %}
