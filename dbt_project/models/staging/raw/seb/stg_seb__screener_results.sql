{{ stage_assessment_results(source('raw', 'seb_screener_results')) }}
