"""pandera schemas: the published aggregate small enough to validate as a DataFrame, and every
raw table of the build database (validated in chunks by quality.raw_checks.raw_schema_checks).

The fact table is checked with SQL in the database (quality/checks.py); an aggregate such as
agg_school_proficiency fits in memory, and a declared schema states every rule a reader of
the public file relies on in one place. The raw schemas state what ingestion promises about
every row it loads, rejects or records in the file manifest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow

from ingestion.canonical import LINEAGE_COLUMNS, RESULT_COLUMNS
from ingestion.formats import FORMATS

PERCENT = [pa.Check.in_range(0, 100)]
COUNTS = ("n_students", "n_tested", "n_proficient")
SHARES = ("pct_proficient", "pct_below_expectation", "pct_at_expectation", "pct_above_expectation")


def agg_school_proficiency_schema(minimum_n: int) -> pa.DataFrameSchema:
    """Keys present, groups named as documented, percentages in 0-100, small cells hidden.

    The grain is checked with the other tables' grains in quality/checks.py.
    """
    shown = lambda df: ~df["is_suppressed"]  # noqa: E731
    return pa.DataFrameSchema(
        {
            "school_id": pa.Column(str, nullable=False),
            "school_year": pa.Column(checks=pa.Check.in_range(1990, 2100), nullable=False),
            "window_name": pa.Column(str, nullable=False),
            "grade_level": pa.Column(checks=pa.Check.in_range(-1, 12), nullable=False),
            "subject": pa.Column(str, nullable=False),
            "measure_id": pa.Column(str, nullable=False),
            "student_group": pa.Column(str, nullable=False),
            **{c: pa.Column(checks=pa.Check.ge(0), nullable=True) for c in COUNTS},
            **{c: pa.Column(checks=PERCENT, nullable=True) for c in SHARES},
            "mean_scale_score": pa.Column(nullable=True),
            "is_suppressed": pa.Column(bool, nullable=False),
        },
        checks=[
            pa.Check(
                lambda df: ~df["is_suppressed"] | df[list(COUNTS + SHARES) + ["mean_scale_score"]].isna().all(axis=1),
                name="suppressed_cells_show_no_figure",
            ),
            pa.Check(
                lambda df: ~shown(df) | (df["n_tested"] >= minimum_n),
                name=f"shown_cells_have_at_least_{minimum_n}_tested",
            ),
            pa.Check(lambda df: ~shown(df) | (df["n_proficient"] <= df["n_tested"]), name="proficient_within_tested"),
            pa.Check(
                lambda df: ~shown(df)
                | ((df["pct_below_expectation"] + df["pct_at_expectation"] + df["pct_above_expectation"] - 100).abs()
                   <= 0.2),
                name="below_at_above_add_to_100",
            ),
        ],
        strict=False,
    )


# Raw tables --------------------------------------------------------------------------------------
#
# The raw schemas validate frames read from DuckDB through Arrow with pandas ArrowDtype columns
# (quality.raw_checks.read_raw_chunks), so a column's dtype is exactly its DuckDB type: a
# source_row stored as text, or a score stored as an integer, fails the dtype rule.

ARROW_TYPES = {
    "VARCHAR": pd.ArrowDtype(pyarrow.string()),
    "BIGINT": pd.ArrowDtype(pyarrow.int64()),
    "INTEGER": pd.ArrowDtype(pyarrow.int32()),
    "DOUBLE": pd.ArrowDtype(pyarrow.float64()),
    "DATE": pd.ArrowDtype(pyarrow.date32()),
    "TIME": pd.ArrowDtype(pyarrow.time64("us")),
    "TIMESTAMP": pd.ArrowDtype(pyarrow.timestamp("us")),
}
TEXT = ARROW_TYPES["VARCHAR"]
SHA256_HEX = r"^[0-9a-f]{64}$"
GRADE_RANGE = (-1, 12)
# Codes are written by ingestion/load.py; a new code must stay snake_case to be counted by reason.
REASON_CODE = r"^[a-z][a-z0-9_]*$"
MANIFEST_STATUSES = ("loaded", "rejected")


def lineage_columns(file_rows: bool = True) -> dict[str, pa.Column]:
    """Every raw row names its file, its row in the file (the header is row 1) and when it was loaded.

    With `file_rows=False` (raw.rejected_rows) source_row may be NULL: a file rejected whole has
    one row without a row number.
    """
    return {
        "source_file": pa.Column(TEXT, pa.Check.str_length(min_value=1), nullable=False),
        "source_row": pa.Column(ARROW_TYPES["BIGINT"], pa.Check.ge(2), nullable=not file_rows),
        "file_sha256": pa.Column(TEXT, pa.Check.str_matches(SHA256_HEX), nullable=False),
        "ingested_at": pa.Column(ARROW_TYPES["TIMESTAMP"], nullable=False),
    }


def raw_results_schema(
    raw_table: str, scale_ranges: Mapping[str, tuple[float, float]] | None = None
) -> pa.DataFrameSchema:
    """The canonical long result shape (ingestion.canonical.RESULT_COLUMNS) plus lineage.

    Promises, per row: the columns have the canonical DuckDB types; the source format is one that
    loads into `raw_table`; the fields the loader rejects a row without (student ID, measure,
    date, score) are present; grades are -1 (PK) to 12; percentiles are 0-100; standard errors
    are not negative; and, for a measure in `scale_ranges` (config.measures scale_min/scale_max),
    the scale score lies within the measure's scale. A measure the district has not configured
    is not bounded here: the marts exclude it (audit_excluded_results).
    """
    formats = sorted(f.name for f in FORMATS if f.raw_table == raw_table)
    types = {name: ARROW_TYPES[sql_type] for name, sql_type in RESULT_COLUMNS.items()}
    # a layout whose result may be a level alone (a portfolio rating) needs a score or a level
    level_alone = any(not f.score_required for f in FORMATS if f.raw_table == raw_table and hasattr(f, "score_required"))
    required = {"source_format", "vendor_student_id", "measure_id", "assessment_date"} | (
        set() if level_alone else {"scale_score"}
    )
    checks: dict[str, list[pa.Check]] = {
        "source_format": [pa.Check.isin(formats)],
        "enrolled_grade": [pa.Check.in_range(*GRADE_RANGE)],
        "assessed_grade": [pa.Check.in_range(*GRADE_RANGE)],
        "percentile": [pa.Check.in_range(0, 100)],
        "standard_error": [pa.Check.ge(0)],
    }
    columns = {
        name: pa.Column(dtype, checks.get(name, []), nullable=name not in required) for name, dtype in types.items()
    }
    frame_checks = [_scores_within_scale(scale_ranges)] if scale_ranges else []
    if level_alone:
        frame_checks.append(pa.Check(
            lambda df: df["scale_score"].notna() | df["vendor_level"].notna(), name="a_score_or_a_level",
        ))
    return pa.DataFrameSchema({**columns, **lineage_columns()}, checks=frame_checks, strict=False)


def _scores_within_scale(scale_ranges: Mapping[str, tuple[float, float]]) -> pa.Check:
    lowest = {measure: low for measure, (low, _) in scale_ranges.items()}
    highest = {measure: high for measure, (_, high) in scale_ranges.items()}

    def within(df: pd.DataFrame) -> pd.Series:
        # Bounds are looked up once per distinct measure, then spread to the rows by code; a
        # missing measure has code -1, which picks the trailing NaN (no bound).
        codes, measures = pd.factorize(df["measure_id"])
        low = np.append([lowest.get(m, np.nan) for m in measures], np.nan)[codes]
        high = np.append([highest.get(m, np.nan) for m in measures], np.nan)[codes]
        score = df["scale_score"].to_numpy(dtype="float64", na_value=np.nan)
        # An unconfigured measure (no bounds) and a missing score (its own rule) pass here.
        with np.errstate(invalid="ignore"):
            outside = (score < low) | (score > high)
        return pd.Series(~outside, index=df.index)

    return pa.Check(within, name="scale_score_within_the_measure_scale", ignore_na=False)


def raw_roster_schema(raw_table: str, file_columns: Iterable[str]) -> pa.DataFrameSchema:
    """A OneRoster table as the SIS wrote it: every file column text, the columns the loader
    requires (ingestion.formats.oneroster) present and filled, plus lineage."""
    fmt = next(f for f in FORMATS if f.raw_table == raw_table)
    names = [c for c in file_columns if c not in LINEAGE_COLUMNS]
    columns = {name: pa.Column(TEXT, nullable=True) for name in names}
    columns.update({name: pa.Column(TEXT, nullable=False) for name in fmt.required_columns})
    return pa.DataFrameSchema({**columns, **lineage_columns()}, strict=False)


def file_manifest_schema() -> pa.DataFrameSchema:
    """raw.file_manifest: one line per file content; every row read is loaded or rejected.

    A file rejected whole loads nothing, and a line with rejected rows says why.
    """
    bigint = ARROW_TYPES["BIGINT"]
    counts = {
        c: pa.Column(bigint, pa.Check.ge(0), nullable=False) for c in ("rows_read", "rows_loaded", "rows_rejected")
    }
    return pa.DataFrameSchema(
        {
            "file_sha256": pa.Column(TEXT, pa.Check.str_matches(SHA256_HEX), nullable=False),
            "source_file": pa.Column(TEXT, pa.Check.str_length(min_value=1), nullable=False),
            "file_format": pa.Column(TEXT, nullable=True),
            "file_size_bytes": pa.Column(bigint, pa.Check.ge(0), nullable=False),
            **counts,
            "status": pa.Column(TEXT, pa.Check.isin(MANIFEST_STATUSES), nullable=False),
            "reason": pa.Column(TEXT, nullable=True),
            "ingested_at": pa.Column(ARROW_TYPES["TIMESTAMP"], nullable=False),
        },
        checks=[
            pa.Check(
                lambda df: (df["rows_read"] == df["rows_loaded"] + df["rows_rejected"]).fillna(False).astype(bool),
                name="rows_read_equals_loaded_plus_rejected",
                ignore_na=False,
            ),
            pa.Check(
                lambda df: ((df["status"] != "rejected") | (df["rows_loaded"] == 0)).fillna(False).astype(bool),
                name="rejected_file_loads_no_rows",
                ignore_na=False,
            ),
            pa.Check(
                lambda df: ((df["rows_rejected"] == 0) | df["reason"].notna()).fillna(False).astype(bool),
                name="rejections_have_a_reason",
                ignore_na=False,
            ),
        ],
        strict=False,
    )


def rejected_rows_schema() -> pa.DataFrameSchema:
    """raw.rejected_rows: every rejection names its file, a reason code and a message for people.

    A row-level rejection (source_row set) also names the column at fault.
    """
    return pa.DataFrameSchema(
        {
            **lineage_columns(file_rows=False),
            "column_name": pa.Column(TEXT, nullable=True),
            "reason_code": pa.Column(TEXT, pa.Check.str_matches(REASON_CODE), nullable=False),
            "message": pa.Column(TEXT, pa.Check.str_length(min_value=1), nullable=False),
            "raw_record": pa.Column(TEXT, nullable=True),
        },
        checks=[
            pa.Check(
                lambda df: (df["source_row"].isna() | df["column_name"].notna()).astype(bool),
                name="row_rejection_names_its_column",
                ignore_na=False,
            )
        ],
        strict=False,
    )
