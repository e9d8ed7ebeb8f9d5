with

placed as (

    select * from {{ ref('int_assessments__placed') }}

),

measures as (

    select * from {{ ref('stg_config__measures') }}

),

-- each band runs from its min_score up to (not including) the next band's min_score; the top
-- band is open above here, and its max_score is applied after the join
cut_scores as (

    select
        measure_id,
        grade_level,
        window_name,
        performance_level,
        min_score,
        max_score,
        coalesce(
            lead(min_score) over (partition by measure_id, grade_level, window_name order by min_score),
            cast('Infinity' as {{ type_double() }})
        ) as next_min_score

    from {{ ref('stg_config__cut_scores') }}

),

descriptors as (

    select * from {{ ref('stg_config__descriptor_sets') }}

),

valued as (

    select
        placed.*,
        measures.measure_id is not null as is_measure_configured,
        measures.subject,
        measures.descriptor_set,
        measures.level_basis,
        case measures.level_basis
            when 'percentile' then placed.percentile
            else placed.scale_score
        end as level_basis_value

    from placed
    left join measures
        on measures.measure_id = placed.measure_id

),

-- the one band holding the value: an equi-join on measure, grade and window, then the range
banded as (

    select
        valued.*,
        cut_scores.performance_level as band_level,
        cut_scores.max_score as band_max_score,
        cut_scores.next_min_score = cast('Infinity' as {{ type_double() }}) as is_top_band

    from valued
    left join cut_scores
        on cut_scores.measure_id = valued.measure_id
        and cut_scores.grade_level = valued.instructional_grade
        and cut_scores.window_name = valued.window_name
        and valued.level_basis_value >= cut_scores.min_score
        and valued.level_basis_value < cut_scores.next_min_score

),

-- a value above the top band's max_score is off the scale: no level
leveled as (

    select
        banded.*,
        case
            when level_basis = 'vendor_level' then vendor_level
            when is_top_band and level_basis_value > band_max_score then null
            else band_level
        end as performance_level

    from banded

),

described as (

    select
        leveled.*,
        descriptors.descriptor_rank as performance_level_rank,
        descriptors.expectation,
        descriptors.is_proficient,
        case
            when leveled.student_key is null then 'student_not_in_roster'
            when leveled.school_year is null then 'date_outside_calendar'
            when leveled.school_id is null then 'no_school_on_date'
            when not leveled.is_measure_configured then 'measure_not_configured'
        end as ineligible_reason

    from leveled
    left join descriptors
        on descriptors.descriptor_set = leveled.descriptor_set
        and descriptors.descriptor = leveled.performance_level

),

final as (

    select
        student_key,
        vendor_student_id,
        school_id,
        school_year,
        window_name,
        assessment_date,
        assessment_time,
        enrolled_grade,
        instructional_grade,
        subject,
        measure_id,
        scale_score,
        percentile,
        performance_level,
        performance_level_rank,
        expectation,
        is_proficient,
        ineligible_reason,
        source_file,
        source_row,
        ingested_at

    from described

)

select * from final
