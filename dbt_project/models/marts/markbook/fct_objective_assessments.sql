with

entries as (

    select * from {{ ref('int_markbook__descriptors_matched') }}
    where exclusion_reason is null

),

latest as (

    select
        entries.*,
        row_number() over (
            partition by student_key, subject, objective_id, school_year
            order by assessment_date desc
        ) = 1 as is_latest_for_objective

    from entries

),

final as (

    select
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(objective_id as {{ dbt.type_string() }}) as objective_id,
        cast(objective_description as {{ dbt.type_string() }}) as objective_description,
        cast(descriptor_set as {{ dbt.type_string() }}) as descriptor_set,
        cast(descriptor as {{ dbt.type_string() }}) as descriptor,
        cast(descriptor_value as {{ type_double() }}) as descriptor_value,
        cast(descriptor_rank as integer) as descriptor_rank,
        cast(is_secured as boolean) as is_secured,
        cast(assessment_date as date) as assessment_date,
        cast(teacher_staff_id as {{ dbt.type_string() }}) as teacher_id,
        cast(is_latest_for_objective as boolean) as is_latest_for_objective,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as bigint) as source_row

    from latest

)

select * from final
