with

results as (

    select * from {{ ref('int_assessments__unioned') }}

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

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

windows as (

    select * from {{ ref('stg_config__assessment_windows') }}

),

enrollments as (

    select * from {{ ref('int_roster__enrollments_dated') }}

),

identified as (

    select
        results.*,
        coalesce(
            by_local_id.student_key,
            by_state_id.student_key,
            by_vendor_id_as_state_id.student_key
        ) as student_key,
        case
            when by_local_id.student_key is not null then 'local_id'
            when by_state_id.student_key is not null then 'state_id'
            when by_vendor_id_as_state_id.student_key is not null then 'vendor_id_as_state_id'
        end as student_match

    from results
    left join local_ids as by_local_id
        on by_local_id.local_student_id = results.vendor_student_id
    left join state_ids as by_state_id
        on by_state_id.state_student_id = results.state_student_id
    left join state_ids as by_vendor_id_as_state_id
        on by_vendor_id_as_state_id.state_student_id = results.vendor_student_id

),

windowed as (

    select
        identified.*,
        windows.school_year,
        windows.window_name

    from identified
    left join windows
        on identified.assessment_date >= windows.start_date
        and identified.assessment_date <= windows.end_date

),

-- the enrollment covering the assessment date; for overlapping enrollments the most recent one
enrolled as (

    select
        windowed.*,
        enrollments.school_id as enrollment_school_id,
        enrollments.grade_level as enrollment_grade_level,
        row_number() over (
            partition by windowed.source_file, windowed.source_row, windowed.measure_id
            order by
                enrollments.begin_date desc nulls last,
                enrollments.enrollment_sourced_id desc
        ) as enrollment_rank

    from windowed
    -- open-ended enrollments get far-away bounds, so the join stays an equi-join on the student
    left join enrollments
        on enrollments.student_key = windowed.student_key
        and windowed.assessment_date >= coalesce(enrollments.begin_date, cast('1900-01-01' as date))
        and windowed.assessment_date <= coalesce(enrollments.end_date, cast('9999-12-31' as date))

),

placed as (

    select
        source_format,
        vendor_student_id,
        state_student_id,
        student_key,
        student_match,
        school_year,
        window_name,
        coalesce(enrollment_school_id, school_ref) as school_id,
        school_ref,
        measure_id,
        assessment_date,
        assessment_time,
        reported_period,
        coalesce(enrollment_grade_level, enrolled_grade) as enrolled_grade,
        enrolled_grade as file_enrolled_grade,
        assessed_grade,
        coalesce(assessed_grade, enrollment_grade_level, enrolled_grade) as instructional_grade,
        scale_score,
        standard_error,
        percentile,
        vendor_level,
        school_name,
        source_file,
        source_row,
        file_sha256,
        ingested_at

    from enrolled
    where enrollment_rank = 1

)

select * from placed
