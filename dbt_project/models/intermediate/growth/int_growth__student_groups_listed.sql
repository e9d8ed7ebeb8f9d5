-- The reporting groups each student belongs to (as in agg_school_proficiency).
with

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

listed as (

    select student_key, 'all' as student_group
    from students

    union all

    select student_key, 'economically_disadvantaged' as student_group
    from students
    where is_economically_disadvantaged

    union all

    select student_key, 'english_learner' as student_group
    from students
    where is_english_learner

    union all

    select student_key, 'students_with_disabilities' as student_group
    from students
    where has_disability

    union all

    select student_key, {{ dbt.concat(["'race_ethnicity:'", 'race_ethnicity']) }} as student_group
    from students
    where race_ethnicity is not null

    union all

    select student_key, {{ dbt.concat(["'gender:'", 'gender']) }} as student_group
    from students
    where gender is not null

)

select * from listed
