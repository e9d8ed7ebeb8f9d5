select
    school_year,
    window_name,
    window_order,
    start_date,
    end_date
from dim_assessment_windows
