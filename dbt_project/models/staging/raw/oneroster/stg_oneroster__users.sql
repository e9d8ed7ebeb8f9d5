with

source as (

    select * from {{ source('raw', 'oneroster_users') }}
    {{ latest_delivery() }}

),

renamed as (

    select
        "sourcedId" as user_sourced_id,
        {{ parse_boolean('"enabledUser"') }} as is_enabled,
        "orgSourcedIds" as org_sourced_ids,
        "role" as user_role,
        "username" as username,
        "userIds" as user_ids,
        "givenName" as given_name,
        "familyName" as family_name,
        "middleName" as middle_name,
        "identifier" as user_identifier,
        "email" as email,
        {{ grade_code_to_integer(dbt.split_part('"grades"', "','", 1)) }} as grade_level,
        source_file,
        source_row

    from source

)

select * from renamed
