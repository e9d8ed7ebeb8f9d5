{{ config(materialized='view') }}

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

-- a vendor ID the crosswalk maps to exactly one local ID that names exactly one roster student
crosswalk as (

    select
        crosswalk.vendor_student_id,
        min(local_ids.student_key) as student_key

    from {{ ref('stg_crosswalk__student_ids') }} as crosswalk
    inner join local_ids
        on local_ids.local_student_id = crosswalk.local_student_id
    group by crosswalk.vendor_student_id
    having count(distinct crosswalk.local_student_id) = 1

),

calendar_days as (

    select * from {{ ref('stg_config__calendar_days') }}

),

enrollments as (

    select * from {{ ref('int_roster__enrollments_dated') }}
    where student_key is not null

),

-- a student's time at one school in one school year (class enrollments merged); where two such
-- stints overlap (a move), the later one starts the student's new school, so the earlier one ends
-- the day before
stints as (

    select
        student_key,
        school_id,
        school_year,
        max(grade_level) as grade_level,
        min(begin_date) as begin_date,
        max(end_date) as end_date

    from enrollments
    group by student_key, school_id, school_year

),

stints_clipped as (

    select
        student_key,
        school_id,
        grade_level,
        coalesce(begin_date, cast('1900-01-01' as date)) as begin_date,
        cast(coalesce(
            least(
                coalesce(end_date, cast('9999-12-31' as date)),
                {{ dbt.dateadd('day', -1, 'lead(begin_date) over (partition by student_key order by begin_date, school_id)') }}
            ),
            end_date,
            cast('9999-12-31' as date)
        ) as date) as end_date

    from stints

),

identified as (

    select
        results.*,
        coalesce(
            by_local_id.student_key,
            by_state_id.student_key,
            by_vendor_id_as_state_id.student_key,
            by_crosswalk.student_key
        ) as student_key,
        case
            when by_local_id.student_key is not null then 'local_id'
            when by_state_id.student_key is not null then 'state_id'
            when by_vendor_id_as_state_id.student_key is not null then 'vendor_id_as_state_id'
            when by_crosswalk.student_key is not null then 'crosswalk'
        end as student_match

    from results
    left join local_ids as by_local_id
        on by_local_id.local_student_id = results.vendor_student_id
    left join state_ids as by_state_id
        on by_state_id.state_student_id = results.state_student_id
    left join state_ids as by_vendor_id_as_state_id
        on by_vendor_id_as_state_id.state_student_id = results.vendor_student_id
    left join crosswalk as by_crosswalk
        on by_crosswalk.vendor_student_id = results.vendor_student_id

),

windowed as (

    select
        identified.*,
        calendar_days.school_year,
        calendar_days.window_name

    from identified
    left join calendar_days
        on calendar_days.calendar_date = identified.assessment_date

),

-- the school stint covering the assessment date (at most one: stints do not overlap)
enrolled as (

    select
        windowed.*,
        stints_clipped.school_id as enrollment_school_id,
        stints_clipped.grade_level as enrollment_grade_level

    from windowed
    left join stints_clipped
        on stints_clipped.student_key = windowed.student_key
        and windowed.assessment_date >= stints_clipped.begin_date
        and windowed.assessment_date <= stints_clipped.end_date

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

)

select * from placed
