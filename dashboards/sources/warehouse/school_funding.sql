-- Each school's allocation per fiscal year and funding formula.
select
    f.school_id,
    coalesce(s.school_name, f.school_id) as school_name,
    f.fiscal_year,
    f.method,
    f.poverty_rate,
    f.is_served,
    f.allocation
from agg_school_funding as f
left join dim_schools as s
    on s.school_id = f.school_id
