{#- roles.csv is new in OneRoster 1.2. Until a 1.2 delivery arrives there is no raw table, and
    this view has its columns and no rows; a column the delivered file lacks is NULL. -#}
{%- set relation = source('raw', 'oneroster_roles') -%}
{%- set present = [] -%}
{%- if execute and adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do present.append(column.name) -%}
    {%- endfor -%}
{%- endif -%}
{%- set file_column = {} -%}
{%- for name in ['sourcedId', 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'] -%}
    {%- do file_column.update({name: adapter.quote(name) if name in present else 'cast(null as ' ~ dbt.type_string() ~ ')'}) -%}
{%- endfor -%}

with

source as (

    {% if present -%}
    select * from {{ relation }}
    {{ latest_delivery(relation) }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as bigint) as source_row
    where false
    {%- endif %}

),

renamed as (

    select
        {{ file_column['sourcedId'] }} as role_sourced_id,
        {{ file_column['userSourcedId'] }} as user_sourced_id,
        {{ file_column['roleType'] }} as role_type,
        {{ file_column['role'] }} as user_role,
        cast({{ file_column['beginDate'] }} as date) as begin_date,
        cast({{ file_column['endDate'] }} as date) as end_date,
        {{ file_column['orgSourcedId'] }} as org_sourced_id,
        {{ file_column['userProfileSourcedId'] }} as user_profile_sourced_id,
        source_file,
        source_row

    from source

)

select * from renamed
