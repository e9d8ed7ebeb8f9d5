{#- Public grade 1-2 accountability estimates. A school cell with fewer students assessed than
    the minimum n is suppressed; when a grade, subject and window has exactly one suppressed school,
    the school with the next fewest assessed students is suppressed too (complementary
    suppression), so the district row cannot be used to recover the hidden school. -#}
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
        estimated.assessed_n < district.minimum_n as is_primary_suppressed

    from estimated
    cross join district

),

school_cells as (

    select
        *,
        sum(case when is_primary_suppressed then 1 else 0 end) over (
            partition by school_year, window_name, grade_level, subject
        ) as n_primary_suppressed,
        row_number() over (
            partition by school_year, window_name, grade_level, subject, is_primary_suppressed
            order by assessed_n, school_id
        ) as smallest_first

    from flagged
    where aggregation_level = 'school'

),

suppressed as (

    select
        *,
        is_primary_suppressed
            or (n_primary_suppressed = 1 and not is_primary_suppressed and smallest_first = 1) as is_suppressed

    from school_cells

    union all

    select
        *,
        0 as n_primary_suppressed,
        1 as smallest_first,
        is_primary_suppressed as is_suppressed

    from flagged
    where aggregation_level = 'district'

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
