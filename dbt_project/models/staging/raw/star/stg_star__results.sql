{{ stage_assessment_results(source('raw', 'star_results')) }}
