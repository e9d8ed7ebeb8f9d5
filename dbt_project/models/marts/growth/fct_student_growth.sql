with

scores as (

    select * from {{ ref('int_growth__window_scores_selected') }}
    where scale_score is not null

),

spans as (

    select * from {{ ref('stg_config__growth_spans') }}
    where span_use = 'gain'

),

sgp_settings as (

    select * from {{ ref('stg_config__growth_sgp') }}

),

percentiles as (

    select * from {{ ref('int_growth__percentiles_computed') }}

),

-- each end result with the spans that end in its window and the school year their start is in,
-- so that starts join on plain keys (pairing every window first is slow at state scale)
span_ends as (

    select
        scores.*,
        spans.from_window,
        spans.to_window,
        spans.baseline,
        spans.is_prior_year,
        spans.has_vendor_target,
        scores.school_year - case when spans.is_prior_year then 1 else 0 end as start_school_year

    from spans
    inner join scores
        on scores.window_name = spans.to_window

),

-- the start and end results of each span: the end result's year and window, the start result's
-- window in the same school year or, for a prior-year span, the year before
paired as (

    select
        ends.student_key,
        ends.school_id,
        ends.enrolled_grade as grade_level,
        ends.instructional_grade,
        starts.instructional_grade as start_instructional_grade,
        ends.subject,
        ends.measure_id,
        starts.school_year as from_school_year,
        ends.school_year,
        ends.from_window,
        ends.to_window,
        ends.baseline,
        ends.is_prior_year,
        starts.assessment_date as start_date,
        ends.assessment_date as end_date,
        starts.scale_score as start_score,
        ends.scale_score as end_score,
        ends.scale_score - starts.scale_score as gain,
        starts.performance_level as start_performance_level,
        ends.performance_level as end_performance_level,
        ends.expectation as end_expectation,
        -- the vendors state the target of the span on the row the span starts from
        case when ends.has_vendor_target then starts.typical_growth end as typical_growth_target,
        case when ends.has_vendor_target then starts.stretch_growth end as stretch_growth_target,
        starts.source_file as start_source_file,
        starts.source_row as start_source_row,
        ends.source_file as end_source_file,
        ends.source_row as end_source_row

    from span_ends as ends
    inner join scores as starts
        on starts.student_key = ends.student_key
        and starts.measure_id = ends.measure_id
        and starts.window_name = ends.from_window
        and starts.school_year = ends.start_school_year

),

-- growth percentiles belong to the year-on-year span of the SGP window (Spring to Spring)
with_percentiles as (

    select
        paired.*,
        percentiles.growth_percentile,
        percentiles.growth_percentile_order1,
        percentiles.n_priors

    from paired
    left join sgp_settings
        on paired.is_prior_year
        and paired.from_window = sgp_settings.window_name
        and paired.to_window = sgp_settings.window_name
    left join percentiles
        on sgp_settings.window_name is not null
        and percentiles.student_key = paired.student_key
        and percentiles.measure_id = paired.measure_id
        and percentiles.school_year = paired.school_year

),

final as (

    select
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(grade_level as integer) as grade_level,
        cast(instructional_grade as integer) as instructional_grade,
        cast(start_instructional_grade as integer) as start_instructional_grade,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(from_school_year as integer) as from_school_year,
        cast(school_year as integer) as school_year,
        cast(from_window as {{ dbt.type_string() }}) as from_window,
        cast(to_window as {{ dbt.type_string() }}) as to_window,
        cast(baseline as {{ dbt.type_string() }}) as baseline,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(start_score as {{ type_double() }}) as start_score,
        cast(end_score as {{ type_double() }}) as end_score,
        cast(gain as {{ type_double() }}) as gain,
        cast(growth_percentile as integer) as growth_percentile,
        cast(growth_percentile_order1 as integer) as growth_percentile_order1,
        cast(n_priors as integer) as n_priors,
        cast(typical_growth_target as {{ type_double() }}) as typical_growth_target,
        cast(case when typical_growth_target is not null then gain >= typical_growth_target end as boolean)
            as met_typical_growth,
        cast(stretch_growth_target as {{ type_double() }}) as stretch_growth_target,
        cast(case when stretch_growth_target is not null then gain >= stretch_growth_target end as boolean)
            as met_stretch_growth,
        cast(start_performance_level as {{ dbt.type_string() }}) as start_performance_level,
        cast(end_performance_level as {{ dbt.type_string() }}) as end_performance_level,
        cast(end_expectation as {{ dbt.type_string() }}) as end_expectation,
        cast(instructional_grade < grade_level as boolean) as is_working_below_grade,
        cast(case when end_expectation is not null then end_expectation in ('at', 'above') end as boolean)
            as is_on_track,
        cast(start_source_file as {{ dbt.type_string() }}) as start_source_file,
        cast(start_source_row as bigint) as start_source_row,
        cast(end_source_file as {{ dbt.type_string() }}) as end_source_file,
        cast(end_source_row as bigint) as end_source_row

    from with_percentiles

)

select * from final
