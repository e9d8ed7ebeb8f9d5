with

allocated as (

    select * from {{ ref('int_funding__schools_allocated') }}

),

final as (

    select
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(fiscal_year as integer) as fiscal_year,
        cast(method as {{ dbt.type_string() }}) as method,
        cast(grade_span as {{ dbt.type_string() }}) as grade_span,
        cast(enrollment as integer) as enrollment,
        cast(low_income_public as integer) as low_income_public,
        cast(low_income_private as integer) as low_income_private,
        cast(english_learners as integer) as english_learners,
        cast(students_with_disabilities as integer) as students_with_disabilities,
        cast(poverty_rate as {{ type_double() }}) as poverty_rate,
        cast(poverty_rank as integer) as poverty_rank,
        cast(service_order as integer) as service_order,
        cast(eligibility_basis as {{ dbt.type_string() }}) as eligibility_basis,
        cast(is_eligible as boolean) as is_eligible,
        cast(is_served as boolean) as is_served,
        cast(per_child_amount as {{ type_double() }}) as per_child_amount,
        {{ cents_to_dollars('allocation_cents') }} as allocation,
        {{ cents_to_dollars('allocation_public_cents') }} as allocation_public,
        {{ cents_to_dollars('allocation_private_cents') }} as allocation_private,
        cast(explanation as {{ dbt.type_string() }}) as explanation

    from allocated

)

select * from final
