-- A student has one result per measure and window in nearly every case. Only the windows with
-- several (same-day retests, re-sent files, a second test later in the window) need ranking, so
-- they are found first and ranked on their own: the whole result table is never sorted.
with

results as (

    select * from {{ ref('int_assessments__levels_assigned') }}
    where ineligible_reason is null

),

crowded_windows as (

    select
        student_key,
        measure_id,
        school_year,
        window_name

    from results
    group by student_key, measure_id, school_year, window_name
    having count(*) > 1

),

ranked as (

    select
        results.source_file,
        results.source_row,
        results.measure_id,
        results.assessment_date,
        -- newest first: the first row of each day counts (the latest test of the day), and the
        -- first row of the window is the student's latest administration in it
        lag(results.assessment_date) over newest_first is distinct from results.assessment_date
            as is_first_of_day,
        row_number() over newest_first = 1 as is_latest_in_window,
        -- a superseded row that repeats the row ranked before it exactly came from a re-sent file
        lag(results.scale_score) over newest_first is not distinct from results.scale_score
            and lag(results.percentile) over newest_first is not distinct from results.percentile
            and lag(results.assessment_time) over newest_first is not distinct from results.assessment_time
            as repeats_previous_row

    from results
    inner join crowded_windows
        on crowded_windows.student_key = results.student_key
        and crowded_windows.measure_id = results.measure_id
        and crowded_windows.school_year = results.school_year
        and crowded_windows.window_name = results.window_name
    window newest_first as (
        partition by results.student_key, results.measure_id, results.school_year, results.window_name
        order by
            results.assessment_date desc,
            results.assessment_time desc nulls last,
            results.ingested_at desc,
            results.source_row desc
    )

)

select * from ranked
