"""Bulk copy of the published DuckDB tables into PostgreSQL: types, binary COPY rows."""

from __future__ import annotations

import re
import time
from typing import Iterable

import duckdb
import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from .names import PostgresPublicationError, Table


# Small enough that the server starts parsing early and memory stays flat, large enough
# that per-batch overhead is negligible.
ROWS_PER_BATCH = 32_768


# ---------------------------------------------------------------------------------------
# Loading


_DUCKDB_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(39,0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "UUID": "uuid",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),(\d+)\)$")


def postgres_type(duckdb_type: str) -> str | None:
    """The PostgreSQL column type holding the same values as a DuckDB column type, or None."""
    decimal = _DECIMAL.match(duckdb_type)
    if decimal:
        return f"numeric({decimal[1]},{decimal[2]})"
    return _DUCKDB_TYPES.get(duckdb_type)


def duckdb_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[Table]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'main' order by table_name, ordinal_position",
        [catalog],
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    unsupported = []
    for table, column, data_type in rows:
        mapped = postgres_type(data_type)
        if mapped is None:
            unsupported.append(f"{catalog}.{table}.{column} ({data_type})")
        columns.setdefault(table, []).append((column, mapped))
    if unsupported:
        raise PostgresPublicationError(
            "no PostgreSQL type is mapped for column(s): " + ", ".join(unsupported)
        )
    return [Table(name, tuple(cols)) for name, cols in columns.items()]


# Column types sent in PostgreSQL's binary COPY format, as the big-endian numpy type of one
# value. Binary costs the server about a third less than CSV; a table with any other type
# (numeric, uuid, interval, ...) goes as CSV.
_BINARY_VALUES = {
    "smallint": ">i2",
    "integer": ">i4",
    "bigint": ">i8",
    "real": ">f4",
    "double precision": ">f8",
    "boolean": "u1",
    "date": ">i4",
    "timestamp": ">i8",
    "timestamptz": ">i8",
}
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
_BINARY_TRAILER = b"\xff\xff"
_PG_EPOCH_DAYS = 10_957  # 2000-01-01, PostgreSQL's epoch, in days since 1970-01-01
_PG_EPOCH_MICROSECONDS = _PG_EPOCH_DAYS * 86_400_000_000


def _sends_binary(table: Table) -> bool:
    return all(pg_type == "text" or pg_type in _BINARY_VALUES for _, pg_type in table.columns)


def _values(column: pa.Array, pg_type: str) -> np.ndarray:
    """A column's values as PostgreSQL's binary representation (nulls filled with zero)."""
    if pg_type == "boolean":
        return column.fill_null(False).to_numpy(zero_copy_only=False).astype(np.uint8)
    if pg_type == "date":
        days = column.cast(pa.int32()).fill_null(0).to_numpy()
        return (days - _PG_EPOCH_DAYS).astype(">i4")
    if pg_type in ("timestamp", "timestamptz"):
        microseconds = column.cast(pa.timestamp("us", column.type.tz)).cast(pa.int64()).fill_null(0).to_numpy()
        return (microseconds - _PG_EPOCH_MICROSECONDS).astype(">i8")
    return column.fill_null(0).to_numpy(zero_copy_only=False).astype(_BINARY_VALUES[pg_type])


def _length_and_value(values: np.ndarray) -> np.ndarray:
    """One row per value: its big-endian length (the value's width) followed by the value."""
    rows, width = len(values), values.dtype.itemsize
    fields = np.empty((rows, 4 + width), dtype=np.uint8)
    fields[:, :4] = np.frombuffer(np.array([width], ">i4").tobytes(), np.uint8)
    fields[:, 4:] = values.view(np.uint8).reshape(rows, width)
    return fields


def _per_row(fields: np.ndarray) -> pa.Array:
    """An (rows, width) byte matrix as a binary array of one value per row."""
    rows, width = fields.shape
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), rows, [None, pa.py_buffer(np.ascontiguousarray(fields))])
    return fixed.cast(pa.binary())


