with

source as (

    select * from {{ source('config', 'roi_norms') }}

),

renamed as (

    select
        measure_id,
        cast(grade_level as integer) as grade_level,
        cast(expected_weekly_roi as {{ type_double() }}) as expected_weekly_roi,
        cast(ambitious_weekly_roi as {{ type_double() }}) as ambitious_weekly_roi,
        source as norm_source

    from source

)

select * from renamed
