with

source as (

    select * from {{ source('config', 'cut_scores') }}

),

renamed as (

    select
        measure_id,
        cast(grade_level as integer) as grade_level,
        window_name,
        level as performance_level,
        cast(min_score as {{ type_double() }}) as min_score,
        cast(max_score as {{ type_double() }}) as max_score,
        source as cut_score_source

    from source

)

select * from renamed
