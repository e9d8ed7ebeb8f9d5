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
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
DATA_SUFFIXES = TEXT_SUFFIXES | {".xlsx", ".zip"}
_CHUNK = 1 << 24
# Arrow's block size when reading text: a record (the header included) must fit in one block.
READ_BLOCK_BYTES = 1 << 20
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Characters that a spreadsheet or an editor writes in a header cell but that are not part of
# a column's name: every kind of space and line separator, zero-width characters, byte-order marks.
_HEADER_SPACE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


@dataclass(frozen=True)
class ArchiveLimits:
    """How far an archive may expand before it is refused whole, without being unpacked: its
    members' total uncompressed size, the ratio of that to the archive's size, and the member
    count. The sizes are read from the archive's directory; unpacking never writes more than the
    directory declares (a member that would is refused as unreadable)."""

    max_uncompressed_bytes: int = 8 << 30
    max_ratio: float = 100.0
    max_members: int = 10_000

    def problem(self, total: int, compressed: int, members: int) -> str | None:
        if members > self.max_members:
            return f"it holds {members:,} members, more than the limit of {self.max_members:,}"
        if total > self.max_uncompressed_bytes:
            return (
                f"it unpacks to {_size(total)}, more than the limit of {_size(self.max_uncompressed_bytes)}"
            )
        if compressed and total / compressed > self.max_ratio and total > (1 << 20):
            return (
                f"it unpacks to {_size(total)} from {_size(compressed)} ({total / compressed:,.0f} times its size), "
                f"more than the limit of {self.max_ratio:,.0f} times"
            )
        return None


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str
    size_bytes: int
    sha256: str
    # Set when the file cannot be opened at all (an unreadable or refused archive, a file whose
    # content is not what its name says, an unsafe archive member): it is rejected whole.
    problem: tuple[str, str] | None = None
    # What the content is, read from its first bytes: text, xlsx or zip.
    kind: str = "text"


@dataclass(frozen=True)
class TextLayout:
    """How a landing file's table is read: container kind, encoding and delimiter, and its header."""

    kind: str  # text | xlsx
    encoding: str
    delimiter: str
    header: list[str]
    ends_with_newline: bool = True
    # set when the file cannot be read as a table at all: (reason_code, reason)
    problem: tuple[str, str] | None = None


class UnreadableFile(Exception):
    """A file that cannot be read as a table, with the reason code it is rejected under."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def landing_paths(landing_dir: Path) -> list[Path]:
    """Every visible file under the landing folder, in a stable order.

    Names starting with '.' on disk are uploads in progress (the convention of SFTP and sync
    clients) and are not read until they are renamed.
    """
    return sorted(
        p for p in landing_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(landing_dir).parts)
    )


def _landing_file(path: Path, relative: str, digest: str, kind: str = "text", problem=None) -> LandingFile:
    return LandingFile(
        path=path, relative_path=relative, size_bytes=path.stat().st_size, sha256=digest, problem=problem, kind=kind
    )


def content_kind(path: Path) -> str:
    """What a file holds, from its first bytes: zip, xlsx (a zip holding a workbook), ole2 (an
    Excel 97-2003 or password-protected workbook), pdf, or text."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as zipped:
                names = set(zipped.namelist())
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
            return "broken_zip"
        return "xlsx" if "xl/workbook.xml" in names or "[Content_Types].xml" in names and any(
            n.startswith("xl/") for n in names
        ) else "zip"
    if head.startswith(_OLE2_MAGIC):
        return "ole2"
    if head.startswith(b"%PDF"):
        return "pdf"
    return "text"


_KIND_NAMES = {
    "zip": "a ZIP archive", "xlsx": "an Excel workbook", "ole2": "an Excel 97-2003 or password-protected workbook",
    "pdf": "a PDF document", "text": "text", "broken_zip": "a damaged ZIP archive",
}


