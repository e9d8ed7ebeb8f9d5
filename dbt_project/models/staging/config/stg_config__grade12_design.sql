with

source as (

    select * from {{ source('config', 'grade12_design') }}

),

renamed as (

    select
        seed,
        cast(margin_of_error as {{ type_double() }}) as margin_of_error,
        cast(confidence_level as {{ type_double() }}) as confidence_level,
        cast(z_value as {{ type_double() }}) as z_value,
        cast(expected_proportion as {{ type_double() }}) as expected_proportion,
        cast(minimum_sample as integer) as minimum_sample,
        cast(maximum_sample as integer) as maximum_sample,
        stratify_by,
        cast(same_students_for_all_subjects as boolean) as same_students_for_all_subjects,
        ci_method

    from source

)

select * from renamed
