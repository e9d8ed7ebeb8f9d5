with

source as (

    select * from {{ source('raw', 'oneroster_orgs') }}
    {{ latest_delivery(source('raw', 'oneroster_orgs')) }}

),

renamed as (

    select
        "sourcedId" as org_sourced_id,
        "name" as org_name,
        "type" as org_type,
        "identifier" as org_identifier,
        "parentSourcedId" as parent_org_sourced_id,
        source_file,
        source_row

    from source

)

select * from renamed