def classify(path: Path, name: str) -> tuple[str, tuple[str, str] | None]:
    """The file's kind (text, xlsx or zip) and, when it cannot be read as its name says, why.

    The content decides what a file is; a name that says otherwise (a workbook named .csv, a
    text file named .xlsx) is refused, so a file is never read as something it is not.
    """
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in DATA_SUFFIXES:
        return "text", ("unsupported_file_type", "not a CSV, tab-separated, XLSX or ZIP file")
    try:
        kind = content_kind(path)
    except OSError as error:
        return "text", ("unreadable_file", f"the file cannot be opened ({error})")
    expected = "zip" if suffix == ".zip" else "xlsx" if suffix == ".xlsx" else "text"
    if kind == expected:
        return kind, None
    if kind == "broken_zip" and expected in ("zip", "xlsx"):
        what = "archive" if expected == "zip" else "workbook"
        return expected, ("unreadable_file", f"the {what} is damaged and cannot be opened")
    if kind == "ole2" and expected == "xlsx":
        return kind, ("unsupported_file_type",
                      "an Excel 97-2003 or password-protected workbook: save it unprotected as .xlsx or as CSV")
    if expected == "zip":
        return kind, ("unreadable_file", f"the file is named {suffix} but is not a ZIP archive (it holds {_KIND_NAMES[kind]})")
    return kind, ("wrong_file_type", f"the file is named {suffix} but holds {_KIND_NAMES[kind]}; nothing was read")


