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


def results_table_ddl(table: str) -> str:
    columns = {**RESULT_COLUMNS, **LINEAGE_COLUMNS}
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
    return f"create table if not exists raw.{table} (\n    {body}\n)"
