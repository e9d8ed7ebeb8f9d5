-- Every formula's lines add up to its appropriation, and its 'schools' line to the sum of the
-- schools' allocations, to the cent. Returns the (method, fiscal_year) that do not.
with

lines as (

    select
        method,
        fiscal_year,
        sum(amount) as total,
        max(appropriation) as appropriation,
        sum(case when line_type = 'schools' then amount else 0 end) as schools_line

    from {{ ref('agg_funding_lines') }}
    group by method, fiscal_year

),

schools as (

    select method, fiscal_year, sum(allocation) as allocated
    from {{ ref('fct_school_funding') }}
    group by method, fiscal_year

)

select lines.*, schools.allocated
from lines
left join schools
    on schools.method = lines.method
    and schools.fiscal_year = lines.fiscal_year
where (lines.appropriation is not null and lines.total <> lines.appropriation)
    or lines.schools_line <> coalesce(schools.allocated, 0)
