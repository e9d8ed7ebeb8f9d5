-- Students moving between performance levels of the primary measure of each subject, counted per
-- school, year, grade, span and student group, with a zero for every transition nobody made.
with

scores as (

    select * from {{ ref('int_growth__window_scores_selected') }}
    where performance_level is not null

),

spans as (

    select * from {{ ref('stg_config__growth_spans') }}
    where span_use = 'progress_matrix'

),

matrix_measures as (

    select * from {{ ref('stg_config__growth_measures') }}
    where purpose = 'progress_matrix'

),

student_groups as (

    select * from {{ ref('int_roster__student_groups_listed') }}

),

levels as (

    select
        measures.measure_id,
        descriptors.descriptor as performance_level,
        descriptors.descriptor_rank as performance_level_rank

    from {{ ref('stg_config__measures') }} as measures
    inner join {{ ref('stg_config__descriptor_sets') }} as descriptors
        on descriptors.descriptor_set = measures.descriptor_set
    inner join matrix_measures
        on matrix_measures.measure_id = measures.measure_id

),

-- the school and enrolled grade of the end result, as in fct_student_growth
transitions as (

    select
        ends.student_key,
        ends.school_id,
        ends.school_year,
        ends.subject,
        ends.measure_id,
        ends.enrolled_grade as grade_level,
        spans.from_window,
        spans.to_window,
        starts.performance_level as from_level,
        ends.performance_level as to_level

    from spans
    inner join scores as ends
        on ends.window_name = spans.to_window
    inner join matrix_measures
        on matrix_measures.measure_id = ends.measure_id
    inner join scores as starts
        on starts.student_key = ends.student_key
        and starts.measure_id = ends.measure_id
        and starts.window_name = spans.from_window
        and starts.school_year = ends.school_year - case when spans.is_prior_year then 1 else 0 end
    where ends.school_id is not null
        and ends.enrolled_grade is not null

),

grouped as (

    select
        transitions.school_id,
        transitions.school_year,
        transitions.measure_id,
        transitions.grade_level,
        transitions.from_window,
        transitions.to_window,
        student_groups.student_group,
        transitions.from_level,
        transitions.to_level,
        count(*) as n_students

    from transitions
    inner join student_groups
        on student_groups.student_key = transitions.student_key
    group by
        transitions.school_id,
        transitions.school_year,
        transitions.measure_id,
        transitions.grade_level,
        transitions.from_window,
        transitions.to_window,
        student_groups.student_group,
        transitions.from_level,
        transitions.to_level

),

-- every matrix with students, for every student group of the district and every pair of levels
matrices as (

    select distinct
        school_id,
        school_year,
        subject,
        measure_id,
        grade_level,
        from_window,
        to_window

    from transitions

),

matrix_groups as (

    {{ every_student_group('matrices') }}

),

spine as (

    select
        matrix_groups.*,
        from_levels.performance_level as from_level,
        from_levels.performance_level_rank as from_level_rank,
        to_levels.performance_level as to_level,
        to_levels.performance_level_rank as to_level_rank

    from matrix_groups
    inner join levels as from_levels
        on from_levels.measure_id = matrix_groups.measure_id
    inner join levels as to_levels
        on to_levels.measure_id = matrix_groups.measure_id

),

counted as (

    select
        spine.*,
        coalesce(grouped.n_students, 0) as n_students

    from spine
    left join grouped
        on grouped.school_id = spine.school_id
        and grouped.school_year = spine.school_year
        and grouped.measure_id = spine.measure_id
        and grouped.grade_level = spine.grade_level
        and grouped.from_window = spine.from_window
        and grouped.to_window = spine.to_window
        and grouped.student_group = spine.student_group
        and grouped.from_level = spine.from_level
        and grouped.to_level = spine.to_level

)

select * from counted
