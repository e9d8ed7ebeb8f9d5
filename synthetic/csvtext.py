"""CSV text built column by column with Arrow string kernels, so that a file of millions of
rows is written without a Python loop over rows.

A column is either an Arrow string array (one value per row) or a plain `str` (the same
value on every row). Vendors differ in quoting: NWEA quotes every value, mCLASS and
OneRoster quote only values that need it.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Column = pa.Array | str

UTF8_BOM = b"\xef\xbb\xbf"
_NEEDS_QUOTES = '[",\r\n]'
_CHUNK_ROWS = 20_000
_THREADS = 2
_TWO_DIGITS = pa.array([f"{i:02d}" for i in range(100)], pa.string())


def lookup(table: Sequence[str], codes: np.ndarray) -> pa.Array:
    """table[codes] as an Arrow string array."""
    return pa.array(list(table), pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def integers(values: np.ndarray) -> pa.Array:
    """Integers written in plain decimal."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def hundredths(values: np.ndarray) -> pa.Array:
    """Non-negative numbers given in hundredths written with two decimals: 320 -> '3.20'."""
    values = np.asarray(values, dtype=np.int64)
    return pc.binary_join_element_wise(integers(values // 100), _TWO_DIGITS.take(pa.array(values % 100)), ".")


def halves(values: np.ndarray) -> pa.Array:
    """Multiples of one half written as '11' or '11.5'."""
    doubled = np.rint(np.asarray(values, dtype=np.float64) * 2).astype(np.int64)
    whole = integers(doubled // 2)
    return pc.if_else(pa.array(doubled % 2 == 1), pc.binary_join_element_wise(whole, ".5", ""), whole)


def dates(days: np.ndarray, pattern: str) -> pa.Array:
    """datetime64[D] values formatted with a strftime pattern (formatted once per distinct day)."""
    ordinal = np.asarray(days, dtype="datetime64[D]").astype(np.int64)
    if len(ordinal) == 0:
        return pa.array([], pa.string())
    first, last = int(ordinal.min()), int(ordinal.max())
    epoch = dt.date(1970, 1, 1)
    table = [(epoch + dt.timedelta(days=d)).strftime(pattern) for d in range(first, last + 1)]
    return lookup(table, ordinal - first)


def clock_times(seconds: np.ndarray) -> pa.Array:
    """Seconds after midnight written as 'HH:MM:SS'."""
    seconds = np.asarray(seconds, dtype=np.int64)
    parts = [seconds // 3600, seconds // 60 % 60, seconds % 60]
    return pc.binary_join_element_wise(*[_TWO_DIGITS.take(pa.array(p)) for p in parts], ":")


def join(*parts: Column) -> pa.Array:
    """Concatenate columns and literals row by row."""
    return pc.binary_join_element_wise(*parts, "")


def _quote(column: pa.Array, always: bool) -> pa.Array:
    if always:
        if pc.any(pc.match_substring(column, '"')).as_py():
            column = pc.replace_substring(column, '"', '""')
        return column
    needs = pc.match_substring_regex(column, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return column
    quoted = join('"', pc.replace_substring(column, '"', '""'), '"')
    return pc.if_else(needs, quoted, column)


def _quote_literal(value: str, always: bool) -> str:
    if always or any(ch in value for ch in '",\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def header_line(columns: Sequence[str], eol: str) -> bytes:
    """A header line; vendors write column names unquoted unless a name needs quotes."""
    return (",".join(_quote_literal(c, False) for c in columns) + eol).encode("utf-8")


def write_rows(
    sink: BinaryIO,
    columns: Sequence[Column],
    n_rows: int,
    *,
    quote_all: bool,
    eol: str = "\n",
) -> None:
    """Append n_rows CSV records to sink. Array columns must hold no nulls.

    Rows are built in chunks on two threads (Arrow kernels release the GIL) and written in order.
    """
    if n_rows == 0:
        return
    if all(isinstance(c, str) for c in columns):
        raise ValueError("at least one column must vary by row")

    def build(start: int) -> pa.Array:
        length = min(_CHUNK_ROWS, n_rows - start)
        pieces: list[Column] = []
        pending = ""
        for position, column in enumerate(columns):
            separator = "," if position else ""
            if isinstance(column, str):
                pending += separator + _quote_literal(column, quote_all)
                continue
            value = _quote(column.slice(start, length), quote_all)
            if quote_all:
                pieces.extend([pending + separator + '"', value])
                pending = '"'
            else:
                pieces.extend([pending + separator, value])
                pending = ""
        pieces.append(pending + eol)
        return join(*[p for p in pieces if not (isinstance(p, str) and p == "")])

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        in_flight: deque[Future] = deque()
        for start in range(0, n_rows, _CHUNK_ROWS):
            in_flight.append(pool.submit(build, start))
            if len(in_flight) > _THREADS:
                _write_string_data(sink, in_flight.popleft().result())
        while in_flight:
            _write_string_data(sink, in_flight.popleft().result())


def _write_string_data(sink: BinaryIO, text: pa.Array) -> None:
    """Write the concatenated characters of a string array (its data buffer) in one call."""
    if text.type == pa.large_string():
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)
    else:
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)
    offsets = offsets[text.offset : text.offset + len(text) + 1]
    data = text.buffers()[2]
    sink.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
