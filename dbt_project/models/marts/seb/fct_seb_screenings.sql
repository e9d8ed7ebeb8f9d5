-- Social, emotional and behavioural screenings: the SEB rows of fct_assessment_results, whose
-- performance levels are the screeners' published risk bands (config/cut_scores.csv), with the
-- change in risk since the student's previous screening window of the school year.
with

results as (

    select * from {{ ref('fct_assessment_results') }}
    where subject = 'seb'

),

-- the student's last screening on the measure in each window, and the one of the window before it
window_levels as (

    select
        student_key,
        measure_id,
        school_year,
        window_name,
        lag(window_name) over (
            partition by student_key, measure_id, school_year order by assessment_date
        ) as previous_window_name,
        lag(performance_level) over (
            partition by student_key, measure_id, school_year order by assessment_date
        ) as previous_risk_level,
        lag(performance_level_rank) over (
            partition by student_key, measure_id, school_year order by assessment_date
        ) as previous_risk_rank

    from results
    where is_latest_in_window

),

joined as (

    select
        results.*,
        window_levels.previous_window_name,
        window_levels.previous_risk_level,
        window_levels.previous_risk_rank

    from results
    left join window_levels
        on window_levels.student_key = results.student_key
        and window_levels.measure_id = results.measure_id
        and window_levels.school_year = results.school_year
        and window_levels.window_name = results.window_name

),

final as (

    select
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(window_name as {{ dbt.type_string() }}) as window_name,
        cast(assessment_date as date) as assessment_date,
        cast(enrolled_grade as integer) as grade_level,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(scale_score as {{ type_double() }}) as score,
        cast(percentile as {{ type_double() }}) as percentile,
        cast(performance_level as {{ dbt.type_string() }}) as risk_level,
        cast(performance_level_rank as integer) as risk_rank,
        cast(not is_proficient as boolean) as is_at_risk,
        cast(is_latest_in_window as boolean) as is_latest_in_window,
        cast(previous_window_name as {{ dbt.type_string() }}) as previous_window_name,
        cast(previous_risk_level as {{ dbt.type_string() }}) as previous_risk_level,
        cast(
            case
                when performance_level_rank is null or previous_risk_rank is null then null
                -- rank 1 is the highest risk: a higher rank than before is a lower risk
                when performance_level_rank > previous_risk_rank then 'decreased'
                when performance_level_rank < previous_risk_rank then 'increased'
                else 'unchanged'
            end as {{ dbt.type_string() }}
        ) as risk_change,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as bigint) as source_row

    from joined

)

select * from final