def _member_problem(info: zipfile.ZipInfo) -> tuple[str, str] | None:
    """Why a member of an archive is not unpacked, or None."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return "unsafe_path", f"the member's path '{name}' points outside the archive; it was not unpacked"
    if any(part.startswith((".", "__MACOSX")) for part in parts):
        return "hidden_file", "a hidden file or folder (its name starts with '.'), or macOS metadata; not read"
    if info.flag_bits & 0x1:
        return "encrypted_file", "the member is password-protected; deliver it unencrypted"
    if PurePosixPath(name).suffix.lower() == ".zip":
        return "nested_archive", "an archive inside an archive is not unpacked; deliver its files in the outer archive"
    return None


def _member_identity(archive: LandingFile, name: str) -> str:
    """A stand-in content hash for a member that is not unpacked: its archive and name."""
    return hashlib.sha256(f"{archive.sha256}:{name}".encode()).hexdigest()


def _zip_members(archive: LandingFile, workdir: Path, limits: ArchiveLimits) -> list[LandingFile]:
    """The members of an archive, data members unpacked under `workdir`; an archive that cannot
    be opened, or that would expand beyond `limits`, is one landing file with a problem.

    Members are written under names of the project's making, never under the path the archive
    states, and read in bounded chunks; every member but a folder is listed, with a problem when
    it is not unpacked.
    """
    def refused(code: str, reason: str) -> list[LandingFile]:
        return [replace(archive, problem=(code, reason))]

    try:
        with zipfile.ZipFile(archive.path) as zipped:
            members = [info for info in zipped.infolist() if not info.is_dir()]
            if problem := limits.problem(sum(i.file_size for i in members), archive.size_bytes, len(members)):
                return refused("archive_too_large", f"the archive was not unpacked: {problem}")
            target = workdir / hashlib.sha256(archive.relative_path.encode()).hexdigest()[:16]
            target.mkdir(parents=True, exist_ok=True)
            out = []
            for number, info in enumerate(sorted(members, key=lambda m: m.filename)):
                relative = f"{archive.relative_path}/{info.filename}"
                if problem := _member_problem(info):
                    out.append(LandingFile(archive.path, relative, info.file_size,
                                           _member_identity(archive, info.filename), problem))
                    continue
                suffix = PurePosixPath(info.filename).suffix.lower()
                extracted = target / f"{number:06d}{suffix if suffix.isascii() and len(suffix) <= 6 else ''}"
                try:
                    with zipped.open(info) as source, open(extracted, "wb") as sink:
                        shutil.copyfileobj(source, sink, 1 << 20)
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
                        RuntimeError) as error:
                    extracted.unlink(missing_ok=True)
                    out.append(LandingFile(archive.path, relative, info.file_size,
                                           _member_identity(archive, info.filename),
                                           ("unreadable_file", f"the member cannot be unpacked ({error})")))
                    continue
                kind, problem = classify(extracted, info.filename)
                if kind == "zip" and problem is None:
                    problem = ("nested_archive",
                               "an archive inside an archive is not unpacked; deliver its files in the outer archive")
                if kind == "xlsx" and problem is None:
                    problem = workbook_problem(extracted, limits)
                out.append(_landing_file(extracted, relative, file_sha256(extracted), kind, problem))
            return out
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
        return refused("unreadable_file", f"the archive cannot be opened ({error})")


def workbook_problem(path: Path, limits: ArchiveLimits) -> tuple[str, str] | None:
    """A workbook is a ZIP archive of XML: one that would expand beyond the limits is refused
    before openpyxl reads it."""
    try:
        with zipfile.ZipFile(path) as zipped:
            members = zipped.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as error:
        return "unreadable_file", f"the workbook cannot be opened ({error})"
    if problem := limits.problem(sum(i.file_size for i in members), path.stat().st_size, len(members)):
        return "archive_too_large", f"the workbook was not opened: {problem}"
    return None


def scan_landing(landing_dir: Path, limits: ArchiveLimits | None = None) -> Iterator[LandingFile]:
    """The landing files (archive members expanded) with their content hashes, in a stable order.

    Hashing runs one file ahead on a second thread (hashlib releases the GIL), so the hash of
    the next file is ready while the current one is being loaded. Archive members are extracted
    to a temporary folder, readable by its owner only, that lives while the scan does.
    """
    limits = limits or ArchiveLimits()
    paths = landing_paths(landing_dir)
    with ThreadPoolExecutor(max_workers=1) as hasher, tempfile.TemporaryDirectory(prefix="spt-zip-") as workdir:
        digests = [hasher.submit(file_sha256, path) for path in paths]
        for path, digest in zip(paths, digests):
            relative = path.relative_to(landing_dir).as_posix()
            kind, problem = classify(path, relative)
            if kind == "xlsx" and problem is None:
                problem = workbook_problem(path, limits)
            landing_file = _landing_file(path, relative, digest.result(), kind, problem)
            if kind == "zip" and problem is None:
                yield from _zip_members(landing_file, Path(workdir), limits)
            else:
                yield landing_file


def is_supported(landing_file: LandingFile) -> bool:
    return Path(landing_file.relative_path).suffix.lower() in DATA_SUFFIXES


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-16 (byte-order mark or NUL-interleaved text), utf-8, or cp1252 when the
    bytes are not valid UTF-8."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        # NUL-interleaved: every other byte NUL and the others text (a run of NUL padding is not)
        if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) < len(head) // 16:
            return "utf-16-le"
        if len(head) >= 4 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) < len(head) // 16:
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


def nul_problem(path: Path, encoding: str) -> tuple[str, str] | None:
    """NUL bytes in a file that is not UTF-16: padding left by an interrupted copy or a disk
    fault, or binary content. Such a file is refused whole rather than read around."""
    if encoding.startswith("utf-16"):
        return None
    with open(path, "rb") as handle:
        offset = 0
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            at = chunk.find(b"\x00")
            if at >= 0:
                first = offset + at
                count = chunk.count(b"\x00") + sum(c.count(b"\x00") for c in iter(lambda: handle.read(_CHUNK), b""))
                return "nul_bytes", (
                    f"the file holds {count:,} NUL byte(s) from byte {first:,} on (padding left by an interrupted "
                    "copy, or not a text file); nothing was loaded"
                )
            offset += len(chunk)
    return None


def clean_header(cells: list[str]) -> list[str]:
    """Column names as written, without the spaces, line separators, zero-width characters and
    byte-order marks a spreadsheet or an editor leaves in header cells."""
    names = [_HEADER_SPACE.sub(" ", c).strip() for c in cells]
    while names and not names[-1]:
        names.pop()
    return names


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
    refused; blank rows are skipped. A workbook openpyxl cannot read raises UnreadableFile.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise UnreadableFile("unreadable_file", f"the workbook cannot be opened ({type(error).__name__}: {error})") from error
    try:
        if not workbook.worksheets:
            return [], [], []
        sheet = workbook.worksheets[0]
        header: list[str] = []
        rows: list[list[str]] = []
        numbers: list[int] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if not header:
                header = clean_header(cells)
                continue
            rows.append(cells)
            numbers.append(number)
        return header, rows, numbers
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as error:
        raise UnreadableFile("unreadable_file", f"the workbook's sheet cannot be read ({type(error).__name__}: {error})") from error
    finally:
        workbook.close()


def _first_line(path: Path, encoding: str) -> tuple[str | None, bool]:
    """The file's first line as text, split at a line feed or carriage return only (a Unicode
    line separator inside a header cell is part of the cell), and whether the file is empty.
    The line is None when no line break comes within READ_BLOCK_BYTES."""
    with open(path, "rb") as handle:
        head = handle.read(READ_BLOCK_BYTES)
        more = bool(handle.read(1))
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if not more and not text.strip("\r\n\x00 \t"):
        return "", True
    cut = min((i for i in (text.find("\n"), text.find("\r")) if i >= 0), default=-1)
    if cut < 0:
        return (None, False) if more else (text, False)
    return text[:cut], False


def sniff(landing_file: LandingFile) -> TextLayout:
    """The file's container, encoding, delimiter and header ([] for an empty file); `problem` is
    set when the file cannot be read as a table (NUL bytes, a header line too wide to read)."""
    path = landing_file.path
    if landing_file.kind == "xlsx":
        header, _, _ = _xlsx_rows(path)
        return TextLayout("xlsx", "utf-8", ",", header)
    encoding = detect_encoding(path)
    with open(path, "rb") as handle:
        handle.seek(max(landing_file.size_bytes - 2, 0))
        tail = handle.read()
    ends = tail.endswith(b"\n") or tail.endswith(b"\n\x00") or tail.endswith(b"\x00\n") or tail.endswith(b"\r")
    if problem := nul_problem(path, encoding):
        return TextLayout("text", encoding, ",", [], ends, problem)
    first_line, empty = _first_line(path, encoding)
    if first_line is None:
        return TextLayout("text", encoding, ",", [], ends, (
            "header_too_wide",
            f"the first line runs past {_size(READ_BLOCK_BYTES)} without a line break: a header that wide is not "
            "read (is this one line of data with no header?)",
        ))
    if empty or not first_line.strip():
        return TextLayout("text", encoding, ",", [], ends)
    delimiter = max(("\t", ",", ";", "|"), key=first_line.count) if any(d in first_line for d in "\t,;|") else ","
    row = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    return TextLayout("text", encoding, delimiter, clean_header(row), ends)


def _arrow_encoding(encoding: str) -> str:
    return "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding


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
    names = _unique_names(layout.header)
    wanted = [names[layout.header.index(c)] for c in columns]
    table = pacsv.read_csv(
        landing_file.path,
        read_options=pacsv.ReadOptions(
            column_names=names, skip_rows=1, encoding=_arrow_encoding(layout.encoding), block_size=READ_BLOCK_BYTES,
        ),
        parse_options=pacsv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            column_types={c: pa.string() for c in wanted},
            strings_can_be_null=False,
        ),
    ).rename_columns(columns)
    return table.append_column("_source_row", pa.array(np.arange(2, table.num_rows + 2, dtype=np.int64)))


def _unique_names(header: list[str]) -> list[str]:
    """The header with repeated or empty names made unique, so Arrow can read every column; the
    first occurrence of a repeated name keeps it."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(header):
        key = name or f"_column_{i + 1}"
        if key in seen:
            seen[key] += 1
            key = f"{key}\x00{seen[key]}"
        else:
            seen[key] = 0
        out.append(key)
    return out


