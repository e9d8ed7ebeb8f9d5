{#- The reproducible draw: every student of a sampled grade at a school on the draw date, ranked
    by a keyed hash that any engine computes the same way:
    left(sha256(seed|school_year|window_name|school_id|grade_level[|subject]|local_student_id), 15),
    ties by local_student_id. analytics.sampling.draw_order is the same ranking in Python. -#}
with

design as (

    select * from {{ ref('stg_config__grade12_design') }}

),

measures as (

    select * from {{ ref('stg_config__grade12_measures') }}

),

windows as (

    select * from {{ ref('stg_config__grade12_windows') }}

),

enrollments as (

    select * from {{ ref('int_roster__enrollments_dated') }}

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

sampled_grades as (

    select distinct grade_level
    from measures

),

enrolled_on_draw_date as (

    select
        windows.school_year,
        windows.window_name,
        windows.draw_date,
        enrollments.school_id,
        enrollments.student_key,
        enrollments.local_student_id,
        min(enrollments.grade_level) as grade_level

    from windows
    inner join enrollments
        on enrollments.school_year = windows.school_year
        and coalesce(enrollments.begin_date, windows.draw_date) <= windows.draw_date
        and coalesce(enrollments.end_date, windows.draw_date) >= windows.draw_date
    inner join sampled_grades
        on sampled_grades.grade_level = enrollments.grade_level
    where enrollments.school_id is not null
        and enrollments.student_key is not null
    group by
        windows.school_year,
        windows.window_name,
        windows.draw_date,
        enrollments.school_id,
        enrollments.student_key,
        enrollments.local_student_id

),

-- a student enrolled at two schools on the same day belongs to one population: the first school by ID
one_school_each as (

    select
        *,
        row_number() over (
            partition by school_year, window_name, student_key
            order by school_id
        ) as school_choice

    from enrolled_on_draw_date

),

population as (

    select
        one_school_each.school_year,
        one_school_each.window_name,
        one_school_each.draw_date,
        one_school_each.school_id,
        one_school_each.grade_level,
        measures.subject,
        measures.measure_id,
        one_school_each.student_key,
        one_school_each.local_student_id,
        case design.stratify_by
            when 'economically_disadvantaged'
                then case when students.is_economically_disadvantaged then 'economically_disadvantaged:yes'
                    when not students.is_economically_disadvantaged then 'economically_disadvantaged:no'
                    else 'economically_disadvantaged:unknown' end
            when 'english_learner'
                then case when students.is_english_learner then 'english_learner:yes'
                    when not students.is_english_learner then 'english_learner:no'
                    else 'english_learner:unknown' end
            when 'students_with_disabilities'
                then case when students.has_disability then 'students_with_disabilities:yes'
                    when not students.has_disability then 'students_with_disabilities:no'
                    else 'students_with_disabilities:unknown' end
            when 'gender'
                then {{ dbt.concat(["'gender:'", "coalesce(students.gender, 'unknown')"]) }}
            else 'all'
        end as stratum,
        left({{ sha256_hex(dbt.concat([
            'design.seed', "'|'",
            'cast(one_school_each.school_year as ' ~ dbt.type_string() ~ ')', "'|'",
            'one_school_each.window_name', "'|'",
            'one_school_each.school_id', "'|'",
            'cast(one_school_each.grade_level as ' ~ dbt.type_string() ~ ')', "'|'",
            "case when design.same_students_for_all_subjects then '' else "
                ~ dbt.concat(['measures.subject', "'|'"]) ~ " end",
            'one_school_each.local_student_id',
        ])) }}, 15) as draw_key

    from one_school_each
    cross join design
    inner join measures
        on measures.grade_level = one_school_each.grade_level
    left join students
        on students.student_key = one_school_each.student_key
    where one_school_each.school_choice = 1

),

ranked as (

    select
        *,
        row_number() over (
            partition by school_year, window_name, school_id, grade_level, subject, stratum
            order by draw_key, local_student_id
        ) as sample_order

    from population

)

select * from ranked
