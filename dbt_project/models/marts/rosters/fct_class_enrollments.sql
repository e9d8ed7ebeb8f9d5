with

enrollments as (

    select * from {{ ref('int_roster__enrollments_dated') }}

),

classes as (

    select * from {{ ref('stg_oneroster__classes') }}

),

final as (

    select
        cast(enrollments.school_year as integer) as school_year,
        cast(enrollments.class_sourced_id as {{ dbt.type_string() }}) as class_sourced_id,
        cast(classes.class_title as {{ dbt.type_string() }}) as class_title,
        cast(enrollments.school_id as {{ dbt.type_string() }}) as school_id,
        cast(enrollments.grade_level as integer) as grade_level,
        cast(enrollments.student_key as {{ dbt.type_string() }}) as student_key,
        cast(enrollments.begin_date as date) as begin_date,
        cast(enrollments.end_date as date) as end_date

    from enrollments
    left join classes
        on classes.class_sourced_id = enrollments.class_sourced_id
    where enrollments.class_sourced_id is not null
        and enrollments.student_key is not null

)

select * from final
