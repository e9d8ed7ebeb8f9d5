with

assigned as (

    select * from {{ ref('int_mtss__tiers_assigned') }}

),

settings as (

    select * from {{ ref('stg_config__mtss_settings') }}

),

windows as (

    select * from {{ ref('stg_config__assessment_windows') }}

),

combined as (

    select
        assigned.student_key,
        assigned.subject,
        assigned.school_year,
        assigned.window_name,
        case
            when max(settings.combine_tiers) = 'least_intensive' then min(assigned.rule_tier)
            else max(assigned.rule_tier)
        end as tier,
        count(*) as n_measures

    from assigned
    cross join settings
    group by
        assigned.student_key,
        assigned.subject,
        assigned.school_year,
        assigned.window_name

),

-- the rule and measure that gave the tier (the first in district.yml order when several did)
deciding as (

    select
        combined.*,
        assigned.rule_name,
        assigned.measure_id,
        assigned.tier_evidence,
        assigned.school_id,
        assigned.enrolled_grade,
        assigned.assessment_date,
        row_number() over (
            partition by combined.student_key, combined.subject, combined.school_year, combined.window_name
            order by assigned.rule_position, assigned.measure_id
        ) as deciding_rank

    from combined
    inner join assigned
        on assigned.student_key = combined.student_key
        and assigned.subject = combined.subject
        and assigned.school_year = combined.school_year
        and assigned.window_name = combined.window_name
        and assigned.rule_tier = combined.tier

),

sequenced as (

    select
        deciding.*,
        lag(deciding.tier) over (
            partition by deciding.student_key, deciding.subject
            order by deciding.school_year, windows.window_order
        ) as previous_tier

    from deciding
    inner join windows
        on windows.school_year = deciding.school_year
        and windows.window_name = deciding.window_name
    where deciding.deciding_rank = 1

),

final as (

    select
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(enrolled_grade as integer) as grade_level,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(school_year as integer) as school_year,
        cast(window_name as {{ dbt.type_string() }}) as window_name,
        cast(tier as integer) as tier,
        cast(rule_name as {{ dbt.type_string() }}) as tier_rule,
        cast(measure_id as {{ dbt.type_string() }}) as tier_measure_id,
        cast(tier_evidence as {{ dbt.type_string() }}) as tier_evidence,
        cast(n_measures as integer) as n_measures,
        cast(assessment_date as date) as assessment_date,
        cast(previous_tier as integer) as previous_tier,
        cast(
            case
                when previous_tier is null then 'new'
                when tier > previous_tier then 'up'
                when tier < previous_tier then 'down'
                else 'same'
            end as {{ dbt.type_string() }}
        ) as tier_change

    from sequenced

)

select * from final
