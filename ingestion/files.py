"""Landing files: content hash, containers (ZIP, XLSX), text encodings and header sniffing.

A landing folder may hold CSV, tab-separated text, XLSX workbooks and ZIP archives of any of
these. Text may be UTF-8 (with or without a byte-order mark), UTF-16 (Excel's "Unicode text")
or Windows-1252. Every member of an archive is a landing file of its own, named
`<archive path>/<member path>`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import tempfile
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
DATA_SUFFIXES = TEXT_SUFFIXES | {".xlsx", ".zip"}
_CHUNK = 1 << 24


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str
    size_bytes: int
    sha256: str
    # Set when the file cannot be opened at all (an unreadable archive): it is rejected whole.
    problem: tuple[str, str] | None = None


@dataclass(frozen=True)
class TextLayout:
    """How a landing file's table is read: container kind, encoding and delimiter, and its header."""

    kind: str  # text | xlsx
    encoding: str
    delimiter: str
    header: list[str]
    ends_with_newline: bool = True


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def landing_paths(landing_dir: Path) -> list[Path]:
    """Every visible file under the landing folder, in a stable order."""
    return sorted(
        p for p in landing_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(landing_dir).parts)
    )


def _landing_file(path: Path, relative: str, digest: str) -> LandingFile:
    return LandingFile(path=path, relative_path=relative, size_bytes=path.stat().st_size, sha256=digest)


def _zip_members(archive: LandingFile, workdir: Path) -> list[LandingFile]:
    """The data members of an archive, extracted under `workdir`; an unreadable archive is one
    landing file with a problem."""
    try:
        with zipfile.ZipFile(archive.path) as zipped:
            members = [
                info for info in zipped.infolist()
                if not info.is_dir()
                and not any(part.startswith((".", "__MACOSX")) for part in PurePosixPath(info.filename).parts)
            ]
            target = workdir / hashlib.sha256(archive.relative_path.encode()).hexdigest()[:16]
            out = []
            for info in sorted(members, key=lambda m: m.filename):
                extracted = Path(zipped.extract(info, target))
                relative = f"{archive.relative_path}/{info.filename}"
                out.append(_landing_file(extracted, relative, file_sha256(extracted)))
            return out
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:
        problem = ("unreadable_file", f"the archive cannot be opened ({error})")
        return [LandingFile(archive.path, archive.relative_path, archive.size_bytes, archive.sha256, problem)]


def scan_landing(landing_dir: Path) -> Iterator[LandingFile]:
    """The landing files (archive members expanded) with their content hashes, in a stable order.

    Hashing runs one file ahead on a second thread (hashlib releases the GIL), so the hash of
    the next file is ready while the current one is being loaded. Archive members are extracted
    to a temporary folder that lives while the scan does.
    """
    paths = landing_paths(landing_dir)
    with ThreadPoolExecutor(max_workers=1) as hasher, tempfile.TemporaryDirectory(prefix="spt-zip-") as workdir:
        digests = [hasher.submit(file_sha256, path) for path in paths]
        for path, digest in zip(paths, digests):
            landing_file = _landing_file(path, path.relative_to(landing_dir).as_posix(), digest.result())
            if path.suffix.lower() == ".zip":
                yield from _zip_members(landing_file, Path(workdir))
            else:
                yield landing_file


def is_supported(landing_file: LandingFile) -> bool:
    return Path(landing_file.relative_path).suffix.lower() in DATA_SUFFIXES


def _is_xlsx(path: Path) -> bool:
    if path.suffix.lower() == ".xlsx":
        return True
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-16 (byte-order mark or NUL-interleaved text), utf-8, or cp1252 when the
    bytes are not valid UTF-8."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if len(head) >= 4 and head[1::2].count(0) > len(head) // 4:
            return "utf-16-le"
        if len(head) >= 4 and head[0::2].count(0) > len(head) // 4:
            return "utf-16-be"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """The first worksheet's header and rows as text, with each row's sheet row number.

    Cells are read as written (data_only=False), so a formula shows as its text and can be
    refused; blank rows are skipped.
    """
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        sheet = workbook.worksheets[0]
        header: list[str] = []
        rows: list[list[str]] = []
        numbers: list[int] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if not header:
                header = [c.strip() for c in cells]
                while header and not header[-1]:
                    header.pop()
                continue
            rows.append(cells)
            numbers.append(number)
        return header, rows, numbers
    finally:
        workbook.close()


