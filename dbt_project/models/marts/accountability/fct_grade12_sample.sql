with

ranked as (

    select * from {{ ref('int_grade12__populations_ranked') }}

),

sized as (

    select * from {{ ref('int_grade12__strata_sized') }}

),

joined as (

    select
        ranked.school_id,
        ranked.school_year,
        ranked.window_name,
        ranked.grade_level,
        ranked.subject,
        ranked.measure_id,
        ranked.student_key,
        ranked.sample_order,
        ranked.sample_order > sized.stratum_sample_n as is_replacement,
        ranked.stratum,
        case
            when ranked.sample_order <= sized.stratum_sample_n
                then cast(sized.stratum_population_n as {{ type_double() }}) / sized.stratum_sample_n
        end as design_weight,
        ranked.draw_date

    from ranked
    inner join sized
        on sized.school_year = ranked.school_year
        and sized.window_name = ranked.window_name
        and sized.school_id = ranked.school_id
        and sized.grade_level = ranked.grade_level
        and sized.subject = ranked.subject
        and sized.stratum = ranked.stratum

),

final as (

    select
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_year as integer) as school_year,
        cast(window_name as {{ dbt.type_string() }}) as window_name,
        cast(grade_level as integer) as grade_level,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(measure_id as {{ dbt.type_string() }}) as measure_id,
        cast(student_key as {{ dbt.type_string() }}) as student_key,
        cast(sample_order as integer) as sample_order,
        cast(is_replacement as boolean) as is_replacement,
        cast(stratum as {{ dbt.type_string() }}) as stratum,
        cast(design_weight as {{ type_double() }}) as design_weight,
        cast(draw_date as date) as draw_date

    from joined

)

select * from final
