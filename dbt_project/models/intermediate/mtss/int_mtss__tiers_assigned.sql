with

results as (

    select * from {{ ref('fct_assessment_results') }}
    where is_latest_in_window

),

rules as (

    select * from {{ ref('stg_config__mtss_tier_rules') }}

),

rule_measures as (

    select distinct
        rule_position,
        rule_name,
        subject,
        measure_id,
        basis

    from rules

),

-- each student's last result of the window on each rule's measures, when it carries what the
-- rule reads (a percentile, or a performance level)
applicable as (

    select
        results.student_key,
        results.school_id,
        results.school_year,
        results.window_name,
        results.enrolled_grade,
        results.assessment_date,
        results.percentile,
        results.performance_level,
        rule_measures.rule_position,
        rule_measures.rule_name,
        rule_measures.subject,
        rule_measures.measure_id,
        rule_measures.basis

    from results
    inner join rule_measures
        on rule_measures.measure_id = results.measure_id
    where (rule_measures.basis = 'percentile' and results.percentile is not null)
        or (rule_measures.basis = 'performance_level' and results.performance_level is not null)

),

-- the most intensive tier of the rule the result falls in, tier 1 when none
matched as (

    select
        applicable.student_key,
        applicable.school_id,
        applicable.school_year,
        applicable.window_name,
        applicable.enrolled_grade,
        applicable.assessment_date,
        applicable.percentile,
        applicable.performance_level,
        applicable.rule_position,
        applicable.rule_name,
        applicable.subject,
        applicable.measure_id,
        applicable.basis,
        coalesce(max(rules.tier), 1) as rule_tier

    from applicable
    left join rules
        on rules.rule_name = applicable.rule_name
        and rules.measure_id = applicable.measure_id
        and (
            (rules.basis = 'percentile' and applicable.percentile < rules.below_percentile)
            or (rules.basis = 'performance_level' and applicable.performance_level = rules.performance_level)
        )
    group by
        applicable.student_key,
        applicable.school_id,
        applicable.school_year,
        applicable.window_name,
        applicable.enrolled_grade,
        applicable.assessment_date,
        applicable.percentile,
        applicable.performance_level,
        applicable.rule_position,
        applicable.rule_name,
        applicable.subject,
        applicable.measure_id,
        applicable.basis

),

final as (

    select
        matched.*,
        case
            when basis = 'percentile'
                then {{ dbt.concat(['measure_id', "' percentile '", dbt.safe_cast(round_double('percentile', 1), dbt.type_string())]) }}
            else {{ dbt.concat(['measure_id', "' '", 'performance_level']) }}
        end as tier_evidence

    from matched

)

select * from final
