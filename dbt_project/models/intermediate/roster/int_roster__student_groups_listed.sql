-- The reporting groups of each student, the one list every aggregate reports by.
-- group_kind tells how a group's cells relate to 'all', which is what complementary suppression
-- (macros/suppress_small_cells.sql) needs to know:
--   all        every student;
--   one_group  one part of 'all' whose complement is not published ('all' minus it gives the rest);
--   partition  one value of an attribute: the cells of the attribute plus the students with no
--              value add up to 'all'.
with

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

listed as (

    select student_key, 'all' as student_group, 'all' as group_family, 'all' as group_kind
    from students

    union all

    select
        student_key,
        'economically_disadvantaged' as student_group,
        'economically_disadvantaged' as group_family,
        'one_group' as group_kind
    from students
    where is_economically_disadvantaged

    union all

    select
        student_key,
        'english_learner' as student_group,
        'english_learner' as group_family,
        'one_group' as group_kind
    from students
    where is_english_learner

    union all

    select
        student_key,
        'students_with_disabilities' as student_group,
        'students_with_disabilities' as group_family,
        'one_group' as group_kind
    from students
    where has_disability

    union all

    select
        student_key,
        {{ dbt.concat(["'race_ethnicity:'", 'race_ethnicity']) }} as student_group,
        'race_ethnicity' as group_family,
        'partition' as group_kind
    from students
    where race_ethnicity is not null

    union all

    select
        student_key,
        {{ dbt.concat(["'gender:'", 'gender']) }} as student_group,
        'gender' as group_family,
        'partition' as group_kind
    from students
    where gender is not null

)

select * from listed
