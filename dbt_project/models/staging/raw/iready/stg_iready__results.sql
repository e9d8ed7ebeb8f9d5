{{ stage_assessment_results(source('raw', 'iready_results')) }}
