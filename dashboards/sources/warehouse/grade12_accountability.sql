-- Grade 1-2 accountability estimated from a random sample per school, grade, subject and
-- window; district rows (aggregation_level 'district') have no school. Suppressed cells carry
-- no estimate.
select
    a.aggregation_level,
    a.school_id,
    coalesce(s.school_name, 'District') as school_name,
    a.school_year,
    a.window_name,
    a.grade_level,
    a.subject,
    a.population_n,
    a.sample_n,
    a.assessed_n,
    a.missing_n,
    a.estimate,
    a.standard_error,
    a.ci_lower,
    a.ci_upper,
    a.confidence_level,
    a.ci_method,
    a.mean_scale_score,
    a.is_suppressed
from agg_grade12_accountability as a
left join dim_schools as s
    on s.school_id = a.school_id
