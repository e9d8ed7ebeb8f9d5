with

matched as (

    select * from {{ ref('int_grade12__sample_results_matched') }}

),

sized as (

    select * from {{ ref('int_grade12__strata_sized') }}

),

summarised as (

    select
        school_year,
        window_name,
        school_id,
        grade_level,
        subject,
        stratum,
        sum(case when is_used then 1 else 0 end) as assessed_n,
        sum(case when not is_replacement and not is_assessed then 1 else 0 end) as missing_n,
        sum(case when is_used and is_replacement then 1 else 0 end) as replacements_used,
        sum(case when is_used and is_proficient then 1 else 0 end) as n_proficient,
        avg(case when is_used then scale_score end) as score_mean,
        var_samp(case when is_used then scale_score end) as score_var

    from matched
    group by
        school_year,
        window_name,
        school_id,
        grade_level,
        subject,
        stratum

),

final as (

    select
        sized.school_year,
        sized.window_name,
        sized.school_id,
        sized.grade_level,
        sized.subject,
        sized.measure_id,
        sized.stratum,
        sized.stratum_population_n as population_n,
        sized.stratum_sample_n as sample_n,
        cast(summarised.assessed_n as integer) as assessed_n,
        cast(summarised.missing_n as integer) as missing_n,
        cast(summarised.replacements_used as integer) as replacements_used,
        cast(summarised.n_proficient as integer) as n_proficient,
        cast(summarised.score_mean as {{ type_double() }}) as score_mean,
        cast(summarised.score_var as {{ type_double() }}) as score_var

    from sized
    inner join summarised
        on summarised.school_year = sized.school_year
        and summarised.window_name = sized.window_name
        and summarised.school_id = sized.school_id
        and summarised.grade_level = sized.grade_level
        and summarised.subject = sized.subject
        and summarised.stratum = sized.stratum

)

select * from final
