with

schools as (

    select * from {{ ref('stg_oneroster__orgs') }}
    where org_type = 'school'

),

classes as (

    select * from {{ ref('stg_oneroster__classes') }}

),

class_grades as (

    select
        school_sourced_id,
        min(grade_level) as lowest_grade,
        max(grade_level) as highest_grade

    from classes
    where grade_level is not null
    group by school_sourced_id

),

joined as (

    select
        schools.org_identifier as school_id,
        schools.org_name as school_name,
        case
            when class_grades.lowest_grade is null then null
            when class_grades.lowest_grade = class_grades.highest_grade
                then {{ grade_label('class_grades.lowest_grade') }}
            else {{ dbt.concat([
                grade_label('class_grades.lowest_grade'),
                "'-'",
                grade_label('class_grades.highest_grade'),
            ]) }}
        end as grade_span,
        schools.org_sourced_id as school_sourced_id

    from schools
    left join class_grades
        on class_grades.school_sourced_id = schools.org_sourced_id

),

final as (

    select
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_name as {{ dbt.type_string() }}) as school_name,
        cast(grade_span as {{ dbt.type_string() }}) as grade_span,
        cast(school_sourced_id as {{ dbt.type_string() }}) as school_sourced_id

    from joined

)

select * from final
