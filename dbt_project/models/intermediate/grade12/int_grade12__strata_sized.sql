{#- Sample size per school, grade, subject and window, allocated to strata.
    n0 = z^2 p (1 - p) / e^2; with the finite population correction n = ceil(n0 / (1 + (n0 - 1) / N)),
    then at least minimum_sample, at most maximum_sample, never more than N (all students when the
    school is small). Strata get n * N_h / N by the largest-remainder method (exact integer
    remainders; ties to the first stratum by name), then at least min(2, N_h) so each stratum's
    variance can be estimated. analytics.sampling.sample_size and allocate_proportional are the
    same rules in Python. -#}
with

ranked as (

    select * from {{ ref('int_grade12__populations_ranked') }}

),

design as (

    select * from {{ ref('stg_config__grade12_design') }}

),

strata as (

    select
        school_year,
        window_name,
        school_id,
        grade_level,
        subject,
        measure_id,
        stratum,
        count(*) as stratum_population_n

    from ranked
    group by
        school_year,
        window_name,
        school_id,
        grade_level,
        subject,
        measure_id,
        stratum

),

cells as (

    select
        school_year,
        window_name,
        school_id,
        grade_level,
        subject,
        sum(stratum_population_n) as population_n,
        count(*) as n_strata

    from strata
    group by
        school_year,
        window_name,
        school_id,
        grade_level,
        subject

),

unconstrained as (

    select
        cells.*,
        design.minimum_sample,
        design.maximum_sample,
        ceil(
            (design.z_value * design.z_value * design.expected_proportion * (1 - design.expected_proportion)
                / (design.margin_of_error * design.margin_of_error))
            / (1 + ((design.z_value * design.z_value * design.expected_proportion * (1 - design.expected_proportion)
                / (design.margin_of_error * design.margin_of_error)) - 1) / cells.population_n)
            - 1e-9
        ) as fpc_sample_n

    from cells
    cross join design

),

sized as (

    select
        school_year,
        window_name,
        school_id,
        grade_level,
        subject,
        population_n,
        n_strata,
        cast(fpc_sample_n as integer) as fpc_sample_n,
        cast(least(
            population_n,
            coalesce(maximum_sample, population_n),
            greatest(fpc_sample_n, minimum_sample)
        ) as integer) as sample_n

    from unconstrained

),

quotas as (

    select
        strata.*,
        sized.population_n,
        sized.sample_n,
        sized.n_strata,
        cast(floor(cast(sized.sample_n * strata.stratum_population_n as {{ type_double() }}) / sized.population_n) as integer)
            as quota_floor

    from strata
    inner join sized
        on sized.school_year = strata.school_year
        and sized.window_name = strata.window_name
        and sized.school_id = strata.school_id
        and sized.grade_level = strata.grade_level
        and sized.subject = strata.subject

),

remainders as (

    select
        *,
        -- the exact remainder of n * N_h / N, as an integer numerator over N
        sample_n * stratum_population_n - quota_floor * population_n as remainder_numerator,
        sample_n - sum(quota_floor) over (
            partition by school_year, window_name, school_id, grade_level, subject
        ) as units_left

    from quotas

),

ranked_remainders as (

    select
        *,
        row_number() over (
            partition by school_year, window_name, school_id, grade_level, subject
            order by remainder_numerator desc, stratum
        ) as remainder_rank

    from remainders

),

final as (

    select
        school_year,
        window_name,
        school_id,
        grade_level,
        subject,
        measure_id,
        stratum,
        population_n,
        sample_n,
        n_strata,
        stratum_population_n,
        cast(greatest(
            quota_floor + case when remainder_rank <= units_left then 1 else 0 end,
            least(2, stratum_population_n)
        ) as integer) as stratum_sample_n

    from ranked_remainders

)

select * from final
