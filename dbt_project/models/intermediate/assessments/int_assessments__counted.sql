{{ config(materialized='view') }}

-- Every result with the reason it does not count, if any, and whether it is the student's latest
-- administration of the measure in the window.
with

results as (

    select * from {{ ref('int_assessments__levels_assigned') }}

),

ranked as (

    select * from {{ ref('int_assessments__crowded_windows_ranked') }}

),

counted as (

    select
        results.*,
        coalesce(
            results.ineligible_reason,
            case
                when not ranked.is_first_of_day and ranked.repeats_previous_row then 'duplicate_delivery'
                when not ranked.is_first_of_day then 'same_day_retest_superseded'
            end
        ) as exclusion_reason,
        results.ineligible_reason is null
            and coalesce(ranked.is_latest_in_window, true) as is_latest_in_window

    from results
    left join ranked
        on ranked.source_file = results.source_file
        and ranked.source_row = results.source_row
        and ranked.measure_id = results.measure_id
        and ranked.assessment_date = results.assessment_date

)

select * from counted
