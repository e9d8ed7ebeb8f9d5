-- Percent of objectives secured per student, subject and school year, each objective counted once
-- on the student's latest judgement of it in the year.
with

latest as (

    select * from {{ ref('fct_objective_assessments') }}
    where is_latest_for_objective

),

-- the school of the student's latest judgement in the subject
latest_school as (

    select
        student_key,
        school_year,
        subject,
        school_id,
        row_number() over (
            partition by student_key, school_year, subject
            order by assessment_date desc, source_file desc, source_row desc
        ) as judgement_order

    from latest

),

summarised as (

    select
        student_key,
        school_year,
        subject,
        count(*) as n_objectives,
        sum(case when is_secured then 1 else 0 end) as n_secured,
        max(assessment_date) as latest_assessment_date

    from latest
    group by student_key, school_year, subject

),

final as (

    select
        cast(summarised.student_key as {{ dbt.type_string() }}) as student_key,
        cast(latest_school.school_id as {{ dbt.type_string() }}) as school_id,
        cast(summarised.school_year as integer) as school_year,
        cast(summarised.subject as {{ dbt.type_string() }}) as subject,
        cast(summarised.n_objectives as integer) as n_objectives,
        cast(summarised.n_secured as integer) as n_secured,
        cast(
            {{ round_double('100.0 * summarised.n_secured / summarised.n_objectives', 1) }}
            as {{ type_double() }}
        ) as pct_secured,
        cast(summarised.latest_assessment_date as date) as latest_assessment_date

    from summarised
    inner join latest_school
        on latest_school.student_key = summarised.student_key
        and latest_school.school_year = summarised.school_year
        and latest_school.subject = summarised.subject
        and latest_school.judgement_order = 1

)

select * from final
