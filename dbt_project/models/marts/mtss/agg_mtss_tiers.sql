with

tiers as (

    select * from {{ ref('fct_mtss_tiers') }}
    where school_id is not null
        and grade_level is not null

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

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

-- one row per student in a cell: fct_mtss_tiers has one tier per student, subject and window
tier_counts as (

    select
        tiers.school_id,
        tiers.school_year,
        tiers.window_name,
        tiers.grade_level,
        tiers.subject,
        student_groups.student_group,
        count(*) as n_students,
        sum(case when tiers.tier = 1 then 1 else 0 end) as n_tier1,
        sum(case when tiers.tier = 2 then 1 else 0 end) as n_tier2,
        sum(case when tiers.tier = 3 then 1 else 0 end) as n_tier3

    from tiers
    inner join student_groups
        on student_groups.student_key = tiers.student_key
    group by
        tiers.school_id,
        tiers.school_year,
        tiers.window_name,
        tiers.grade_level,
        tiers.subject,
        student_groups.student_group

),

cells as (

    select distinct
        school_id,
        school_year,
        window_name,
        grade_level,
        subject

    from tiers

),

-- every cell gets a row for every student group of the district, so that the presence of a row
-- never tells that a small group exists at a school
group_values as (

    select distinct student_group
    from student_groups

),

spine as (

    select
        cells.*,
        group_values.student_group

    from cells
    cross join group_values

),

counted as (

    select
        spine.school_id,
        spine.school_year,
        spine.window_name,
        spine.grade_level,
        spine.subject,
        spine.student_group,
        coalesce(tier_counts.n_students, 0) as n_students,
        coalesce(tier_counts.n_tier1, 0) as n_tier1,
        coalesce(tier_counts.n_tier2, 0) as n_tier2,
        coalesce(tier_counts.n_tier3, 0) as n_tier3,
        coalesce(tier_counts.n_students, 0) < district.minimum_n as is_suppressed

    from spine
    cross join district
    left join tier_counts
        on tier_counts.school_id = spine.school_id
        and tier_counts.school_year = spine.school_year
        and tier_counts.window_name = spine.window_name
        and tier_counts.grade_level = spine.grade_level
        and tier_counts.subject = spine.subject
        and tier_counts.student_group = spine.student_group

),

-- Complementary suppression, as in agg_school_proficiency: a one-group cell (economically
-- disadvantaged, English learner, with disabilities) is hidden when fewer than the minimum of the
-- cell's students are outside the group; in a partition (race/ethnicity, gender), when one hidden
-- cell with students (or the students with no value) would be the only unknown left after
-- subtracting the shown cells from 'all', the smallest shown cell of the partition is hidden too.
all_students as (

    select
        school_id,
        school_year,
        window_name,
        grade_level,
        subject,
        n_students as all_students

    from counted
    where student_group = 'all'

),

with_family as (

    select
        counted.*,
        all_students.all_students,
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
        and all_students.subject = counted.subject

),

partitions as (

    select
        school_id,
        school_year,
        window_name,
        grade_level,
        subject,
        group_family,
        sum(case when is_suppressed and n_students > 0 then 1 else 0 end) as hidden_with_students,
        max(all_students) - sum(n_students) as students_without_value

    from with_family
    where group_family in ('race_ethnicity', 'gender')
    group by
        school_id,
        school_year,
        window_name,
        grade_level,
        subject,
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
                with_family.grade_level, with_family.subject, with_family.group_family,
                with_family.is_suppressed
            order by with_family.n_students, with_family.student_group
        ) as smallest_first

    from with_family
    left join partitions
        on partitions.school_id = with_family.school_id
        and partitions.school_year = with_family.school_year
        and partitions.window_name = with_family.window_name
        and partitions.grade_level = with_family.grade_level
        and partitions.subject = with_family.subject
        and partitions.group_family = with_family.group_family

),

protected as (

    select
        ranked.school_id,
        ranked.school_year,
        ranked.window_name,
        ranked.grade_level,
        ranked.subject,
        ranked.student_group,
        ranked.n_students,
        ranked.n_tier1,
        ranked.n_tier2,
        ranked.n_tier3,
        ranked.is_suppressed
            or coalesce(
                ranked.group_family = 'one_group'
                and ranked.all_students - ranked.n_students between 1 and district.minimum_n - 1,
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
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(grade_level as integer) as grade_level,
        cast(student_group as {{ dbt.type_string() }}) as student_group,
        cast(case when not is_suppressed then n_students end as integer) as n_students,
        cast(case when not is_suppressed then n_tier1 end as integer) as n_tier1,
        cast(case when not is_suppressed then n_tier2 end as integer) as n_tier2,
        cast(case when not is_suppressed then n_tier3 end as integer) as n_tier3,
        {%- for tier in [1, 2, 3] %}
        case
            when not is_suppressed and n_students > 0
                then cast({{ round_double(
                    '100.0 * cast(n_tier' ~ tier ~ ' as ' ~ type_double() ~ ') / n_students', 1
                ) }} as {{ type_double() }})
        end as pct_tier{{ tier }},
        {%- endfor %}
        cast(is_suppressed as boolean) as is_suppressed

    from protected

)

select * from final
