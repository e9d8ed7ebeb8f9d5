with

interventions as (

    select * from {{ ref('stg_school__interventions') }}

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

subject_measures as (

    select * from {{ ref('stg_config__mtss_subject_measures') }}

),

observations as (

    select * from {{ ref('int_mtss__observations_unioned') }}

),

results as (

    select * from {{ ref('fct_assessment_results') }}
    where percentile is not null

),

norms as (

    select * from {{ ref('stg_config__roi_norms') }}

),

settings as (

    select * from {{ ref('stg_config__mtss_settings') }}

),

calendar_days as (

    select * from {{ ref('stg_config__calendar_days') }}

),

local_ids as (

    select
        local_student_id,
        min(student_key) as student_key

    from students
    where local_student_id is not null
    group by local_student_id
    having count(*) = 1

),

-- an intervention delivered in several files counts once: the row of the last file (then last row)
latest as (

    select
        interventions.*,
        row_number() over (
            partition by intervention_id
            order by source_file desc, source_row desc
        ) as delivery_rank

    from interventions

),

-- the measure the intervention is judged on: the record's, else its subject's primary metric
identified as (

    select
        latest.intervention_id,
        local_ids.student_key,
        latest.school_id,
        calendar_days.school_year,
        latest.intervention_name,
        latest.tier,
        latest.start_date,
        latest.end_date,
        latest.staff_id,
        latest.minutes_per_week,
        latest.subject,
        coalesce(latest.monitored_measure_id, subject_measures.measure_id) as monitored_measure_id,
        subject_measures.measure_id as subject_primary_measure_id,
        latest.source_file,
        latest.source_row,
        cast({{ dbt.dateadd('day', '-7 * settings.baseline_weeks', 'latest.start_date') }} as date) as baseline_start_date

    from latest
    cross join settings
    inner join local_ids
        on local_ids.local_student_id = latest.local_student_id
    left join subject_measures
        on subject_measures.subject = latest.subject
    left join calendar_days
        on calendar_days.calendar_date = latest.start_date
    where latest.delivery_rank = 1

),

-- results and probes on the monitored measure: 'before' in the baseline weeks before the start,
-- 'during' from the start to the end (or to the latest data while it runs)
phased as (

    select
        identified.intervention_id,
        case when observations.observation_date < identified.start_date then 'before' else 'during' end as phase,
        observations.observation_date,
        observations.score,
        observations.grade_level,
        {{ dbt.datediff('identified.start_date', 'observations.observation_date', 'day') }} as days_from_start,
        row_number() over (
            partition by
                identified.intervention_id,
                case when observations.observation_date < identified.start_date then 'before' else 'during' end
            order by observations.observation_date desc
        ) as points_from_end

    from identified
    inner join observations
        on observations.student_key = identified.student_key
        and observations.measure_id = identified.monitored_measure_id
        and observations.observation_date >= identified.baseline_start_date
        and observations.observation_date <= coalesce(identified.end_date, cast('9999-12-31' as date))

),

phase_trends as (

    select
        intervention_id,
        phase,
        count(*) as n_points,
        -- NULL, not NaN (DuckDB), when the points span a single day
        case when max(days_from_start) > min(days_from_start) then {{ least_squares_slope('score', 'days_from_start') }} * 7 end as weekly_slope,
        max(case when points_from_end = 1 then grade_level end) as latest_grade_level

    from phased
    group by
        intervention_id,
        phase

),

-- the level of a phase: the median of its last three points
phase_levels as (

    select
        intervention_id,
        phase,
        percentile_cont(0.5) within group (order by score) as level

    from phased
    where points_from_end <= 3
    group by
        intervention_id,
        phase

),

phases as (

    select
        phase_trends.*,
        phase_levels.level

    from phase_trends
    inner join phase_levels
        on phase_levels.intervention_id = phase_trends.intervention_id
        and phase_levels.phase = phase_trends.phase

),

-- the student's latest national percentile by the intervention's end: on the monitored measure,
-- else on the subject's primary metric
percentiles as (

    select
        identified.intervention_id,
        results.measure_id,
        results.percentile,
        row_number() over (
            partition by identified.intervention_id
            order by
                case when results.measure_id = identified.monitored_measure_id then 0 else 1 end,
                results.assessment_date desc
        ) as percentile_rank

    from identified
    inner join results
        on results.student_key = identified.student_key
        and results.measure_id in (identified.monitored_measure_id, identified.subject_primary_measure_id)
        and results.assessment_date <= coalesce(identified.end_date, cast('9999-12-31' as date))

),

joined as (

    select
        identified.*,
        coalesce(before.n_points, 0) as n_points_before,
        coalesce(during.n_points, 0) as n_points_during,
        before.level as level_before,
        before.weekly_slope as slope_before,
        during.level as level_during,
        during.weekly_slope as slope_during,
        during.latest_grade_level as grade_level,
        norms.expected_weekly_roi as expected_rate_of_improvement,
        percentiles.measure_id as level_measure_id,
        percentiles.percentile as level_percentile,
        settings.minimum_points,
        settings.dual_discrepancy_below_percentile,
        settings.dual_discrepancy_growth_ratio_below

    from identified
    cross join settings
    left join phases as before
        on before.intervention_id = identified.intervention_id
        and before.phase = 'before'
    left join phases as during
        on during.intervention_id = identified.intervention_id
        and during.phase = 'during'
    left join norms
        on norms.measure_id = identified.monitored_measure_id
        and norms.grade_level = during.latest_grade_level
    left join percentiles
        on percentiles.intervention_id = identified.intervention_id
        and percentiles.percentile_rank = 1

),

-- responding: the level and the slope during both above those before (a single point before has
-- no slope: the slope during must be above 0); growth for the dual discrepancy needs the minimum
-- number of points during
evaluated as (

    select
        joined.*,
        case
            when n_points_before = 0 or n_points_during < minimum_points then 'insufficient_data'
            when level_during > level_before and slope_during > coalesce(slope_before, 0) then 'responding'
            else 'not_responding'
        end as response,
        case when n_points_during >= minimum_points then slope_during end as growth_slope

    from joined

),

final as (

    select
        evaluated.*,
        case
            when level_percentile is null or growth_slope is null or expected_rate_of_improvement is null then null
            else level_percentile < dual_discrepancy_below_percentile
                and growth_slope < dual_discrepancy_growth_ratio_below * expected_rate_of_improvement
        end as is_dual_discrepancy,
        case
            when level_percentile is null then 'no percentile on the monitored measure or the subject''s primary measure'
            when growth_slope is null then {{ dbt.concat([
                "'fewer than '", dbt.safe_cast('minimum_points', dbt.type_string()),
                "' points during the intervention'"]) }}
            when expected_rate_of_improvement is null then {{ dbt.concat([
                "'no expected rate of improvement for '", 'monitored_measure_id', "' grade '",
                dbt.safe_cast('grade_level', dbt.type_string())]) }}
            else {{ dbt.concat([
                'level_measure_id', "' percentile '", dbt.safe_cast(round_double('level_percentile', 1), dbt.type_string()),
                "case when level_percentile < dual_discrepancy_below_percentile then ' below ' else ' not below ' end",
                dbt.safe_cast(round_double('dual_discrepancy_below_percentile', 1), dbt.type_string()),
                "'; '", 'monitored_measure_id', "' '", dbt.safe_cast(round_double('growth_slope', 2), dbt.type_string()),
                "' a week'",
                "case when growth_slope < dual_discrepancy_growth_ratio_below * expected_rate_of_improvement then ' below ' else ' not below ' end",
                dbt.safe_cast(round_double('dual_discrepancy_growth_ratio_below * expected_rate_of_improvement', 2), dbt.type_string()),
                "' ('", dbt.safe_cast(round_double('dual_discrepancy_growth_ratio_below', 2), dbt.type_string()),
                "' x expected '", dbt.safe_cast(round_double('expected_rate_of_improvement', 2), dbt.type_string()), "')'"]) }}
        end as dual_discrepancy_evidence

    from evaluated

)

select * from final
