with

source as (

    select * from {{ source('raw', 'school_goals') }}
    where file_sha256 not in (select file_sha256 from {{ source('raw', 'superseded_files') }})

),

renamed as (

    select
        goal_id,
        student_id as local_student_id,
        measure_id,
        cast(baseline_score as {{ type_double() }}) as baseline_score,
        cast(baseline_date as date) as baseline_date,
        cast(goal_score as {{ type_double() }}) as goal_score,
        cast(goal_date as date) as goal_date,
        intervention_id,
        source_file,
        source_row

    from source

)

select * from renamed
