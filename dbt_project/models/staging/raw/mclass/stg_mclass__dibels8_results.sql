{{ stage_assessment_results(source('raw', 'mclass_dibels8_results')) }}
