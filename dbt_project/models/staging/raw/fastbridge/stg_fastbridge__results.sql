{{ stage_assessment_results(source('raw', 'fastbridge_results')) }}
