with

source as (

    select * from {{ source('config', 'seb_incident_patterns') }}

),

renamed as (

    select
        cast(minimum_incidents as integer) as minimum_incidents,
        cast(top_students as integer) as top_students,
        cast(top_student_share as {{ type_double() }}) as top_student_share,
        cast(specific_share as {{ type_double() }}) as specific_share

    from source

)

select * from renamed
