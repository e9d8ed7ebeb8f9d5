with

school_goals as (

    select * from {{ ref('stg_school__goals') }}

),

probes as (

    select * from {{ ref('int_mtss__probes_identified') }}
    where exclusion_reason is null

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

calendar_days as (

    select * from {{ ref('stg_config__calendar_days') }}

),

windows as (

    select * from {{ ref('stg_config__assessment_windows') }}

),

default_goal_dates as (

    select * from {{ ref('stg_config__mtss_default_goal_dates') }}

),

enrollments as (

    select * from {{ ref('int_roster__enrollments_dated') }}
    where student_key is not null

),

school_years as (

    select
        school_year,
        max(end_date) as year_end_date

    from windows
    group by school_year

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

-- a goal delivered in several files counts once: the row of the last file (then the last row)
school_goals_latest as (

    select
        school_goals.*,
        row_number() over (
            partition by goal_id
            order by source_file desc, source_row desc
        ) as delivery_rank

    from school_goals

),

school_goals_identified as (

    select
        school_goals_latest.goal_id,
        local_ids.student_key,
        school_goals_latest.measure_id,
        calendar_days.school_year,
        school_goals_latest.baseline_score,
        school_goals_latest.baseline_date,
        school_goals_latest.goal_score,
        school_goals_latest.goal_date,
        school_goals_latest.intervention_id,
        school_goals_latest.source_file,
        school_goals_latest.source_row

    from school_goals_latest
    inner join local_ids
        on local_ids.local_student_id = school_goals_latest.local_student_id
    left join calendar_days
        on calendar_days.calendar_date = school_goals_latest.baseline_date
    where school_goals_latest.delivery_rank = 1

),

-- a school goal covers the student's probes on its measure from its baseline day to the day
-- before the student's next goal on the measure starts, at most to the end of the school year
-- of its goal date
school_goal_periods as (

    select
        school_goals_identified.*,
        school_goals_identified.baseline_date as period_start_date,
        cast(least(
            coalesce(
                {{ dbt.dateadd('day', -1, 'lead(school_goals_identified.baseline_date) over (partition by school_goals_identified.student_key, school_goals_identified.measure_id order by school_goals_identified.baseline_date, school_goals_identified.goal_id)') }},
                cast('9999-12-31' as date)
            ),
            coalesce(school_years.year_end_date, school_goals_identified.goal_date)
        ) as date) as period_end_date

    from school_goals_identified
    left join calendar_days as goal_days
        on goal_days.calendar_date = school_goals_identified.goal_date
    left join school_years
        on school_years.school_year = goal_days.school_year

),

covered_probes as (

    select distinct
        probes.source_file,
        probes.source_row,
        probes.measure_id

    from probes
    inner join school_goal_periods
        on school_goal_periods.student_key = probes.student_key
        and school_goal_periods.measure_id = probes.measure_id
        and probes.assessment_date >= school_goal_periods.period_start_date
        and probes.assessment_date <= school_goal_periods.period_end_date

),

-- probes no school goal covers fall back to the goal their export states: one goal per student,
-- measure, school year and stated goal (score and date), so a goal changed mid-year starts a new
-- aim line
stated_probes as (

    select
        probes.*,
        cast(round(probes.goal_score * 1000) as bigint) as goal_thousandths,
        row_number() over (
            partition by probes.student_key, probes.measure_id, probes.school_year, probes.goal_score, probes.goal_date
            order by probes.assessment_date
        ) as point_number,
        row_number() over (
            partition by probes.student_key, probes.measure_id, probes.school_year, probes.goal_score, probes.goal_date
            order by probes.assessment_date desc
        ) as points_from_end

    from probes
    left join covered_probes
        on covered_probes.source_file = probes.source_file
        and covered_probes.source_row = probes.source_row
        and covered_probes.measure_id = probes.measure_id
    where covered_probes.source_file is null
        and probes.goal_score is not null

),

-- the baseline is the first probe stating the goal; the goal's period runs from it to the last
file_goals as (

    select
        {{ dbt.concat([
            "'pm-'",
            "left(" ~ sha256_hex(dbt.concat([
                'first_probe.student_key', "':'", 'first_probe.measure_id', "':'",
                dbt.safe_cast('first_probe.school_year', dbt.type_string()), "':'",
                dbt.safe_cast('first_probe.goal_thousandths', dbt.type_string()), "':'",
                "coalesce(" ~ dbt.safe_cast('first_probe.goal_date', dbt.type_string()) ~ ", '')",
            ])) ~ ", 16)",
        ]) }} as goal_id,
        first_probe.student_key,
        first_probe.measure_id,
        first_probe.school_year,
        first_probe.scale_score as baseline_score,
        first_probe.assessment_date as baseline_date,
        first_probe.goal_score,
        first_probe.goal_date as stated_goal_date,
        coalesce(first_probe.goal_date, default_goal_dates.default_goal_date) as goal_date,
        first_probe.goal_date is null as is_goal_date_default,
        first_probe.assessment_date as period_start_date,
        last_probe.assessment_date as period_end_date,
        last_probe.school_id,
        last_probe.source_file,
        last_probe.source_row

    from stated_probes as first_probe
    inner join stated_probes as last_probe
        on last_probe.student_key = first_probe.student_key
        and last_probe.measure_id = first_probe.measure_id
        and last_probe.school_year = first_probe.school_year
        and last_probe.goal_score = first_probe.goal_score
        and coalesce(last_probe.goal_date, cast('1900-01-01' as date))
            = coalesce(first_probe.goal_date, cast('1900-01-01' as date))
        and last_probe.points_from_end = 1
    left join default_goal_dates
        on default_goal_dates.school_year = first_probe.school_year
    where first_probe.point_number = 1

),

-- the school of a school goal: the student's enrollment on its baseline day (else its goal day)
school_goal_schools as (

    select
        school_goal_periods.goal_id,
        enrollments.school_id,
        row_number() over (
            partition by school_goal_periods.goal_id
            order by
                case when school_goal_periods.baseline_date between coalesce(enrollments.begin_date, cast('1900-01-01' as date))
                    and coalesce(enrollments.end_date, cast('9999-12-31' as date)) then 0 else 1 end,
                enrollments.begin_date desc,
                enrollments.school_id
        ) as school_rank

    from school_goal_periods
    inner join enrollments
        on enrollments.student_key = school_goal_periods.student_key
        and (
            school_goal_periods.baseline_date between coalesce(enrollments.begin_date, cast('1900-01-01' as date))
                and coalesce(enrollments.end_date, cast('9999-12-31' as date))
            or school_goal_periods.goal_date between coalesce(enrollments.begin_date, cast('1900-01-01' as date))
                and coalesce(enrollments.end_date, cast('9999-12-31' as date))
        )

),

combined as (

    select
        school_goal_periods.goal_id,
        'school' as goal_source,
        school_goal_periods.student_key,
        school_goal_schools.school_id,
        school_goal_periods.measure_id,
        school_goal_periods.school_year,
        school_goal_periods.baseline_score,
        school_goal_periods.baseline_date,
        school_goal_periods.goal_score,
        school_goal_periods.goal_date,
        cast(null as date) as stated_goal_date,
        false as is_goal_date_default,
        school_goal_periods.period_start_date,
        school_goal_periods.period_end_date,
        school_goal_periods.intervention_id,
        school_goal_periods.source_file,
        school_goal_periods.source_row

    from school_goal_periods
    left join school_goal_schools
        on school_goal_schools.goal_id = school_goal_periods.goal_id
        and school_goal_schools.school_rank = 1

    union all

    select
        goal_id,
        'probe_file' as goal_source,
        student_key,
        school_id,
        measure_id,
        school_year,
        baseline_score,
        baseline_date,
        goal_score,
        goal_date,
        stated_goal_date,
        is_goal_date_default,
        period_start_date,
        period_end_date,
        cast(null as {{ dbt.type_string() }}) as intervention_id,
        source_file,
        source_row

    from file_goals

)

select * from combined
