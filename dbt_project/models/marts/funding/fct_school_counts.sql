with

count_dates as (

    select * from {{ ref('stg_config__funding_count_dates') }}

),

enrollments as (

    select * from {{ ref('int_roster__enrollments_dated') }}

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

supplied as (

    select * from {{ ref('stg_config__funding_counts') }}

),

-- each student once per school enrolled on the count date, in their lowest grade there
enrolled as (

    select
        count_dates.school_year,
        count_dates.count_date,
        enrollments.school_id,
        enrollments.student_key,
        min(enrollments.grade_level) as grade_level

    from count_dates
    inner join enrollments
        on enrollments.school_year = count_dates.school_year
        and coalesce(enrollments.begin_date, count_dates.count_date) <= count_dates.count_date
        and coalesce(enrollments.end_date, count_dates.count_date) >= count_dates.count_date
    where enrollments.school_id is not null
        and enrollments.student_key is not null
    group by
        count_dates.school_year,
        count_dates.count_date,
        enrollments.school_id,
        enrollments.student_key

),

counted as (

    select
        enrolled.school_year,
        enrolled.count_date,
        enrolled.school_id,
        min(enrolled.grade_level) as lowest_grade,
        count(*) as enrollment,
        sum(case when students.is_economically_disadvantaged then 1 else 0 end) as economically_disadvantaged,
        sum(case when students.is_english_learner then 1 else 0 end) as english_learners,
        sum(case when students.has_disability then 1 else 0 end) as students_with_disabilities

    from enrolled
    left join students
        on students.student_key = enrolled.student_key
    group by
        enrolled.school_year,
        enrolled.count_date,
        enrolled.school_id

),

-- a row for the school year wins over a row for every year (blank school_year)
supplied_for_year as (

    select
        counted.school_year,
        counted.school_id,
        coalesce(this_year.supplied_enrollment, every_year.supplied_enrollment) as supplied_enrollment,
        coalesce(this_year.supplied_low_income_public, every_year.supplied_low_income_public)
            as supplied_low_income_public,
        coalesce(this_year.direct_certification, every_year.direct_certification) as direct_certification,
        coalesce(this_year.low_income_private, every_year.low_income_private) as low_income_private

    from counted
    left join supplied as this_year
        on this_year.school_id = counted.school_id
        and this_year.school_year = counted.school_year
    left join supplied as every_year
        on every_year.school_id = counted.school_id
        and every_year.school_year is null

),

final as (

    select
        cast(counted.school_id as {{ dbt.type_string() }}) as school_id,
        cast(counted.school_year as integer) as school_year,
        cast(counted.count_date as date) as count_date,
        cast(case
            when counted.lowest_grade >= 9 then 'high'
            when counted.lowest_grade >= 6 then 'middle'
            else 'elementary'
        end as {{ dbt.type_string() }}) as grade_span,
        cast(counted.enrollment as integer) as enrollment,
        cast(counted.economically_disadvantaged as integer) as economically_disadvantaged,
        cast(supplied_for_year.direct_certification as integer) as direct_certification,
        cast(supplied_for_year.supplied_enrollment as integer) as supplied_enrollment,
        cast(supplied_for_year.supplied_low_income_public as integer) as supplied_low_income_public,
        cast(coalesce(supplied_for_year.low_income_private, 0) as integer) as low_income_private,
        cast(counted.english_learners as integer) as english_learners,
        cast(counted.students_with_disabilities as integer) as students_with_disabilities

    from counted
    inner join supplied_for_year
        on supplied_for_year.school_year = counted.school_year
        and supplied_for_year.school_id = counted.school_id

)

select * from final
