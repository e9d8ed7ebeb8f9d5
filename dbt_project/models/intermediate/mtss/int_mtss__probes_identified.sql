with

probes as (

    select * from {{ ref('stg_progress_monitoring__results') }}

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

calendar_days as (

    select * from {{ ref('stg_config__calendar_days') }}

),

enrollments as (

    select * from {{ ref('int_roster__enrollments_dated') }}
    where student_key is not null

),

-- an ID that names more than one roster student resolves to none (never to a guess)
local_ids as (

    select
        local_student_id,
        min(student_key) as student_key

    from students
    where local_student_id is not null
    group by local_student_id
    having count(*) = 1

),

state_ids as (

    select
        state_student_id,
        min(student_key) as student_key

    from students
    where state_student_id is not null
    group by state_student_id
    having count(*) = 1

),

identified as (

    select
        probes.*,
        coalesce(by_local_id.student_key, by_state_id.student_key) as student_key,
        calendar_days.school_year,
        calendar_days.window_name,
        -- norms and aim lines follow the grade of the form given, else the enrolled grade
        coalesce(probes.assessed_grade, probes.enrolled_grade) as grade_level

    from probes
    left join local_ids as by_local_id
        on by_local_id.local_student_id = probes.vendor_student_id
    left join state_ids as by_state_id
        on by_state_id.state_student_id = probes.state_student_id
    left join calendar_days
        on calendar_days.calendar_date = probes.assessment_date

),

-- the school the student was enrolled at on the probe day (the latest enrollment to begin, if several)
schooled as (

    select
        identified.*,
        enrollments.school_id,
        row_number() over (
            partition by identified.source_file, identified.source_row, identified.measure_id
            order by enrollments.begin_date desc, enrollments.school_id
        ) as enrollment_rank

    from identified
    left join enrollments
        on enrollments.student_key = identified.student_key
        and identified.assessment_date >= coalesce(enrollments.begin_date, cast('1900-01-01' as date))
        and identified.assessment_date <= coalesce(enrollments.end_date, cast('9999-12-31' as date))

),

-- one probe per student, measure and day: a re-test or a probe delivered again in a later export
-- counts once, the one loaded last
ranked as (

    select
        schooled.*,
        row_number() over (
            partition by student_key, measure_id, assessment_date
            order by case when scale_score is null then 1 else 0 end, ingested_at desc, source_file desc, source_row desc
        ) as day_rank

    from schooled
    where enrollment_rank = 1

),

final as (

    select
        source_format,
        vendor_student_id,
        student_key,
        school_id,
        school_year,
        window_name,
        measure_id,
        assessment_date,
        grade_level,
        scale_score,
        score_metric,
        goal_score,
        goal_date,
        source_file,
        source_row,
        ingested_at,
        case
            when student_key is null then 'unmatched_student'
            when measure_id is null then 'unknown_measure'
            when scale_score is null then 'no_score'
            when school_year is null then 'outside_calendar'
            when day_rank > 1 then 'repeated_same_day'
        end as exclusion_reason

    from ranked

)

select * from final
