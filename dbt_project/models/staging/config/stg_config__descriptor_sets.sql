with

source as (

    select * from {{ source('config', 'descriptor_sets') }}

),

renamed as (

    select
        descriptor_set,
        descriptor,
        cast(rank as integer) as descriptor_rank,
        cast(numeric_value as {{ type_double() }}) as numeric_value,
        expectation,
        cast(is_proficient as boolean) as is_proficient

    from source

)

select * from renamed
