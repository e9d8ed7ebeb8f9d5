with

results as (

    select * from {{ ref('fct_assessment_results') }}

),

enrollments as (

    select * from {{ ref('int_roster__enrollments_dated') }}

),

windows as (

    select * from {{ ref('stg_config__assessment_windows') }}

),

district as (

    select * from {{ ref('stg_config__district') }}

),

student_groups as (

    select * from {{ ref('int_roster__student_groups_listed') }}

),

-- each student's last result of the window, when it has a performance level
tested as (

    select
        school_id,
        school_year,
        window_name,
        enrolled_grade as grade_level,
        subject,
        measure_id,
        student_key,
        scale_score,
        expectation,
        is_proficient

    from results
    where is_latest_in_window
        and performance_level is not null
        and school_id is not null
        and enrolled_grade is not null

),

tested_counts as (

    select
        tested.school_id,
        tested.school_year,
        tested.window_name,
        tested.grade_level,
        tested.measure_id,
        student_groups.student_group,
        -- one row per student in a cell: is_latest_in_window keeps one result per student,
        -- measure and window, so counting rows counts students
        count(*) as n_tested,
        sum(case when tested.is_proficient then 1 else 0 end) as n_proficient,
        sum(case when tested.expectation = 'below' then 1 else 0 end) as n_below_expectation,
        sum(case when tested.expectation = 'at' then 1 else 0 end) as n_at_expectation,
        sum(case when tested.expectation = 'above' then 1 else 0 end) as n_above_expectation,
        avg(tested.scale_score) as mean_scale_score

    from tested
    inner join student_groups
        on student_groups.student_key = tested.student_key
    group by
        tested.school_id,
        tested.school_year,
        tested.window_name,
        tested.grade_level,
        tested.measure_id,
        student_groups.student_group

),

-- students on the school's roster in that grade at any time during the window
enrolled as (

    select distinct
        enrollments.school_id,
        windows.school_year,
        windows.window_name,
        enrollments.grade_level,
        enrollments.student_key

    from enrollments
    inner join windows
        on windows.school_year = enrollments.school_year
        and coalesce(enrollments.begin_date, windows.start_date) <= windows.end_date
        and coalesce(enrollments.end_date, windows.end_date) >= windows.start_date
    where enrollments.school_id is not null
        and enrollments.grade_level is not null

),

enrolled_counts as (

    select
        enrolled.school_id,
        enrolled.school_year,
        enrolled.window_name,
        enrolled.grade_level,
        student_groups.student_group,
        count(*) as n_students

    from enrolled
    inner join student_groups
        on student_groups.student_key = enrolled.student_key
    group by
        enrolled.school_id,
        enrolled.school_year,
        enrolled.window_name,
        enrolled.grade_level,
        student_groups.student_group

),

tested_cells as (

    select distinct
        school_id,
        school_year,
        window_name,
        grade_level,
        subject,
        measure_id

    from tested

),

-- every tested cell with every student group of the district
spine as (

    {{ every_student_group('tested_cells') }}

),

counted as (

    select
        spine.school_id,
        spine.school_year,
        spine.window_name,
        spine.grade_level,
        spine.subject,
        spine.measure_id,
        spine.student_group,
        spine.group_family,
        spine.group_kind,
        coalesce(enrolled_counts.n_students, 0) as n_students,
        coalesce(tested_counts.n_tested, 0) as n_tested,
        coalesce(tested_counts.n_proficient, 0) as n_proficient,
        coalesce(tested_counts.n_below_expectation, 0) as n_below_expectation,
        coalesce(tested_counts.n_at_expectation, 0) as n_at_expectation,
        coalesce(tested_counts.n_above_expectation, 0) as n_above_expectation,
        tested_counts.mean_scale_score

    from spine
    left join tested_counts
        on tested_counts.school_id = spine.school_id
        and tested_counts.school_year = spine.school_year
        and tested_counts.window_name = spine.window_name
        and tested_counts.grade_level = spine.grade_level
        and tested_counts.measure_id = spine.measure_id
        and tested_counts.student_group = spine.student_group
    left join enrolled_counts
        on enrolled_counts.school_id = spine.school_id
        and enrolled_counts.school_year = spine.school_year
        and enrolled_counts.window_name = spine.window_name
        and enrolled_counts.grade_level = spine.grade_level
        and enrolled_counts.student_group = spine.student_group

),

-- small cells, and the cells that subtraction from 'all' would give back
{{ suppress_small_cells(
    'counted',
    ['school_id', 'school_year', 'window_name', 'grade_level', 'measure_id'],
    'n_tested'
) }},

final as (

    select
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(window_name as {{ dbt.type_string() }}) as window_name,
        cast(grade_level as integer) as grade_level,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(student_group as {{ dbt.type_string() }}) as student_group,
        cast(case when not is_suppressed then n_students end as integer) as n_students,
        cast(case when not is_suppressed then n_tested end as integer) as n_tested,
        cast(case when not is_suppressed then n_proficient end as integer) as n_proficient,
        {%- for count_column, pct_column in [
            ('n_proficient', 'pct_proficient'),
            ('n_below_expectation', 'pct_below_expectation'),
            ('n_at_expectation', 'pct_at_expectation'),
            ('n_above_expectation', 'pct_above_expectation'),
        ] %}
        case
            when not is_suppressed and n_tested > 0
                then cast({{ round_double(
                    '100.0 * cast(' ~ count_column ~ ' as ' ~ type_double() ~ ') / n_tested', 1
                ) }} as {{ type_double() }})
        end as {{ pct_column }},
        {%- endfor %}
        case
            when not is_suppressed
                then cast({{ round_double('mean_scale_score', 1) }} as {{ type_double() }})
        end as mean_scale_score,
        cast(is_suppressed as boolean) as is_suppressed

    from suppressed

)

select * from final
