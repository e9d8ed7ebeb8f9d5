with

probes as (

    select * from {{ ref('int_mtss__probes_identified') }}
    where exclusion_reason is null

),

goals as (

    select * from {{ ref('int_mtss__goals_combined') }}

),

settings as (

    select * from {{ ref('stg_config__mtss_settings') }}

),

norms as (

    select * from {{ ref('stg_config__roi_norms') }}

),

school_goal_matches as (

    select
        probes.source_file,
        probes.source_row,
        probes.measure_id,
        min(goals.goal_id) as goal_id

    from probes
    inner join goals
        on goals.goal_source = 'school'
        and goals.student_key = probes.student_key
        and goals.measure_id = probes.measure_id
        and probes.assessment_date >= goals.period_start_date
        and probes.assessment_date <= goals.period_end_date
    group by
        probes.source_file,
        probes.source_row,
        probes.measure_id

),

-- each probe belongs to the school goal covering its day, else to the goal its export states with
-- it, else to no goal (one series per student, measure and school year)
assigned as (

    select
        probes.*,
        coalesce(school_goal_matches.goal_id, file_goals.goal_id) as goal_id

    from probes
    left join school_goal_matches
        on school_goal_matches.source_file = probes.source_file
        and school_goal_matches.source_row = probes.source_row
        and school_goal_matches.measure_id = probes.measure_id
    left join goals as file_goals
        on file_goals.goal_source = 'probe_file'
        and file_goals.student_key = probes.student_key
        and file_goals.measure_id = probes.measure_id
        and file_goals.school_year = probes.school_year
        and file_goals.goal_score = probes.goal_score
        and coalesce(file_goals.stated_goal_date, cast('1900-01-01' as date))
            = coalesce(probes.goal_date, cast('1900-01-01' as date))
        and school_goal_matches.goal_id is null

),

with_goal as (

    select
        assigned.student_key,
        assigned.measure_id,
        assigned.goal_id,
        coalesce(goals.school_year, assigned.school_year) as series_school_year,
        goals.goal_source,
        goals.baseline_score as goal_baseline_score,
        goals.baseline_date as goal_baseline_date,
        goals.goal_score,
        goals.goal_date,
        goals.is_goal_date_default,
        assigned.school_id,
        assigned.assessment_date,
        assigned.grade_level,
        assigned.scale_score,
        assigned.source_file,
        assigned.source_row

    from assigned
    left join goals
        on goals.goal_id = assigned.goal_id

),

sequenced as (

    select
        with_goal.*,
        row_number() over (
            partition by student_key, measure_id, series_school_year, goal_id
            order by assessment_date
        ) as point_number,
        row_number() over (
            partition by student_key, measure_id, series_school_year, goal_id
            order by assessment_date desc
        ) as points_from_end,
        count(*) over (partition by student_key, measure_id, series_school_year, goal_id) as n_points,
        first_value(scale_score) over series_in_date_order as first_score,
        first_value(assessment_date) over series_in_date_order as first_probe_date,
        first_value(grade_level) over (
            partition by student_key, measure_id, series_school_year, goal_id
            order by assessment_date desc
        ) as latest_grade_level

    from with_goal
    -- the whole series as the frame (ranking functions take no frame on some engines)
    window series_in_date_order as (
        partition by student_key, measure_id, series_school_year, goal_id
        order by assessment_date
        rows between unbounded preceding and unbounded following
    )

),

-- the aim line starts at the goal's baseline (else the first probe) and reaches the goal on its
-- date; without a goal it climbs from the first probe at the configured norm rate
aimed as (

    select
        sequenced.*,
        coalesce(goal_baseline_score, first_score) as baseline_score,
        coalesce(goal_baseline_date, first_probe_date) as baseline_date,
        case
            when goal_score is not null then
                case
                    when goal_date > coalesce(goal_baseline_date, first_probe_date)
                        then (goal_score - coalesce(goal_baseline_score, first_score))
                            / ({{ dbt.datediff('coalesce(goal_baseline_date, first_probe_date)', 'goal_date', 'day') }} / 7.0)
                end
            when settings.aimline_without_goal = 'ambitious' then norms.ambitious_weekly_roi
            when settings.aimline_without_goal = 'expected' then norms.expected_weekly_roi
        end as aimline_slope,
        norms.expected_weekly_roi,
        {{ dbt.datediff('coalesce(goal_baseline_date, first_probe_date)', 'assessment_date', 'day') }} as days_from_baseline

    from sequenced
    cross join settings
    left join norms
        on norms.measure_id = sequenced.measure_id
        and norms.grade_level = sequenced.latest_grade_level

),

final as (

    select
        aimed.*,
        baseline_score + aimline_slope * days_from_baseline / 7.0 as aimline_score,
        -- Tukey's three groups in date order: n = 3k gives k each, 3k + 1 gives the middle group
        -- the extra point, 3k + 2 gives one extra to each end
        case
            when n_points < 3 then null
            when point_number <= (n_points - mod(n_points, 3)) / 3 + case when mod(n_points, 3) = 2 then 1 else 0 end
                then 'first'
            when point_number > n_points - ((n_points - mod(n_points, 3)) / 3 + case when mod(n_points, 3) = 2 then 1 else 0 end)
                then 'last'
            else 'middle'
        end as tukey_group

    from aimed

)

select * from final
