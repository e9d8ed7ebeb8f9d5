{{ stage_assessment_results(source('raw', 'acadience_results')) }}
