{#- OneRoster 1.1 and 1.2 users.csv share raw.oneroster_users: each delivery adds the columns it
    has, and a column no delivery has had yet is NULL here.
    A user's role and school: OneRoster 1.1 writes them in users.csv (role, orgSourcedIds);
    1.2 moves them to roles.csv, so the user's primary role is taken from there (the first
    primary line; a user with no primary role gets their first role), and the school is
    primaryOrgSourcedId, else that role's org. Which applies is decided by the layout the
    loader detected for the latest users file (raw.file_manifest.file_format), not by the
    manifest: a 1.1 users.csv delivered after a 1.2 one keeps its own roles and never reads
    the older roles.csv. -#}
{%- set relation = source('raw', 'oneroster_users') -%}
{%- set present = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do present.append(column.name) -%}
    {%- endfor -%}
{%- endif -%}
{%- set file_column = {} -%}
{%- for name in [
    'orgSourcedIds', 'role', 'userMasterIdentifier', 'preferredGivenName', 'preferredMiddleName',
    'preferredFamilyName', 'primaryOrgSourcedId', 'pronouns',
] -%}
    {%- do file_column.update({name: 'versioned.' ~ adapter.quote(name) if name in present else 'cast(null as ' ~ dbt.type_string() ~ ')'}) -%}
{%- endfor -%}

with

source as (

    select * from {{ relation }}
    {{ latest_delivery(relation) }}

),

users_file_layouts as (

    select
        file_sha256,
        max(file_format) as file_format

    from {{ source('raw', 'file_manifest') }}
    where status = 'loaded'
    group by file_sha256

),

roles as (

    select * from {{ ref('stg_oneroster__roles') }}

),

primary_roles as (

    select
        user_sourced_id,
        user_role,
        org_sourced_id

    from (
        select
            user_sourced_id,
            user_role,
            org_sourced_id,
            row_number() over (
                partition by user_sourced_id
                order by case when role_type = 'primary' then 0 else 1 end, source_row
            ) as role_rank
        from roles
    ) as ranked_roles
    where role_rank = 1

),

role_orgs as (

    select
        user_sourced_id,
        {{ dbt.listagg('org_sourced_id', "','", 'order by source_row') }} as org_sourced_ids

    from roles
    group by user_sourced_id

),

versioned as (

    select
        source.*,
        case
            when users_file_layouts.file_format = 'oneroster_users_v1p2' then '1.2' else '1.1'
        end as oneroster_version

    from source
    left join users_file_layouts
        on users_file_layouts.file_sha256 = source.file_sha256

),

renamed as (

    select
        versioned."sourcedId" as user_sourced_id,
        versioned.oneroster_version,
        {{ parse_boolean('versioned."enabledUser"') }} as is_enabled,
        case
            when versioned.oneroster_version = '1.2' then primary_roles.user_role
            else {{ file_column['role'] }}
        end as user_role,
        case
            when versioned.oneroster_version = '1.2' then role_orgs.org_sourced_ids
            else {{ file_column['orgSourcedIds'] }}
        end as org_sourced_ids,
        case
            when versioned.oneroster_version = '1.2'
                then coalesce({{ file_column['primaryOrgSourcedId'] }}, primary_roles.org_sourced_id)
            else nullif(trim({{ dbt.split_part(file_column['orgSourcedIds'], "','", 1) }}), '')
        end as primary_org_sourced_id,
        versioned."username" as username,
        versioned."userIds" as user_ids,
        versioned."givenName" as given_name,
        versioned."familyName" as family_name,
        versioned."middleName" as middle_name,
        {{ file_column['preferredGivenName'] }} as preferred_given_name,
        {{ file_column['preferredMiddleName'] }} as preferred_middle_name,
        {{ file_column['preferredFamilyName'] }} as preferred_family_name,
        {{ file_column['pronouns'] }} as pronouns,
        versioned."identifier" as user_identifier,
        {{ file_column['userMasterIdentifier'] }} as user_master_identifier,
        versioned."email" as email,
        {{ grade_code_to_integer(dbt.split_part('versioned."grades"', "','", 1)) }} as grade_level,
        versioned.source_file,
        versioned.source_row

    from versioned
    left join primary_roles
        on versioned.oneroster_version = '1.2'
        and primary_roles.user_sourced_id = versioned."sourcedId"
    left join role_orgs
        on versioned.oneroster_version = '1.2'
        and role_orgs.user_sourced_id = versioned."sourcedId"

)

select * from renamed
