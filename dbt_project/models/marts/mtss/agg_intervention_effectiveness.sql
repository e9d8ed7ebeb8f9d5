with

interventions as (

    select * from {{ ref('fct_interventions') }}
    where school_year is not null

),

district as (

    select * from {{ ref('stg_config__district') }}

),

counted as (

    select
        school_year,
        intervention_name,
        tier,
        count(distinct student_key) as n_students,
        count(*) as n_interventions,
        sum(case when response = 'responding' then 1 else 0 end) as n_responding,
        sum(case when response = 'not_responding' then 1 else 0 end) as n_not_responding,
        sum(case when response = 'insufficient_data' then 1 else 0 end) as n_insufficient_data

    from interventions
    group by
        school_year,
        intervention_name,
        tier

),

-- the percentage responding is of the interventions with enough data; a row is hidden when either
-- the students or the interventions judged are fewer than the minimum n
final as (

    select
        cast(counted.school_year as integer) as school_year,
        cast(counted.intervention_name as {{ dbt.type_string() }}) as intervention_name,
        cast(counted.tier as integer) as tier,
        cast(case when not is_suppressed then n_students end as integer) as n_students,
        cast(case when not is_suppressed then n_interventions end as integer) as n_interventions,
        cast(case when not is_suppressed then n_responding end as integer) as n_responding,
        cast(case when not is_suppressed then n_not_responding end as integer) as n_not_responding,
        cast(case when not is_suppressed then n_insufficient_data end as integer) as n_insufficient_data,
        case
            when not is_suppressed
                then cast({{ round_double(
                    '100.0 * cast(n_responding as ' ~ type_double() ~ ') / (n_responding + n_not_responding)', 1
                ) }} as {{ type_double() }})
        end as pct_responding,
        cast(is_suppressed as boolean) as is_suppressed

    from (
        select
            counted.*,
            counted.n_students < district.minimum_n
                or counted.n_responding + counted.n_not_responding < district.minimum_n as is_suppressed

        from counted
        cross join district
    ) as counted

)

select * from final