def _valid_values(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """A binary array holding each valid value's bytes, and nothing for nulls."""
    offsets = np.zeros(len(values) + 1, np.int32)
    np.cumsum(valid * values.dtype.itemsize, out=offsets[1:])
    data = pa.py_buffer(values[valid].tobytes())
    return pa.BinaryArray.from_buffers(pa.binary(), len(values), [None, pa.py_buffer(offsets), data])


def _binary_rows(batch: pa.RecordBatch, pg_types: tuple[str, ...]) -> pa.Buffer:
    """Render a record batch as the rows of PostgreSQL's binary COPY format, column-wise.

    Each row is a field count, then per field a length (-1 for NULL) and the value's bytes.
    Fixed-width fields and the lengths of variable ones are laid out as byte matrices;
    one join per batch then interleaves them with the variable-length values row by row.
    """
    rows = batch.num_rows
    pieces: list[pa.Array] = []
    fixed: list[np.ndarray] = [np.frombuffer(np.array([batch.num_columns], ">i2").tobytes(), np.uint8)[None, :].repeat(rows, 0)]
    for column, pg_type in zip(batch.columns, pg_types):
        valid = pc.is_valid(column).to_numpy(zero_copy_only=False) if column.null_count else None
        if pg_type == "text":
            text = column.cast(pa.binary())
            lengths = pc.binary_length(text).fill_null(-1).to_numpy(zero_copy_only=False).astype(">i4")
            tail = text.fill_null(b"") if valid is not None else text
        else:
            values = _values(column, pg_type)
            if valid is None:
                fixed.append(_length_and_value(values))
                continue
            lengths = np.where(valid, values.dtype.itemsize, -1).astype(">i4")
            tail = _valid_values(values, valid)
        fixed.append(lengths.view(np.uint8).reshape(rows, 4))
        pieces += [_per_row(np.hstack(fixed)), tail]
        fixed = []
    if fixed:
        pieces.append(_per_row(np.hstack(fixed)))
    joined = pc.binary_join_element_wise(*pieces, b"") if len(pieces) > 1 else pieces[0]
    offsets = np.frombuffer(joined.buffers()[1], np.int32, rows + 1, offset=joined.offset * 4)
    return joined.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def _csv_rows(batch: pa.RecordBatch) -> pa.Buffer:
    """Render a record batch as CSV without a header: NULL unquoted-empty, strings quoted.

    That is exactly what PostgreSQL's CSV COPY reads back: an unquoted empty field is NULL and
    a quoted empty field is the empty string.
    """
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(batch, sink, pa_csv.WriteOptions(include_header=False, batch_size=ROWS_PER_BATCH))
    return sink.getvalue()


def copy_into(cur: psycopg.Cursor, schema: str, table: Table, batches: Iterable[pa.RecordBatch]) -> int:
    """Bulk-load Arrow batches into an empty table created in this transaction; returns rows."""
    binary = _sends_binary(table)
    pg_types = tuple(pg_type for _, pg_type in table.columns)
    statement = sql.SQL("copy {}.{} ({}) from stdin with (format {}, freeze true)").format(
        sql.Identifier(schema),
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names),
        sql.SQL("binary" if binary else "csv"),
    )
    # The queued writer sends to the server from its own thread while this one renders rows.
    with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        if binary:
            copy.write(_BINARY_HEADER)
        for batch in batches:
            if batch.num_rows:
                copy.write(memoryview(_binary_rows(batch, pg_types) if binary else _csv_rows(batch)))
        if binary:
            copy.write(_BINARY_TRAILER)
    return cur.rowcount


def create_table(cur: psycopg.Cursor, schema: str, table: Table) -> None:
    cur.execute(
        sql.SQL("create table {}.{} ({})").format(
            sql.Identifier(schema),
            sql.Identifier(table.name),
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type)) for name, pg_type in table.columns
            ),
        )
    )


def load_file(
    cur: psycopg.Cursor, duck: duckdb.DuckDBPyConnection, catalog: str, tables: list[Table], schema: str
) -> tuple[dict[str, int], dict[str, float]]:
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for table in tables:
        create_table(cur, schema, table)
        started = time.perf_counter()
        reader = duck.execute(f'select * from {catalog}.main."{table.name}"').fetch_record_batch(ROWS_PER_BATCH)
        loaded = copy_into(cur, schema, table, reader)
        seconds[table.name] = time.perf_counter() - started
        expected = duck.execute(f'select count(*) from {catalog}.main."{table.name}"').fetchone()[0]
        if loaded != expected:
            raise PostgresPublicationError(f"{catalog}.{table.name}: PostgreSQL received {loaded} rows of {expected}")
        rows[table.name] = loaded
    return rows, seconds
