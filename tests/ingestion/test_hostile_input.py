"""Hostile input beyond the committed corpus: files too large to commit, limits set small, and the
number and date rules on small tables. Every case ends in a manifest line with its reason."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingestion.files import READ_BLOCK_BYTES, ArchiveLimits, scan_landing
from ingestion.load import IngestRules, ingest_landing
from ingestion.value_sql import number_sql

MAP_HEADER = (
    "TermName,DistrictName,School_StateID,SchoolName,StudentID,Student_StateID,Subject,TestType,TestID,"
    "TestStartDate,TestStartTime,TestRITScore,TestStandardError,TestPercentile,AchievementQuintile"
)


def map_line(student: str, test_id: str) -> str:
    return (
        f"Fall 2021-2022,GB,255901321,GB Elem,{student},60{student[-4:]},Reading,Survey With Goals,{test_id},"
        "09/16/2021,08:54:50,208,3.40,57,Avg"
    )


def map_csv(*students: str) -> str:
    return "\n".join([MAP_HEADER, *(map_line(s, str(i)) for i, s in enumerate(students, start=1))]) + "\n"


def manifest(con) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in con.execute("select source_file, status, rows_read, reason from raw.file_manifest").fetchall()
    }


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("208", False, 208.0),
        ("3.40", False, 3.4),
        ("-1.5e2", False, -150.0),
        ("1,234", False, 1234.0),        # commas grouping thousands
        ("1,234.5", False, 1234.5),
        ("2,07", False, None),           # a decimal comma where the layout writes a point
        ("81,5", False, None),
        ("12,34,567", False, None),      # not a thousands grouping
        ("nan", False, None),            # words a cast would accept
        ("inf", False, None),
        ("1_000", False, None),
        ("81,5", True, 81.5),            # a layout that declares decimal commas
        ("1.234,5", True, 1234.5),
        ("2,07", True, 2.07),
        ("3.40", True, None),            # a point is not a decimal point there
    ],
)
def test_a_number_is_read_only_as_the_layout_writes_it(text, decimal_comma, expected):
    with duckdb.connect() as con:
        value = con.execute(f"select {number_sql('x', decimal_comma)} from (select ?::varchar as x)", [text]).fetchone()[0]
    assert value == expected


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return path


def test_an_archive_over_any_limit_is_refused_whole_with_the_limit_named(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    _zip(landing / "many.zip", {f"part{i}.csv": map_csv(f"60{i:04d}").encode() for i in range(5)})
    _zip(landing / "big.zip", {"AssessmentResults.csv": map_csv(*(f"6{i:05d}" for i in range(3000))).encode()})
    limits = ArchiveLimits(max_uncompressed_bytes=100_000, max_ratio=1_000, max_members=4)
    found = {f.relative_path: f.problem for f in scan_landing(landing, limits)}
    assert set(found) == {"many.zip", "big.zip"}
    assert found["many.zip"][0] == "archive_too_large" and "5 members, more than the limit of 4" in found["many.zip"][1]
    assert found["big.zip"][0] == "archive_too_large" and "more than the limit of 97.7 KiB" in found["big.zip"][1]


def test_an_archive_refused_for_its_size_loads_once_the_limits_are_raised(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    _zip(landing / "delivery.zip", {"AssessmentResults.csv": map_csv("605000", "605001", "605002").encode()})
    small = IngestRules(archive_limits=ArchiveLimits(max_members=0))
    with duckdb.connect() as con:
        first = ingest_landing(con, landing, rules=small).files
        again = ingest_landing(con, landing, rules=small).files
        raised = ingest_landing(con, landing, rules=IngestRules()).files
        lines = manifest(con)
    assert [(f.source_file, f.status) for f in first] == [("delivery.zip", "rejected")]
    assert [f.status for f in again] == ["already_loaded"]  # the same reason is not recorded twice
    assert [(f.source_file, f.status, f.rows_loaded) for f in raised] == [
        ("delivery.zip/AssessmentResults.csv", "loaded", 3)
    ]
    assert set(lines) == {"delivery.zip", "delivery.zip/AssessmentResults.csv"}


def test_a_workbook_is_held_to_the_same_limits(tmp_path):
    import openpyxl

    landing = tmp_path / "landing"
    landing.mkdir()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in map_csv(*(f"6{i:05d}" for i in range(2000))).splitlines():
        sheet.append(line.split(","))
    workbook.save(landing / "results.xlsx")
    limits = ArchiveLimits(max_uncompressed_bytes=50_000)
    (found,) = list(scan_landing(landing, limits))
    assert found.problem[0] == "archive_too_large" and found.problem[1].startswith("the workbook was not opened")
    (opened,) = list(scan_landing(landing, ArchiveLimits()))
    assert opened.problem is None and opened.kind == "xlsx"


def test_a_header_wider_than_the_reader_block_is_reported_as_too_wide(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    wide = ",".join(f"column_{i}" for i in range(READ_BLOCK_BYTES // 8))
    assert len(wide) > READ_BLOCK_BYTES
    (landing / "wide.csv").write_text(wide + "\n" + ",".join("1" for _ in range(READ_BLOCK_BYTES // 8)) + "\n")
    (landing / "ok.csv").write_text(map_csv("605000"))
    with duckdb.connect() as con:
        ingest_landing(con, landing)
        lines = manifest(con)
    assert lines["wide.csv"][:2] == ("rejected", 1)
    assert lines["wide.csv"][2].startswith("header_too_wide: the first line runs past 1.0 MiB")
    assert lines["ok.csv"][:2] == ("loaded", 1)


def test_a_record_wider_than_the_reader_block_is_reported_as_too_wide(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    lines = map_csv("605000", "605001").splitlines()
    # a cell holding three blocks' worth of text (a record may run across two blocks)
    huge = "x" * (3 * READ_BLOCK_BYTES)
    lines[2] = lines[2].replace("605001", huge, 1)
    (landing / "wide_row.csv").write_text("\n".join(lines) + "\n")
    (landing / "ok.csv").write_text(map_csv("605002"))
    with duckdb.connect() as con:
        ingest_landing(con, landing)
        found = manifest(con)
    assert found["wide_row.csv"][0] == "rejected"
    assert found["wide_row.csv"][2].startswith("row_too_wide: a record runs across more than two of the reader's 1 MiB blocks")
    assert found["ok.csv"][:2] == ("loaded", 1)


def test_a_member_that_lies_about_its_size_is_refused_and_the_others_load(tmp_path):
    """A member whose directory entry states a smaller size than its data: unpacking stops at the
    stated size and the checksum fails, so the member is refused without writing the rest."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr("a_good.csv", map_csv("605000"))
        zipped.writestr("b_liar.csv", map_csv("605001", "605002"))
    data = bytearray(buffer.getvalue())
    central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)  # the second member's entry
    data[central + 24:central + 28] = (10).to_bytes(4, "little")  # uncompressed size: 10 bytes
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "delivery.zip").write_bytes(bytes(data))
    with duckdb.connect() as con:
        ingest_landing(con, landing)
        lines = manifest(con)
    assert lines["delivery.zip/a_good.csv"][:2] == ("loaded", 1)
    assert lines["delivery.zip/b_liar.csv"][0] == "rejected"
    assert lines["delivery.zip/b_liar.csv"][2].startswith("unreadable_file: the member cannot be unpacked")


def test_a_date_beyond_the_load_day_is_future_only_past_the_tolerance(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    rows = [
        "student_id,school_id,measure_id,assessment_date,score,level,percentile",
        "605000,255901321,school_phonics_check,2026-03-10,30,,",   # the load day: loaded
        "605001,255901321,school_phonics_check,2026-03-13,31,,",   # three days ahead: loaded
        "605002,255901321,school_phonics_check,2026-03-14,32,,",   # four days ahead: future_date
    ]
    (landing / "checks.csv").write_text("\n".join(rows) + "\n")
    rules = IngestRules(today=date(2026, 3, 10), future_days=3, first_school_year=2020, last_school_year=2030)
    with duckdb.connect() as con:
        (outcome,) = ingest_landing(con, landing, rules=rules).files
        reasons = con.execute("select source_row, reason_code from raw.rejected_rows").fetchall()
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (3, 2, 1)
    assert reasons == [(4, "future_date")]
