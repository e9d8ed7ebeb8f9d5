with

results as (

    select * from {{ ref('fct_assessment_results') }}

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

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

    select student_key, 'all' as student_group
    from students

    union all

    select student_key, 'economically_disadvantaged' as student_group
    from students
    where is_economically_disadvantaged

    union all

    select student_key, 'english_learner' as student_group
    from students
    where is_english_learner

    union all

    select student_key, 'students_with_disabilities' as student_group
    from students
    where has_disability

    union all

    select student_key, {{ dbt.concat(["'race_ethnicity:'", 'race_ethnicity']) }} as student_group
    from students
    where race_ethnicity is not null

    union all

    select student_key, {{ dbt.concat(["'gender:'", 'gender']) }} as student_group
    from students
    where gender is not null

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

-- every tested cell gets a row for every student group of the district, so that the
-- presence of a row never tells that a small group exists at a school
group_values as (

    select distinct student_group
    from student_groups

),

spine as (

    select
        tested_cells.*,
        group_values.student_group

    from tested_cells
    cross join group_values

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
        coalesce(enrolled_counts.n_students, 0) as n_students,
        coalesce(tested_counts.n_tested, 0) as n_tested,
        coalesce(tested_counts.n_proficient, 0) as n_proficient,
        coalesce(tested_counts.n_below_expectation, 0) as n_below_expectation,
        coalesce(tested_counts.n_at_expectation, 0) as n_at_expectation,
        coalesce(tested_counts.n_above_expectation, 0) as n_above_expectation,
        tested_counts.mean_scale_score,
        coalesce(tested_counts.n_tested, 0) < district.minimum_n as is_suppressed

    from spine
    cross join district
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

-- Complementary suppression: a hidden cell must not be recoverable by subtraction.
-- A one-group cell (economically disadvantaged, English learner, with disabilities) is hidden
-- when the students outside the group are fewer than the minimum (all minus group would show
-- them). In a partition (race/ethnicity, gender), hidden cells with students plus the students
-- with no value (all minus the sum of the cells) must not be exactly one quantity: when they
-- are, the smallest shown cell of the partition is hidden too.
all_students as (

    select
        school_id,
        school_year,
        window_name,
        grade_level,
        measure_id,
        n_tested as all_tested

    from counted
    where student_group = 'all'

),

with_family as (

    select
        counted.*,
        all_students.all_tested,
        case
            when counted.student_group in ('economically_disadvantaged', 'english_learner', 'students_with_disabilities')
                then 'one_group'
            when counted.student_group like 'race_ethnicity:%' then 'race_ethnicity'
            when counted.student_group like 'gender:%' then 'gender'
        end as group_family

    from counted
    inner join all_students
        on all_students.school_id = counted.school_id
        and all_students.school_year = counted.school_year
        and all_students.window_name = counted.window_name
        and all_students.grade_level = counted.grade_level
        and all_students.measure_id = counted.measure_id

),

partitions as (

    select
        school_id,
        school_year,
        window_name,
        grade_level,
        measure_id,
        group_family,
        sum(case when is_suppressed and n_tested > 0 then 1 else 0 end) as hidden_with_students,
        max(all_tested) - sum(n_tested) as students_without_value

    from with_family
    where group_family in ('race_ethnicity', 'gender')
    group by
        school_id,
        school_year,
        window_name,
        grade_level,
        measure_id,
        group_family

),

ranked as (

    select
        with_family.*,
        partitions.hidden_with_students,
        partitions.students_without_value,
        row_number() over (
            partition by
                with_family.school_id, with_family.school_year, with_family.window_name,
                with_family.grade_level, with_family.measure_id, with_family.group_family,
                with_family.is_suppressed
            order by with_family.n_tested, with_family.student_group
        ) as smallest_first

    from with_family
    left join partitions
        on partitions.school_id = with_family.school_id
        and partitions.school_year = with_family.school_year
        and partitions.window_name = with_family.window_name
        and partitions.grade_level = with_family.grade_level
        and partitions.measure_id = with_family.measure_id
        and partitions.group_family = with_family.group_family

),

protected as (

    select
        ranked.school_id,
        ranked.school_year,
        ranked.window_name,
        ranked.grade_level,
        ranked.subject,
        ranked.measure_id,
        ranked.student_group,
        ranked.n_students,
        ranked.n_tested,
        ranked.n_proficient,
        ranked.n_below_expectation,
        ranked.n_at_expectation,
        ranked.n_above_expectation,
        ranked.mean_scale_score,
        ranked.is_suppressed
            or coalesce(
                ranked.group_family = 'one_group'
                and ranked.all_tested - ranked.n_tested between 1 and district.minimum_n - 1,
                false
            )
            or coalesce(
                ranked.group_family in ('race_ethnicity', 'gender')
                and not ranked.is_suppressed
                and ranked.smallest_first = 1
                and (
                    (ranked.hidden_with_students = 1 and ranked.students_without_value = 0)
                    or (ranked.hidden_with_students = 0
                        and ranked.students_without_value between 1 and district.minimum_n - 1)
                ),
                false
            ) as is_suppressed

    from ranked
    cross join district

),

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

    from protected

)

select * from final
