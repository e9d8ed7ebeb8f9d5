with

points as (

    select * from {{ ref('int_mtss__probes_assigned') }}

),

settings as (

    select * from {{ ref('stg_config__mtss_settings') }}

),

series as (

    select
        points.student_key,
        points.measure_id,
        points.series_school_year as school_year,
        points.goal_id,
        max(points.goal_source) as goal_source,
        max(points.baseline_score) as baseline_score,
        max(points.baseline_date) as baseline_date,
        max(points.goal_score) as goal_score,
        max(points.goal_date) as goal_date,
        max(points.aimline_slope) as aimline_slope,
        max(points.expected_weekly_roi) as expected_rate_of_improvement,
        max(points.latest_grade_level) as grade_level,
        count(*) as n_points,
        min(points.assessment_date) as first_probe_date,
        max(points.assessment_date) as latest_probe_date,
        max(case when points.points_from_end = 1 then points.scale_score end) as latest_score,
        max(case when points.points_from_end = 1 then points.school_id end) as school_id,
        -- least squares on days from the baseline: slope per day, score at the baseline day
        -- NULL, not NaN (DuckDB), when the probes span a single day
        case
            when max(points.days_from_baseline) > min(points.days_from_baseline)
                then {{ least_squares_slope('points.scale_score', 'points.days_from_baseline') }}
        end as ols_slope_per_day,
        case
            when max(points.days_from_baseline) > min(points.days_from_baseline)
                then {{ least_squares_intercept('points.scale_score', 'points.days_from_baseline') }}
        end as ols_intercept,
        sum(case when points.points_from_end <= settings.decision_points and points.scale_score < points.aimline_score then 1 else 0 end)
            as n_last_below_aimline,
        sum(case when points.points_from_end <= settings.decision_points and points.scale_score > points.aimline_score then 1 else 0 end)
            as n_last_above_aimline

    from points
    cross join settings
    group by
        points.student_key,
        points.measure_id,
        points.series_school_year,
        points.goal_id

),

tukey_medians as (

    select
        student_key,
        measure_id,
        series_school_year as school_year,
        goal_id,
        tukey_group,
        percentile_cont(0.5) within group (order by days_from_baseline) as median_day,
        percentile_cont(0.5) within group (order by scale_score) as median_score

    from points
    where tukey_group is not null
    group by
        student_key,
        measure_id,
        series_school_year,
        goal_id,
        tukey_group

),

tukey_points as (

    select
        student_key,
        measure_id,
        school_year,
        goal_id,
        max(case when tukey_group = 'first' then median_day end) as first_day,
        max(case when tukey_group = 'first' then median_score end) as first_score,
        max(case when tukey_group = 'middle' then median_day end) as middle_day,
        max(case when tukey_group = 'middle' then median_score end) as middle_score,
        max(case when tukey_group = 'last' then median_day end) as last_day,
        max(case when tukey_group = 'last' then median_score end) as last_score

    from tukey_medians
    group by
        student_key,
        measure_id,
        school_year,
        goal_id

),

-- Tukey's resistant line: the slope joins the first and last groups' (median day, median score);
-- the intercept is the mean of the three groups' median score minus slope times median day
tukey_lines as (

    select
        student_key,
        measure_id,
        school_year,
        goal_id,
        (last_score - first_score) / (last_day - first_day) as tukey_slope_per_day,
        (
            (first_score - (last_score - first_score) / (last_day - first_day) * first_day)
            + (middle_score - (last_score - first_score) / (last_day - first_day) * middle_day)
            + (last_score - (last_score - first_score) / (last_day - first_day) * last_day)
        ) / 3.0 as tukey_intercept

    from tukey_points
    where last_day > first_day

),

fitted as (

    select
        series.*,
        tukey_lines.tukey_slope_per_day,
        tukey_lines.tukey_intercept,
        settings.rate_of_improvement_method,
        settings.minimum_points,
        settings.decision_points,
        settings.milestone_weeks,
        case
            when series.n_points < settings.minimum_points then null
            when settings.rate_of_improvement_method = 'tukey' then tukey_lines.tukey_slope_per_day
            else series.ols_slope_per_day
        end as trend_slope_per_day,
        case
            when series.n_points < settings.minimum_points then null
            when settings.rate_of_improvement_method = 'tukey' then tukey_lines.tukey_intercept
            else series.ols_intercept
        end as trend_intercept,
        {{ dbt.datediff('series.baseline_date', 'series.latest_probe_date', 'day') }} as latest_days_from_baseline,
        {{ dbt.datediff('series.baseline_date', 'series.goal_date', 'day') }} as goal_days_from_baseline

    from series
    cross join settings
    left join tukey_lines
        on tukey_lines.student_key = series.student_key
        and tukey_lines.measure_id = series.measure_id
        and tukey_lines.school_year = series.school_year
        and coalesce(tukey_lines.goal_id, '') = coalesce(series.goal_id, '')

),

milestones as (

    select
        fitted.*,
        -- checkpoints every milestone_weeks from the baseline: the first after the latest probe
        (floor(latest_days_from_baseline / (7.0 * milestone_weeks)) + 1) * 7 * milestone_weeks as next_milestone_days

    from fitted

),

evaluated as (

    select
        milestones.*,
        trend_slope_per_day * 7 as rate_of_improvement,
        trend_intercept + trend_slope_per_day * goal_days_from_baseline as projected_score_at_goal_date,
        baseline_score + aimline_slope * latest_days_from_baseline / 7.0 as aimline_score_at_latest,
        case
            when goal_date is not null and latest_probe_date >= goal_date then null
            when goal_date is not null and next_milestone_days >= goal_days_from_baseline then goal_date
            else cast({{ dbt.dateadd('day', 'cast(next_milestone_days as integer)', 'baseline_date') }} as date)
        end as next_milestone_date,
        case
            when n_points < minimum_points or aimline_slope is null then 'insufficient_data'
            when n_points < decision_points then 'continue'
            when n_last_below_aimline = decision_points then 'change_intervention'
            when n_last_above_aimline = decision_points then 'raise_goal'
            else 'continue'
        end as decision,
        case
            when goal_score is null then null
            when latest_score >= goal_score then 'met'
            when goal_date is null then null
            when latest_probe_date >= goal_date then 'off_track'
            when trend_slope_per_day is null then null
            when trend_intercept + trend_slope_per_day * goal_days_from_baseline >= goal_score then 'on_track'
            else 'off_track'
        end as goal_status

    from milestones

),

final as (

    select
        evaluated.*,
        baseline_score + aimline_slope * {{ dbt.datediff('baseline_date', 'next_milestone_date', 'day') }} / 7.0 as next_milestone_score

    from evaluated

)

select * from final
