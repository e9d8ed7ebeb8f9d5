{{ stage_assessment_results(source('raw', 'aimsweb_results')) }}
