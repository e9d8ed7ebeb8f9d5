with

results as (

    select * from {{ ref('fct_assessment_results') }}
    where scale_score is not null

),

probes as (

    select * from {{ ref('int_mtss__probes_identified') }}
    where exclusion_reason is null

),

unioned as (

    select
        student_key,
        measure_id,
        assessment_date as observation_date,
        scale_score as score,
        percentile,
        instructional_grade as grade_level,
        'screening' as observation_source,
        source_file,
        source_row

    from results

    union all

    select
        student_key,
        measure_id,
        assessment_date as observation_date,
        scale_score as score,
        cast(null as {{ type_double() }}) as percentile,
        grade_level,
        'probe' as observation_source,
        source_file,
        source_row

    from probes

),

-- one observation per student, measure and day: the screening result when a probe falls on the
-- same day
ranked as (

    select
        unioned.*,
        row_number() over (
            partition by student_key, measure_id, observation_date
            order by case when observation_source = 'screening' then 0 else 1 end, source_file, source_row
        ) as day_rank

    from unioned

)

select
    student_key,
    measure_id,
    observation_date,
    score,
    percentile,
    grade_level,
    observation_source,
    source_file,
    source_row

from ranked
where day_rank = 1
