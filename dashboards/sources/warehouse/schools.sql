select
    school_id,
    school_name,
    grade_span
from dim_schools
