{#- Public grade 1-2 accountability estimates. A school cell with fewer students assessed than
    the minimum n is suppressed. The district row of a grade, subject and window is suppressed
    too whenever one of its schools is: its count and estimate together with the published
    schools' figures would give the hidden school's (hiding a second school is not enough, as
    the estimate weights each school by its own N / n). -#}
with

estimated as (

    select * from {{ ref('int_grade12__estimated') }}

),

district as (

    select * from {{ ref('stg_config__district') }}

),

flagged as (

    select
        estimated.*,
        estimated.assessed_n < district.minimum_n as is_small

    from estimated
    cross join district

),

groups_with_a_small_school as (

    select distinct
        school_year,
        window_name,
        grade_level,
        subject

    from flagged
    where aggregation_level = 'school'
        and is_small

),

suppressed as (

    select
        flagged.*,
        flagged.is_small
            or (flagged.aggregation_level = 'district' and small.subject is not null) as is_suppressed

    from flagged
    left join groups_with_a_small_school as small
        on small.school_year = flagged.school_year
        and small.window_name = flagged.window_name
        and small.grade_level = flagged.grade_level
        and small.subject = flagged.subject

),

final as (

    select
        cast(aggregation_level as {{ dbt.type_string() }}) as aggregation_level,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(window_name as {{ dbt.type_string() }}) as window_name,
        cast(grade_level as integer) as grade_level,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(population_n as integer) as population_n,
        cast(sample_n as integer) as sample_n,
        cast(assessed_n as integer) as assessed_n,
        cast(missing_n as integer) as missing_n,
        cast(replacements_used as integer) as replacements_used,
        cast(case when not is_suppressed then n_proficient end as integer) as n_proficient,
        {%- for column in ['estimate', 'standard_error', 'ci_lower', 'ci_upper'] %}
        cast(case when not is_suppressed then {{ round_double('100 * ' ~ column, 2) }} end as {{ type_double() }})
            as {{ column }},
        {%- endfor %}
        cast(confidence_level as {{ type_double() }}) as confidence_level,
        cast(case when not is_suppressed then ci_method end as {{ dbt.type_string() }}) as ci_method,
        cast(case when not is_suppressed then {{ round_double('mean_scale_score', 2) }} end as {{ type_double() }})
            as mean_scale_score,
        cast(case when not is_suppressed then {{ round_double('mean_scale_score_se', 2) }} end as {{ type_double() }})
            as mean_scale_score_se,
        cast(is_suppressed as boolean) as is_suppressed

    from suppressed

)

select * from final
