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
            when not leveled.is_measure_configured then 'measure_not_configured'
        end as ineligible_reason

    from leveled
    left join descriptors
        on descriptors.descriptor_set = leveled.descriptor_set
        and descriptors.descriptor = leveled.performance_level

),

-- one administration per student, measure and day: the latest test of the day counts. A row that
-- repeats the counted one exactly (a re-sent or cumulative file) is a duplicate delivery; any other
-- row of that day is a superseded retest.
administration_ranked as (

    select
        described.*,
        row_number() over administration as administration_rank,
        first_value(scale_score) over administration is not distinct from scale_score
            and first_value(percentile) over administration is not distinct from percentile
            and first_value(assessment_time) over administration is not distinct from assessment_time
            and first_value(source_format) over administration = source_format
            as repeats_counted_row

    from described
    window administration as (
        partition by ineligible_reason is null, student_key, measure_id, assessment_date
        order by
            assessment_time desc nulls last,
            ingested_at desc,
            source_row desc
    )

),

final as (

    select
        student_key,
        student_match,
        vendor_student_id,
        state_student_id,
        school_id,
        school_ref,
        school_year,
        window_name,
        assessment_date,
        assessment_time,
        enrolled_grade,
        instructional_grade,
        subject,
        measure_id,
        scale_score,
        standard_error,
        percentile,
        level_basis_value,
        performance_level,
        performance_level_rank,
        expectation,
        is_proficient,
        coalesce(
            ineligible_reason,
            case
                when administration_rank > 1 and repeats_counted_row then 'duplicate_delivery'
                when administration_rank > 1 then 'same_day_retest_superseded'
            end
        ) as exclusion_reason,
        source_format,
        source_file,
        source_row,
        file_sha256,
        ingested_at

    from administration_ranked

)

select * from final
