{{ stage_assessment_results(source('raw', 'school_measure_results')) }}
