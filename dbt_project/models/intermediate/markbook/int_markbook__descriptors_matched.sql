-- Every staged markbook entry matched to its own descriptor set (config/descriptor_sets.csv), with
-- the student's student_key, the school year and the reason the entry does not count, if any.
with

entries as (

    select * from {{ ref('stg_school__markbook') }}

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

calendar_days as (

    select * from {{ ref('stg_config__calendar_days') }}

),

descriptors as (

    select * from {{ ref('stg_config__descriptor_sets') }}

),

descriptor_sets as (

    select distinct descriptor_set
    from descriptors

),

-- the file's student_id is the district local ID; an ID that names more than one roster student
-- resolves to none (never to a guess)
local_ids as (

    select
        local_student_id,
        min(student_key) as student_key

    from students
    where local_student_id is not null
    group by local_student_id
    having count(*) = 1

),

-- teachers type descriptors by hand: the match ignores case and surrounding spaces
matched as (

    select
        entries.*,
        local_ids.student_key,
        calendar_days.school_year,
        descriptor_sets.descriptor_set is not null as is_set_configured,
        descriptors.descriptor as configured_descriptor,
        descriptors.descriptor_rank,
        descriptors.numeric_value,
        descriptors.is_proficient

    from entries
    left join local_ids
        on local_ids.local_student_id = entries.local_student_id
    left join calendar_days
        on calendar_days.calendar_date = entries.assessment_date
    left join descriptor_sets
        on descriptor_sets.descriptor_set = entries.descriptor_set
    left join descriptors
        on descriptors.descriptor_set = entries.descriptor_set
        and lower(trim(descriptors.descriptor)) = lower(trim(entries.descriptor))

),

reasoned as (

    select
        matched.*,
        case
            when student_key is null then 'student_not_in_roster'
            when school_year is null then 'date_outside_calendar'
            when not is_set_configured then 'descriptor_set_not_configured'
            when configured_descriptor is null then 'descriptor_not_in_set'
        end as ineligible_reason

    from matched

),

-- the same student, objective and day entered again (e.g. in a later file) counts once: the entry
-- of the latest file (by name), last line first
ordered as (

    select
        reasoned.*,
        row_number() over (
            partition by student_key, subject, objective_id, assessment_date
            order by source_file desc, source_row desc
        ) as entry_order

    from reasoned
    where ineligible_reason is null

),

final as (

    select
        reasoned.local_student_id,
        reasoned.student_key,
        reasoned.school_id,
        reasoned.school_year,
        reasoned.subject,
        reasoned.objective_id,
        reasoned.objective_description,
        reasoned.descriptor_set,
        reasoned.descriptor as written_descriptor,
        reasoned.configured_descriptor as descriptor,
        reasoned.numeric_value as descriptor_value,
        reasoned.descriptor_rank,
        reasoned.is_proficient as is_secured,
        reasoned.assessment_date,
        reasoned.teacher_staff_id,
        coalesce(
            reasoned.ineligible_reason,
            case when ordered.entry_order > 1 then 'duplicate_entry' end
        ) as exclusion_reason,
        reasoned.source_file,
        reasoned.source_row

    from reasoned
    left join ordered
        on ordered.source_file = reasoned.source_file
        and ordered.source_row = reasoned.source_row

)

select * from final
