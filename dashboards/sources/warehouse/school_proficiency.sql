-- One row per school, school year, window, grade, measure and student group, with the
-- school's name and the measure's description. Suppressed cells (is_suppressed) carry
-- no counts, percentages or means.
select
    p.school_id,
    coalesce(s.school_name, p.school_id) as school_name,
    p.school_year,
    p.window_name,
    p.grade_level,
    p.subject,
    p.measure_id,
    m.assessment_name,
    coalesce(m.is_primary, false) as is_primary,
    p.student_group,
    p.n_students,
    p.n_tested,
    p.n_proficient,
    p.pct_proficient,
    p.pct_below_expectation,
    p.pct_at_expectation,
    p.pct_above_expectation,
    p.mean_scale_score,
    p.is_suppressed
from agg_school_proficiency as p
left join dim_schools as s
    on s.school_id = p.school_id
left join dim_measures as m
    on m.measure_id = p.measure_id
