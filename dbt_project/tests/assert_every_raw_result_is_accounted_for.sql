{#- Every raw result row (of a delivery not retired by a corrected re-export) is either in
    fct_assessment_results or in audit_excluded_results,
    never in both and never in neither: per source file, raw rows = fct rows + audit rows,
    and every (source_file, source_row, measure_id) of raw appears exactly once across the two. -#}
with

raw_results as (

    -- every source family's raw rows, less the deliveries retired by a corrected re-export
    select source_file, source_row, coalesce(measure_id, '') as measure_id
    from {{ ref('int_assessments__unioned') }}

),

published as (

    select source_file, source_row, coalesce(measure_id, '') as measure_id, 'fct' as destination
    from {{ ref('fct_assessment_results') }}

    union all

    select source_file, source_row, coalesce(measure_id, '') as measure_id, 'audit' as destination
    from {{ ref('audit_excluded_results') }}

),

raw_counts as (

    select source_file, source_row, measure_id, count(*) as n_raw
    from raw_results
    group by source_file, source_row, measure_id

),

published_counts as (

    select source_file, source_row, measure_id, count(*) as n_published
    from published
    group by source_file, source_row, measure_id

),

compared as (

    select
        coalesce(raw_counts.source_file, published_counts.source_file) as source_file,
        coalesce(raw_counts.source_row, published_counts.source_row) as source_row,
        coalesce(raw_counts.measure_id, published_counts.measure_id) as measure_id,
        coalesce(raw_counts.n_raw, 0) as n_raw,
        coalesce(published_counts.n_published, 0) as n_published

    from raw_counts
    full outer join published_counts
        on published_counts.source_file = raw_counts.source_file
        and published_counts.source_row = raw_counts.source_row
        and published_counts.measure_id = raw_counts.measure_id

)

select *
from compared
where n_raw <> n_published
