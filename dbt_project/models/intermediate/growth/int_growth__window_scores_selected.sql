-- Each student's last result of each measure and window (the result the window reports), with
-- the vendor's growth targets stated on the result's row.
with

results as (

    select * from {{ ref('int_assessments__counted') }}
    where exclusion_reason is null
        and is_latest_in_window
        and (scale_score is not null or performance_level is not null)

),

-- A wide export can hold several results in one row (one per season), so the targets are
-- matched on the result's date too; max() keeps one value if a row were ever repeated.
targets as (

    select
        source_file,
        source_row,
        measure_id,
        assessment_date,
        max(typical_growth) as typical_growth,
        max(stretch_growth) as stretch_growth

    from {{ ref('int_assessments__unioned') }}
    where typical_growth is not null
        or stretch_growth is not null
    group by
        source_file,
        source_row,
        measure_id,
        assessment_date

),

selected as (

    select
        results.student_key,
        results.school_id,
        results.school_year,
        results.window_name,
        results.assessment_date,
        results.enrolled_grade,
        results.instructional_grade,
        results.subject,
        results.measure_id,
        results.scale_score,
        results.performance_level,
        results.performance_level_rank,
        results.expectation,
        targets.typical_growth,
        targets.stretch_growth,
        results.source_file,
        results.source_row

    from results
    left join targets
        on targets.source_file = results.source_file
        and targets.source_row = results.source_row
        and targets.measure_id = results.measure_id
        and targets.assessment_date = results.assessment_date

)

select * from selected