def sniff(landing_file: LandingFile) -> TextLayout:
    """The file's container, encoding, delimiter and header ([] for an empty file)."""
    path = landing_file.path
    if _is_xlsx(path):
        header, _, _ = _xlsx_rows(path)
        return TextLayout("xlsx", "utf-8", ",", header)
    encoding = detect_encoding(path)
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
        handle.seek(max(landing_file.size_bytes - 2, 0))
        tail = handle.read()
    text = head.decode(encoding, errors="replace")
    text = text.lstrip("\ufeff")
    first_line = text.splitlines()[0] if text.strip() else ""
    ends = tail.endswith(b"\n") or tail.endswith(b"\n\x00") or tail.endswith(b"\x00\n")
    if not first_line.strip():
        return TextLayout("text", encoding, ",", [], ends)
    delimiter = max(("\t", ",", ";", "|"), key=first_line.count) if any(d in first_line for d in "\t,;|") else ","
    row = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    return TextLayout("text", encoding, delimiter, [column.strip() for column in row], ends)


def read_table(landing_file: LandingFile, layout: TextLayout, columns: list[str]) -> pa.Table:
    """The file's `columns` as text (empty string for an empty cell) plus `_source_row`, the row
    number a spreadsheet shows for the record (the header is row 1).

    Text files are parsed by Arrow's multi-threaded CSV reader, transcoding on the fly when the
    file is not UTF-8; the header already sniffed is used, so nothing is read twice.
    """
    if layout.kind == "xlsx":
        header, rows, numbers = _xlsx_rows(landing_file.path)
        position = {name: i for i, name in enumerate(header)}
        arrays = {
            c: pa.array([row[position[c]] if position[c] < len(row) else "" for row in rows], pa.string())
            for c in columns
        }
        table = pa.table(arrays) if arrays else pa.table({"_empty": pa.array([""] * len(rows))}).drop(["_empty"])
        return table.append_column("_source_row", pa.array(np.asarray(numbers, dtype=np.int64)))
    table = pacsv.read_csv(
        landing_file.path,
        read_options=pacsv.ReadOptions(
            column_names=layout.header, skip_rows=1,
            encoding="utf8" if layout.encoding in ("utf-8", "utf-8-sig") else layout.encoding,
        ),
        parse_options=pacsv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=columns,
            column_types={c: pa.string() for c in columns},
            strings_can_be_null=False,
        ),
    )
    return table.append_column("_source_row", pa.array(np.arange(2, table.num_rows + 2, dtype=np.int64)))


def count_records(landing_file: LandingFile, layout: TextLayout | None = None) -> int:
    """Data records in a file, for a file rejected whole: every one counts as rejected."""
    try:
        layout = layout or sniff(landing_file)
        if layout.kind == "xlsx":
            return len(_xlsx_rows(landing_file.path)[1])
        if not layout.header:
            return 0
        encoding = "utf8" if layout.encoding in ("utf-8", "utf-8-sig") else layout.encoding
        invalid = []

        def keep_count(row) -> str:
            invalid.append(1)
            return "skip"

        table = pacsv.read_csv(
            landing_file.path,
            read_options=pacsv.ReadOptions(
                encoding=encoding, column_names=[f"c{i}" for i in range(len(layout.header))], skip_rows=1
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=layout.delimiter, newlines_in_values=True, invalid_row_handler=keep_count
            ),
            convert_options=pacsv.ConvertOptions(include_columns=["c0"], column_types={"c0": pa.string()}),
        )
        # a record with the wrong number of fields (a cut-off last line too) is still a record read
        return table.num_rows + len(invalid)
    except Exception:  # noqa: BLE001 - counting a file already being rejected must not fail
        with open(landing_file.path, "rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)


def read_header(path: Path) -> list[str]:
    """The column names on the first line (byte-order mark removed), or [] for an empty file."""
    return sniff(LandingFile(path, path.name, path.stat().st_size, "")).header
