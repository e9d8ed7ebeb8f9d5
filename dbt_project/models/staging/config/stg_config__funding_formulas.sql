with

source as (

    select * from {{ source('config', 'funding_formulas') }}

),

renamed as (

    select
        cast(formula_position as integer) as formula_position,
        formula_name,
        method,
        formula_json

    from source

)

select * from renamed
