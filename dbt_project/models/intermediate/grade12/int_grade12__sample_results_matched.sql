{#- Each ranked student with the result of the window on the cell's measure. A stratum's results
    come from the first n_h assessed students in sample_order: an absent sampled student is
    replaced by the next ranked replacement who was assessed. -#}
with

sample as (

    select * from {{ ref('fct_grade12_sample') }}

),

sized as (

    select * from {{ ref('int_grade12__strata_sized') }}

),

results as (

    select
        student_key,
        school_year,
        window_name,
        measure_id,
        scale_score,
        is_proficient

    from {{ ref('fct_assessment_results') }}
    where is_latest_in_window
        and performance_level is not null

),

matched as (

    select
        sample.school_year,
        sample.window_name,
        sample.school_id,
        sample.grade_level,
        sample.subject,
        sample.measure_id,
        sample.stratum,
        sample.student_key,
        sample.sample_order,
        sample.is_replacement,
        sized.stratum_population_n,
        sized.stratum_sample_n,
        results.student_key is not null as is_assessed,
        results.is_proficient,
        results.scale_score

    from sample
    inner join sized
        on sized.school_year = sample.school_year
        and sized.window_name = sample.window_name
        and sized.school_id = sample.school_id
        and sized.grade_level = sample.grade_level
        and sized.subject = sample.subject
        and sized.stratum = sample.stratum
    left join results
        on results.student_key = sample.student_key
        and results.school_year = sample.school_year
        and results.window_name = sample.window_name
        and results.measure_id = sample.measure_id

),

counted as (

    select
        *,
        sum(case when is_assessed then 1 else 0 end) over (
            partition by school_year, window_name, school_id, grade_level, subject, stratum
            order by sample_order
            rows between unbounded preceding and current row
        ) as assessed_position

    from matched

),

final as (

    select
        *,
        is_assessed and assessed_position <= stratum_sample_n as is_used

    from counted

)

select * from final
