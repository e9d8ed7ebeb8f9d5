with

enrollments as (

    select * from {{ ref('stg_oneroster__enrollments') }}
    where enrollment_role = 'student'

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

classes as (

    select * from {{ ref('stg_oneroster__classes') }}

),

academic_sessions as (

    select * from {{ ref('stg_oneroster__academic_sessions') }}

),

schools as (

    select * from {{ ref('stg_oneroster__orgs') }}
    where org_type = 'school'

),

joined as (

    select
        enrollments.enrollment_sourced_id,
        students.student_key,
        students.local_student_id,
        enrollments.class_sourced_id,
        schools.org_sourced_id as school_sourced_id,
        schools.org_identifier as school_id,
        classes.grade_level,
        academic_sessions.school_year,
        -- an enrollment without dates lasts the whole term of its class
        coalesce(enrollments.begin_date, academic_sessions.start_date) as begin_date,
        coalesce(enrollments.end_date, academic_sessions.end_date) as end_date,
        enrollments.is_primary

    from enrollments
    inner join students
        on students.student_sourced_id = enrollments.user_sourced_id
    left join classes
        on classes.class_sourced_id = enrollments.class_sourced_id
    left join academic_sessions
        on academic_sessions.academic_session_sourced_id = classes.term_sourced_id
    left join schools
        on schools.org_sourced_id = coalesce(enrollments.school_sourced_id, classes.school_sourced_id)

)

select * from joined
