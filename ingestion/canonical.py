"""The one long shape every assessment reader ends in, and the lineage every raw row carries."""

LINEAGE_COLUMNS: dict[str, str] = {
    "source_file": "VARCHAR",
    "source_row": "BIGINT",
    "file_sha256": "VARCHAR",
    "ingested_at": "TIMESTAMP",
}

# Canonical long result shape: one row per student, measure and administration.
RESULT_COLUMNS: dict[str, str] = {
    "source_format": "VARCHAR",
    "vendor_student_id": "VARCHAR",
    "state_student_id": "VARCHAR",
    "school_ref": "VARCHAR",
    "school_name": "VARCHAR",
    "measure_id": "VARCHAR",
    "assessment_date": "DATE",
    "assessment_time": "TIME",
    "reported_period": "VARCHAR",
    "enrolled_grade": "INTEGER",
    "assessed_grade": "INTEGER",
    "scale_score": "DOUBLE",
    "standard_error": "DOUBLE",
    "percentile": "DOUBLE",
    "vendor_level": "VARCHAR",
    # the school year the file states for the result (spring year), when it states one
    "reported_school_year": "INTEGER",
    # vendor growth targets for the year (typical and stretch), where the export carries them
    "typical_growth": "DOUBLE",
    "stretch_growth": "DOUBLE",
    # progress-monitoring probes: what the score counts, and the goal set for the student
    "score_metric": "VARCHAR",
    "goal_score": "DOUBLE",
    "goal_date": "DATE",
}

# One row per file content (file_sha256): a file seen again, under any name, is not loaded again.
MANIFEST_DDL = """
create table if not exists raw.file_manifest (
    file_sha256 varchar,
    source_file varchar,
    file_format varchar,
    file_size_bytes bigint,
    rows_read bigint,
    rows_loaded bigint,
    rows_rejected bigint,
    status varchar,
    reason varchar,
    ingested_at timestamp
)
"""

# One row per rejected (source_file, source_row, column_name, reason_code); a file rejected whole
# has one row with source_row NULL.
REJECTED_ROWS_DDL = """
create table if not exists raw.rejected_rows (
    source_file varchar,
    source_row bigint,
    file_sha256 varchar,
    column_name varchar,
    reason_code varchar,
    message varchar,
    raw_record varchar,
    ingested_at timestamp
)
"""


# Columns of a layout's declared schema that a file lacks, or has and the layout does not declare:
# one row per file and column, on every ingest (a dry run included).
SCHEMA_DRIFT_DDL = """
create table if not exists raw.schema_drift (
    source_file varchar,
    file_sha256 varchar,
    file_format varchar,
    column_name varchar,
    change varchar,
    ingested_at timestamp
)
"""

# A corrected re-export retires the earlier delivery of the same file: the older rows stay in raw
# (nothing is deleted) but no longer count.
SUPERSEDED_FILES_DDL = """
create table if not exists raw.superseded_files (
    file_sha256 varchar,
    source_file varchar,
    superseded_by_sha256 varchar,
    superseded_by_file varchar,
    superseded_at timestamp
)
"""


def results_table_ddl(table: str) -> str:
    columns = {**RESULT_COLUMNS, **LINEAGE_COLUMNS}
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
    return f"create table if not exists raw.{table} (\n    {body}\n)"
