-- How many counted incidents each student was involved in, per class and per school and period,
-- ranked within the class or school and period, and whether the student is one of its "few
-- students" (district.yml seb.incident_patterns).
with

involvements as (

    select * from {{ ref('int_seb__incident_periods_assigned') }}

),

settings as (

    select * from {{ ref('stg_config__seb_incident_patterns') }}

),

counted as (

    select
        scope,
        school_id,
        class_sourced_id,
        school_year,
        period_type,
        period_start,
        period_end,
        student_key,
        count(*) as n_incidents,
        sum(case when severity = 'major' then 1 else 0 end) as n_major_incidents,
        sum(case when is_first_listed_student then 1 else 0 end) as n_incidents_first_listed,
        sum(case when is_first_listed_student and severity = 'major' then 1 else 0 end)
            as n_major_incidents_first_listed

    from involvements
    group by scope, school_id, class_sourced_id, school_year, period_type, period_start, period_end, student_key

),

ranked as (

    select
        counted.*,
        row_number() over (
            partition by scope, school_id, class_sourced_id, school_year, period_type, period_start
            order by n_incidents desc, student_key
        ) as student_rank,
        count(*) over (
            partition by scope, school_id, class_sourced_id, school_year, period_type, period_start
        ) as n_students_involved

    from counted

),

-- the few students: the top_students most involved, or top_student_share of the students involved
-- (rounded down) when that is more; the small epsilon keeps e.g. 0.1 * 30 from rounding down to 2
limited as (

    select
        ranked.*,
        greatest(
            settings.top_students,
            cast(floor(settings.top_student_share * ranked.n_students_involved + 1e-9) as integer)
        ) as top_student_limit

    from ranked
    cross join settings

),

final as (

    select
        limited.*,
        student_rank <= top_student_limit as is_top_student

    from limited

)

select * from final
