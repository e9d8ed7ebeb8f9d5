{{ stage_assessment_results(source('raw', 'progress_monitoring_results')) }}
