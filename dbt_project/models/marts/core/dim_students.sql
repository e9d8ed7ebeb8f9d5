with

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

enrollments as (

    select * from {{ ref('int_roster__enrollments_dated') }}

),

latest_enrollments as (

    select
        student_key,
        school_id,
        grade_level,
        row_number() over (
            partition by student_key
            order by
                school_year desc nulls last,
                begin_date desc nulls last,
                end_date desc nulls first,
                enrollment_sourced_id desc
        ) as recency_rank

    from enrollments

),

joined as (

    select
        students.*,
        latest_enrollments.grade_level,
        latest_enrollments.school_id

    from students
    left join latest_enrollments
        on latest_enrollments.student_key = students.student_key
        and latest_enrollments.recency_rank = 1

),

final as (

    select
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(local_student_id as {{ dbt.type_string() }}) as local_student_id,
        cast(state_student_id as {{ dbt.type_string() }}) as state_student_id,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(middle_name as {{ dbt.type_string() }}) as middle_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name,
        cast(birth_date as date) as birth_date,
        cast(gender as {{ dbt.type_string() }}) as gender,
        cast(race_ethnicity as {{ dbt.type_string() }}) as race_ethnicity,
        cast(is_economically_disadvantaged as boolean) as is_economically_disadvantaged,
        cast(is_english_learner as boolean) as is_english_learner,
        cast(has_disability as boolean) as has_disability,
        cast(home_language as {{ dbt.type_string() }}) as home_language,
        cast(grade_level as integer) as grade_level,
        cast(school_id as {{ dbt.type_string() }}) as school_id

    from joined

)

select * from final
