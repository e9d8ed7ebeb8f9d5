-- Every staged behaviour incident row with its student_key, school year and the reason it does not
-- count, if any.
with

incidents as (

    select * from {{ ref('stg_school__incidents') }}

),

students as (

    select * from {{ ref('int_roster__students_joined') }}

),

calendar_days as (

    select * from {{ ref('stg_config__calendar_days') }}

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

placed as (

    select
        incidents.*,
        local_ids.student_key,
        calendar_days.school_year,
        -- the same student in the same incident delivered again in another file counts once: the
        -- record of the latest file (by name) wins
        row_number() over (
            partition by incidents.incident_id, incidents.local_student_id
            order by incidents.source_file desc, incidents.source_row desc
        ) as delivery_order

    from incidents
    left join local_ids
        on local_ids.local_student_id = incidents.local_student_id
    left join calendar_days
        on calendar_days.calendar_date = incidents.incident_date

),

final as (

    select
        incident_id,
        local_student_id,
        student_key,
        school_id,
        school_year,
        incident_date,
        incident_type,
        class_sourced_id,
        location,
        severity,
        case
            when student_key is null then 'student_not_in_roster'
            when school_year is null then 'date_outside_calendar'
            when delivery_order > 1 then 'duplicate_delivery'
        end as exclusion_reason,
        source_file,
        source_row

    from placed

)

select * from final
