with

source as (

    select * from {{ source('config', 'funding_counts') }}

),

renamed as (

    select
        school_id,
        cast(school_year as integer) as school_year,
        cast(enrollment as integer) as supplied_enrollment,
        cast(low_income_public as integer) as supplied_low_income_public,
        cast(direct_certification as integer) as direct_certification,
        cast(low_income_private as integer) as low_income_private

    from source

)

select * from renamed
