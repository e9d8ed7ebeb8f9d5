with

measures as (

    select * from {{ ref('stg_config__measures') }}

),

final as (

    select
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(vendor as {{ dbt.type_string() }}) as vendor,
        cast(assessment_name as {{ dbt.type_string() }}) as assessment_name,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(score_type as {{ dbt.type_string() }}) as score_type,
        cast(scale_min as {{ type_double() }}) as scale_min,
        cast(scale_max as {{ type_double() }}) as scale_max,
        cast(is_primary as boolean) as is_primary,
        cast(level_basis as {{ dbt.type_string() }}) as level_basis,
        cast(descriptor_set as {{ dbt.type_string() }}) as descriptor_set

    from measures

)

select * from final
