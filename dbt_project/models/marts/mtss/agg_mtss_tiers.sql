with

tiers as (

    select * from {{ ref('fct_mtss_tiers') }}
    where school_id is not null
        and grade_level is not null

),

district as (

    select * from {{ ref('stg_config__district') }}

),

student_groups as (

    select * from {{ ref('int_roster__student_groups_listed') }}

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

-- every cell with every student group of the district
spine as (

    {{ every_student_group('cells') }}

),

counted as (

    select
        spine.school_id,
        spine.school_year,
        spine.window_name,
        spine.grade_level,
        spine.subject,
        spine.student_group,
        spine.group_family,
        spine.group_kind,
        coalesce(tier_counts.n_students, 0) as n_students,
        coalesce(tier_counts.n_tier1, 0) as n_tier1,
        coalesce(tier_counts.n_tier2, 0) as n_tier2,
        coalesce(tier_counts.n_tier3, 0) as n_tier3

    from spine
    left join tier_counts
        on tier_counts.school_id = spine.school_id
        and tier_counts.school_year = spine.school_year
        and tier_counts.window_name = spine.window_name
        and tier_counts.grade_level = spine.grade_level
        and tier_counts.subject = spine.subject
        and tier_counts.student_group = spine.student_group

),

-- small cells, and the cells that subtraction from 'all' would give back
{{ suppress_small_cells(
    'counted',
    ['school_id', 'school_year', 'window_name', 'grade_level', 'subject'],
    'n_students'
) }},

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

    from suppressed

)

select * from final
