-- Where each formula's appropriation goes: reservations, schools, unallocated.
select
    fiscal_year,
    method,
    line_type,
    line_name,
    amount,
    appropriation
from agg_funding_lines
