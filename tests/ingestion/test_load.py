"""Loading landing files: canonical shape, lineage, rejections and idempotency."""

from pathlib import Path

import duckdb
import pytest

from ingestion.load import ingest_landing

MAP_HEADER = (
    "TermName,DistrictName,School_StateID,SchoolName,StudentID,Student_StateID,Subject,TestType,TestID,"
    "TestStartDate,TestStartTime,TestRITScore,TestStandardError,TestPercentile,AchievementQuintile"
)
MAP_ROWS = [
    '"Fall 2021-2022","GB","255901321","GB Elem","605000","604821","Reading","Survey With Goals","1",'
    '"09/16/2021","08:54:50","208","3.40","57","Avg"',
    '"Fall 2021-2022","GB","255901321","GB Elem","605001","604822","Mathematics","Survey With Goals","2",'
    '"9/16/2021","9:00:00 AM","2x3","3.40","57","Avg"',
    '"Fall 2021-2022","GB","255901321","GB Elem","605002","604823","Mathematics","Survey With Goals","3",'
    '"13/45/2021","9:00:00 AM","203","3.40","57","Avg"',
    '"Fall 2021-2022","GB","255901321","GB Elem","605003","604824","Mathematics","Survey With Goals","4",'
    '"9/17/2021","1:05:00 PM","199","3.10","41","Avg"',
]
DIBELS_HEADER = (
    "School Year,Student Primary ID,Primary ID - Student ID (State ID),Primary School ID,School Name,"
    "Assessment Edition,Enrollment Grade,Assessment Grade,Benchmark Period,Client Date,Composite Level,"
    "Composite Score,Composite - National Norm Percentile,Reading Fluency (ORF) - Level,"
    "Reading Fluency (ORF) - Score,Reading Fluency (ORF) - National Norm Percentile"
)
DIBELS_ROWS = [
    "2023-2024,1000001,000001,s1,SCHOOL 1,DIBELS 8th Edition,K,K,BOY,2023-10-05,Well Below Benchmark,271,42,,,",
    "2023-2024,1000002,000002,s1,SCHOOL 1,DIBELS 8th Edition,2,1,BOY,2023-10-06,At Benchmark,371,52,"
    "At Benchmark,30,Discontinue",
]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    (root / "nwea_map").mkdir(parents=True)
    (root / "mclass").mkdir()
    (root / "nwea_map" / "AssessmentResults.csv").write_text("\n".join([MAP_HEADER, *MAP_ROWS]) + "\n")
    (root / "mclass" / "dibels8_BM_2023-2024.csv").write_bytes(
        ("\r\n".join([DIBELS_HEADER, *DIBELS_ROWS]) + "\r\n").encode("utf-8-sig")
    )
    return root


def test_map_rows_load_in_canonical_shape_with_lineage(landing: Path):
    con = duckdb.connect()
    ingest_landing(con, landing)
    rows = con.execute(
        "select vendor_student_id, measure_id, assessment_date::varchar, assessment_time::varchar, scale_score, "
        "percentile, source_file, source_row from raw.nwea_map_results order by source_row"
    ).fetchall()
    assert rows == [
        ("605000", "map_reading", "2021-09-16", "08:54:50", 208.0, 57.0, "nwea_map/AssessmentResults.csv", 2),
        ("605003", "map_math", "2021-09-17", "13:05:00", 199.0, 41.0, "nwea_map/AssessmentResults.csv", 5),
    ]


def test_bad_rows_are_rejected_naming_file_row_and_column(landing: Path):
    con = duckdb.connect()
    summary = ingest_landing(con, landing)
    map_file = next(f for f in summary.files if f.source_file.startswith("nwea_map"))
    assert (map_file.rows_read, map_file.rows_loaded, map_file.rows_rejected) == (4, 2, 2)
    rejected = con.execute(
        "select source_row, column_name, reason_code, message from raw.rejected_rows order by source_row"
    ).fetchall()
    assert rejected[0][:3] == (3, "TestRITScore", "unparseable_number")
    assert rejected[0][3] == "nwea_map/AssessmentResults.csv row 3 column 'TestRITScore': cannot read '2x3' as a number"
    assert rejected[1][:3] == (4, "TestStartDate", "unparseable_date")


