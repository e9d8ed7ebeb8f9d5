with

source as (

    select * from {{ source('config', 'measures') }}

),

renamed as (

    select
        measure_id,
        vendor,
        assessment_name,
        subject,
        score_type,
        cast(scale_min as {{ type_double() }}) as scale_min,
        cast(scale_max as {{ type_double() }}) as scale_max,
        cast(is_primary as boolean) as is_primary,
        level_basis,
        descriptor_set

    from source

)

select * from renamed
