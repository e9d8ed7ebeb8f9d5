{{ stage_assessment_results(source('raw', 'nwea_map_results')) }}
