-- Are a class's or a school's behaviour incidents in a period specific to a few students, or spread
-- across many? The few students account for n_from_top_students of the involvements; the pattern is
-- specific_students when that is at least specific_share of them (district.yml seb.incident_patterns).
with

involvements as (

    select * from {{ ref('int_seb__incident_involvements_counted') }}

),

settings as (

    select * from {{ ref('stg_config__seb_incident_patterns') }}

),

summarised as (

    select
        scope,
        school_id,
        class_sourced_id,
        school_year,
        period_type,
        period_start,
        period_end,
        sum(n_incidents_first_listed) as n_incidents,
        sum(n_major_incidents_first_listed) as n_major_incidents,
        sum(n_incidents) as n_involvements,
        count(*) as n_students_involved,
        max(top_student_limit) as top_student_limit,
        sum(case when is_top_student then n_incidents else 0 end) as n_from_top_students

    from involvements
    group by scope, school_id, class_sourced_id, school_year, period_type, period_start, period_end

),

classified as (

    select
        summarised.*,
        case
            when summarised.n_incidents < settings.minimum_incidents then 'none'
            when summarised.n_from_top_students >= settings.specific_share * summarised.n_involvements
                then 'specific_students'
            when summarised.scope = 'class' then 'class_wide'
            else 'school_wide'
        end as pattern

    from summarised
    cross join settings

),

final as (

    select
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(scope as {{ dbt.type_string() }}) as scope,
        cast(class_sourced_id as {{ dbt.type_string() }}) as class_sourced_id,
        cast(school_year as integer) as school_year,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(n_incidents as integer) as n_incidents,
        cast(n_major_incidents as integer) as n_major_incidents,
        cast(n_involvements as integer) as n_involvements,
        cast(n_students_involved as integer) as n_students_involved,
        cast(top_student_limit as integer) as top_student_limit,
        cast(n_from_top_students as integer) as n_from_top_students,
        cast(
            {{ round_double('cast(n_from_top_students as ' ~ type_double() ~ ') / n_involvements', 4) }}
            as {{ type_double() }}
        ) as share_from_top_students,
        cast(pattern as {{ dbt.type_string() }}) as pattern

    from classified

)

select * from final
