-- Each counted incident involvement in the class it happened in (when recorded) and in its school,
-- for its week (Monday to Sunday), calendar month and school year.
with

incidents as (

    select * from {{ ref('int_seb__incidents_placed') }}
    where exclusion_reason is null

),

school_years as (

    select
        school_year,
        min(calendar_date) as year_start,
        max(calendar_date) as year_end

    from {{ ref('stg_config__calendar_days') }}
    group by school_year

),

scoped as (

    select
        'class' as scope,
        school_id,
        class_sourced_id,
        school_year,
        incident_date,
        incident_id,
        student_key,
        severity

    from incidents
    where class_sourced_id is not null

    union all

    select
        'school' as scope,
        school_id,
        cast(null as {{ dbt.type_string() }}) as class_sourced_id,
        school_year,
        incident_date,
        incident_id,
        student_key,
        severity

    from incidents

),

periods as (

    select
        scoped.*,
        'week' as period_type,
        cast({{ dbt.date_trunc('week', 'incident_date') }} as date) as period_start,
        cast({{ dbt.dateadd('day', 6, dbt.date_trunc('week', 'incident_date')) }} as date) as period_end

    from scoped

    union all

    select
        scoped.*,
        'month' as period_type,
        cast({{ dbt.date_trunc('month', 'incident_date') }} as date) as period_start,
        cast({{ dbt.last_day('incident_date', 'month') }} as date) as period_end

    from scoped

    union all

    select
        scoped.*,
        'school_year' as period_type,
        school_years.year_start as period_start,
        school_years.year_end as period_end

    from scoped
    inner join school_years
        on school_years.school_year = scoped.school_year

),

final as (

    select
        periods.*,
        -- so that a count over students counts an incident with several students once
        row_number() over (
            partition by scope, school_id, class_sourced_id, school_year, period_type, period_start, incident_id
            order by student_key
        ) = 1 as is_first_listed_student

    from periods

)

select * from final