def test_dibels_wide_row_becomes_one_row_per_measure_and_keeps_both_grades(landing: Path):
    con = duckdb.connect()
    ingest_landing(con, landing)
    rows = con.execute(
        "select vendor_student_id, measure_id, enrolled_grade, assessed_grade, scale_score, percentile, vendor_level "
        "from raw.mclass_dibels8_results order by vendor_student_id, measure_id"
    ).fetchall()
    assert rows == [
        ("1000001", "dibels8_composite", 0, 0, 271.0, 42.0, "Well Below Benchmark"),
        ("1000002", "dibels8_composite", 2, 1, 371.0, 52.0, "At Benchmark"),
        # "Discontinue" in a percentile cell is a vendor code, not a number: the score still loads.
        ("1000002", "dibels8_orf", 2, 1, 30.0, None, "At Benchmark"),
    ]


def test_every_row_is_accounted_for_in_the_manifest(landing: Path):
    con = duckdb.connect()
    ingest_landing(con, landing)
    unbalanced = con.execute(
        "select count(*) from raw.file_manifest where rows_read <> rows_loaded + rows_rejected"
    ).fetchone()[0]
    assert unbalanced == 0
    assert con.execute("select sum(rows_read) from raw.file_manifest").fetchone()[0] == 6


def test_second_ingest_of_the_same_files_loads_nothing(landing: Path):
    con = duckdb.connect()
    ingest_landing(con, landing)
    before = con.execute("select count(*) from raw.nwea_map_results").fetchone()[0]
    again = ingest_landing(con, landing)
    assert [f.status for f in again.files] == ["already_loaded", "already_loaded"]
    assert con.execute("select count(*) from raw.nwea_map_results").fetchone()[0] == before
    assert con.execute("select count(*) from raw.file_manifest").fetchone()[0] == 2


def test_a_copy_under_another_name_is_recognised_by_content(landing: Path):
    con = duckdb.connect()
    ingest_landing(con, landing)
    original = landing / "nwea_map" / "AssessmentResults.csv"
    (landing / "nwea_map" / "AssessmentResults (1).csv").write_bytes(original.read_bytes())
    again = ingest_landing(con, landing)
    assert {f.status for f in again.files} == {"already_loaded"}


def test_unknown_and_empty_files_are_rejected_whole(tmp_path: Path):
    root = tmp_path / "landing"
    root.mkdir()
    (root / "notes.csv").write_text("foo,bar\n1,2\n3,4\n")
    (root / "empty.csv").write_text("")
    con = duckdb.connect()
    summary = ingest_landing(con, root)
    outcomes = {f.source_file: (f.status, f.rows_read, f.rows_rejected, f.reason.split(":")[0]) for f in summary.files}
    assert outcomes == {
        "empty.csv": ("rejected", 0, 0, "empty_file"),
        "notes.csv": ("rejected", 2, 2, "unknown_layout"),
    }


def test_missing_required_column_rejects_the_file(tmp_path: Path):
    root = tmp_path / "landing"
    root.mkdir()
    header = MAP_HEADER.replace("TestStartDate,", "")
    row = MAP_ROWS[0].replace('"09/16/2021",', "")
    (root / "AssessmentResults.csv").write_text(header + "\n" + row + "\n")
    con = duckdb.connect()
    outcome = ingest_landing(con, root).files[0]
    assert outcome.status == "rejected"
    assert "missing required column(s): TestStartDate" in outcome.reason


def test_source_row_is_the_spreadsheet_row_in_a_file_read_in_parallel(tmp_path: Path):
    # Large enough to be parsed in many blocks on every core: each record must keep its own row.
    root = tmp_path / "landing"
    root.mkdir()
    rows = 250_000
    students = [f"{100000 + i}" for i in range(rows)]
    lines = [MAP_HEADER] + [
        f'"Fall 2021-2022","GB","255901321","GB Elem","{sid}","9{sid}","Reading","Survey With Goals","{i}",'
        f'"09/16/2021","08:54:50","{150 + i % 100}","3.40","57","Avg"'
        for i, sid in enumerate(students)
    ]
    (root / "AssessmentResults.csv").write_text("\n".join(lines) + "\n")
    con = duckdb.connect()
    ingest_landing(con, root)
    mismatched = con.execute(
        "select count(*) from raw.nwea_map_results where vendor_student_id <> cast(100000 + source_row - 2 as varchar)"
    ).fetchone()[0]
    assert con.execute("select count(*) from raw.nwea_map_results").fetchone()[0] == rows
    assert mismatched == 0