def count_records(landing_file: LandingFile, layout: TextLayout | None = None) -> int:
    """Data records in a file, for a file rejected whole: every one counts as rejected."""
    try:
        layout = layout or sniff(landing_file)
        if layout.kind == "xlsx":
            return len(_xlsx_rows(landing_file.path)[1])
        if layout.problem or not layout.header:
            return _count_lines(landing_file.path, layout.encoding)
        invalid = []

        def keep_count(row) -> str:
            invalid.append(1)
            return "skip"

        table = pacsv.read_csv(
            landing_file.path,
            read_options=pacsv.ReadOptions(
                encoding=_arrow_encoding(layout.encoding), column_names=[f"c{i}" for i in range(len(layout.header))],
                skip_rows=1, block_size=READ_BLOCK_BYTES,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=layout.delimiter, newlines_in_values=True, invalid_row_handler=keep_count
            ),
            convert_options=pacsv.ConvertOptions(include_columns=["c0"], column_types={"c0": pa.string()}),
        )
        # a record with the wrong number of fields (a cut-off last line too) is still a record read
        return table.num_rows + len(invalid)
    except Exception:  # noqa: BLE001 - counting a file already being rejected must not fail
        return _count_lines(landing_file.path, layout.encoding if layout else "utf-8")


def _count_lines(path: Path, encoding: str) -> int:
    """Non-empty lines after the first, NUL bytes left out: the records of a file that cannot be
    parsed (a header line that cannot be read counts as the header)."""
    if encoding.startswith("utf-16"):
        try:
            text = path.read_bytes().decode(encoding, errors="replace")
        except LookupError:
            return 0
        lines = [line for line in text.splitlines() if line.strip("\x00 \t\ufeff")]
        return max(len(lines) - 1, 0)
    lines = 0
    with open(path, "rb") as handle:
        for line in handle:
            if line.replace(b"\x00", b"").strip():
                lines += 1
    return max(lines - 1, 0)


def read_header(path: Path) -> list[str]:
    """The column names on the first line (byte-order mark removed), or [] for an empty file."""
    kind, _ = classify(path, path.name)
    return sniff(LandingFile(path, path.name, path.stat().st_size, "", kind=kind)).header
