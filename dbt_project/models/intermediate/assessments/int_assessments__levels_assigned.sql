with

placed as (

    select * from {{ ref('int_assessments__placed') }}

),

measures as (

    select * from {{ ref('stg_config__measures') }}

),

cut_scores as (

    select
        cut_scores.*,
        max(min_score) over (
            partition by measure_id, grade_level, window_name
        ) as top_band_min_score

    from {{ ref('stg_config__cut_scores') }} as cut_scores

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

-- the band whose min_score is the greatest one <= the value
banded as (

    select
        valued.*,
        cut_scores.performance_level as band_level,
        cut_scores.max_score as band_max_score,
        cut_scores.min_score = cut_scores.top_band_min_score as is_top_band,
        row_number() over (
            partition by valued.source_file, valued.source_row, valued.measure_id
            order by cut_scores.min_score desc
        ) as band_rank

    from valued
    left join cut_scores
        on cut_scores.measure_id = valued.measure_id
        and cut_scores.grade_level = valued.instructional_grade
        and cut_scores.window_name = valued.window_name
        and cut_scores.min_score <= valued.level_basis_value

),

leveled as (

    select
        banded.*,
        -- max_score bounds only the top band: a value above it is off the scale, no level
        case
            when is_top_band and level_basis_value > band_max_score then null
            else band_level
        end as performance_level

    from banded
    where band_rank = 1

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

-- the same record delivered again (a re-sent or cumulative file) counts once: keep the latest delivery
delivery_ranked as (

    select
        described.*,
        row_number() over (
            partition by
                ineligible_reason,
                source_format,
                vendor_student_id,
                state_student_id,
                school_ref,
                school_name,
                measure_id,
                assessment_date,
                assessment_time,
                reported_period,
                file_enrolled_grade,
                assessed_grade,
                scale_score,
                standard_error,
                percentile,
                vendor_level
            order by ingested_at desc, source_file desc, source_row desc
        ) as delivery_rank

    from described

),

-- one administration per student, measure and day: the latest test of the day counts
administration_ranked as (

    select
        delivery_ranked.*,
        row_number() over (
            partition by
                ineligible_reason is null and delivery_rank = 1,
                student_key,
                measure_id,
                assessment_date
            order by
                assessment_time desc nulls last,
                ingested_at desc,
                source_row desc,
                source_file desc
        ) as administration_rank

    from delivery_ranked

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
                when delivery_rank > 1 then 'duplicate_delivery'
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
