with

enrollments as (

    select * from {{ ref('stg_oneroster__enrollments') }}
    where enrollment_role = 'teacher'

),

users as (

    select * from {{ ref('stg_oneroster__users') }}

),

classes as (

    select * from {{ ref('stg_oneroster__classes') }}

),

sessions as (

    select * from {{ ref('stg_oneroster__academic_sessions') }}

),

schools as (

    select * from {{ ref('stg_oneroster__orgs') }}
    where org_type = 'school'

),

final as (

    select distinct
        cast(sessions.school_year as integer) as school_year,
        cast(enrollments.class_sourced_id as {{ dbt.type_string() }}) as class_sourced_id,
        cast(schools.org_identifier as {{ dbt.type_string() }}) as school_id,
        cast(enrollments.user_sourced_id as {{ dbt.type_string() }}) as teacher_sourced_id,
        cast(users.username as {{ dbt.type_string() }}) as teacher_username

    from enrollments
    left join users
        on users.user_sourced_id = enrollments.user_sourced_id
    left join classes
        on classes.class_sourced_id = enrollments.class_sourced_id
    left join sessions
        on sessions.academic_session_sourced_id = classes.term_sourced_id
    left join schools
        on schools.org_sourced_id = coalesce(enrollments.school_sourced_id, classes.school_sourced_id)

)

select * from final
