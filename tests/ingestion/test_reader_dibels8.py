"""mCLASS DIBELS 8 reader: benchmark exports land in raw.mclass_dibels8_results, progress-monitoring
probes in raw.progress_monitoring_results, with the values the files state."""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from definitions import load_definitions
from ingestion.files import read_header
from ingestion.formats import matching_formats
from ingestion.formats.headers import DIBELS8_BENCHMARK_HEADER, DIBELS8_PM_HEADER
from ingestion.load import IngestRules, IngestSummary, ingest_landing
from synthetic import generate_district
from synthetic.dibels8_pm import MAX_PROBES, MIN_PROBES, TYPICAL_WEEKLY_GROWTH

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
RULES = IngestRules.from_definitions(load_definitions(CONFIG_DIR))


@dataclass
class Ingested:
    root: Path
    con: duckdb.DuckDBPyConnection
    summary: IngestSummary


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Ingested:
    root = tmp_path_factory.mktemp("district")
    generate_district(root, students=300, schools=3, years=2)
    # Only this family's folder is ingested: the other families have their own tests.
    shutil.copytree(root / "landing" / "mclass", root / "family" / "mclass")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    return Ingested(root, con, ingest_landing(con, root / "family", rules=RULES))


def write_mclass(path: Path, header, rows: list[dict[str, str]]) -> None:
    """An mCLASS file: UTF-8 with a byte-order mark, CRLF, quoted only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


def ingest_one(tmp_path: Path, name: str, header, rows):
    landing = tmp_path / "landing"
    write_mclass(landing / "mclass" / name, header, rows)
    con = duckdb.connect()
    (outcome,) = ingest_landing(con, landing, rules=RULES).files
    return con, outcome


# ---- generated benchmark files -------------------------------------------------------------


def outcomes(generated: Ingested, prefix: str):
    return [f for f in generated.summary.files if f.source_file.startswith(prefix)]


def test_generated_files_are_each_read_as_one_layout(generated):
    formats = {}
    for outcome in outcomes(generated, "mclass/"):
        header = read_header(generated.root / "family" / outcome.source_file)
        assert [f.name for f in matching_formats(header)] == [outcome.file_format]
        formats[outcome.source_file.split("_")[1]] = outcome.file_format
    assert formats == {"BM": "mclass_dibels8_benchmark", "PM": "mclass_dibels8_pm_aimline"}


def test_generated_files_load_every_row_with_no_drift(generated):
    files = outcomes(generated, "mclass/")
    assert len(files) == 3  # two benchmark years, one progress-monitoring year
    for outcome in files:
        assert outcome.status == "loaded"
        assert outcome.rows_read == outcome.rows_loaded > 0
        assert outcome.rows_rejected == 0
        assert (outcome.new_columns, outcome.missing_columns) == ([], [])


def test_generated_benchmark_rows_equal_the_truth(generated):
    truth = pd.read_csv(generated.root / "truth" / "results.csv", dtype={"local_student_id": str})
    truth = truth[truth["source_file"].str.startswith("mclass/")]
    expected = sorted(
        zip(truth["source_file"], truth["source_row"], truth["local_student_id"], truth["measure_id"],
            truth["assessment_date"], truth["scale_score"], truth["percentile"].astype(float),
            truth["performance_level"], truth["instructional_grade"])
    )
    loaded = generated.con.execute(
        "select source_file, source_row, vendor_student_id, measure_id, strftime(assessment_date, '%Y-%m-%d'), "
        "scale_score, percentile, vendor_level, assessed_grade from raw.mclass_dibels8_results order by all"
    ).fetchall()
    assert loaded == expected
    years = generated.con.execute("select distinct reported_school_year from raw.mclass_dibels8_results order by 1")
    assert years.fetchall() == [(2025,), (2026,)]


# ---- generated progress monitoring ---------------------------------------------------------


@pytest.fixture(scope="module")
def probes(generated) -> pd.DataFrame:
    return generated.con.execute(
        """
        select p.vendor_student_id, p.measure_id, p.assessment_date, p.scale_score, p.goal_score,
               p.assessed_grade, p.school_ref, b.scale_score as baseline, b.assessment_date as benchmark_date,
               c.vendor_level as composite_level
        from raw.progress_monitoring_results p
        join raw.mclass_dibels8_results b
          on b.vendor_student_id = p.vendor_student_id and b.measure_id = p.measure_id
         and b.reported_period = 'MOY' and b.reported_school_year = p.reported_school_year
        join raw.mclass_dibels8_results c
          on c.source_file = b.source_file and c.source_row = b.source_row and c.measure_id = 'dibels8_composite'
        """
    ).df()


def test_probes_are_of_students_below_benchmark_at_mid_year(generated, probes):
    total = generated.con.execute("select count(*) from raw.progress_monitoring_results").fetchone()[0]
    assert len(probes) == total > 0
    assert set(probes["composite_level"]) <= {"Below Benchmark", "Well Below Benchmark"}
    assert set(probes["measure_id"]) <= {"dibels8_orf", "dibels8_nwf_cls"}
    assert (probes["goal_score"] > probes["baseline"]).all()


def test_each_student_has_weekly_probes_between_the_benchmarks(probes):
    per_student = probes.sort_values("assessment_date").groupby("vendor_student_id")
    counts = per_student.size()
    assert counts.between(MIN_PROBES, MAX_PROBES).all()
    gaps = per_student["assessment_date"].diff().dropna().dt.days
    assert set(gaps) <= {7, 14}
    assert (probes["assessment_date"] > probes["benchmark_date"]).all()
    assert probes["assessment_date"].max() < pd.Timestamp("2026-05-04")


def test_probe_scores_follow_the_benchmark_score_and_a_typical_weekly_growth(probes):
    frame = probes.assign(
        week=(probes["assessment_date"] - probes["benchmark_date"]).dt.days / 7,
        gain=probes["scale_score"] - probes["baseline"],
    )
    # least-squares line of gain on week through each student's probes
    sums = frame.assign(wy=frame["week"] * frame["gain"], ww=frame["week"] ** 2).groupby("vendor_student_id").agg(
        n=("week", "size"), w=("week", "sum"), y=("gain", "sum"), wy=("wy", "sum"), ww=("ww", "sum"),
        measure_id=("measure_id", "first"), grade=("assessed_grade", "first"),
    )
    slope = (sums["n"] * sums["wy"] - sums["w"] * sums["y"]) / (sums["n"] * sums["ww"] - sums["w"] ** 2)
    intercept = (sums["y"] - slope * sums["w"]) / sums["n"]
    typical = [TYPICAL_WEEKLY_GROWTH[m][g] for m, g in zip(sums["measure_id"], sums["grade"])]
    assert 0.7 < (slope / typical).median() < 1.3
    assert intercept.abs().median() < 4


# ---- hand-written files --------------------------------------------------------------------

BENCHMARK = {
    "School Year": "2023-2024",
    "School Name": "GB Elementary",
    "Primary School ID": "255901001",
    "Student Primary ID": "604821",
    "Primary ID - Student ID (State ID)": "1000604821",
    "Enrollment Grade": "1",
    "Assessment": "mCLASS",
    "Assessment Edition": "DIBELS 8th Edition",
    "Assessment Grade": "1",
    "Benchmark Period": "BOY",
    "Client Date": "2023-09-12",
    "Composite Level": "At Benchmark",
    "Composite Score": "371",
    "Composite - National Norm Percentile": "52",
    "Letter Names (LNF) - Level": "Above Benchmark",
    "Letter Names (LNF) - Score": "61",
    "Letter Names (LNF) - National Norm Percentile": "Tested Out",
    "Reading Fluency (ORF) - Level": "Below Benchmark",
    "Reading Fluency (ORF) - Score": "12",
    "Reading Fluency (ORF) - National Norm Percentile": "Discontinued",
}


def test_benchmark_percentile_words_load_as_no_percentile(tmp_path):
    rows = [
        BENCHMARK,
        {**BENCHMARK, "Student Primary ID": "604822", "Enrollment Grade": "K", "Assessment Grade": "K",
         "Composite Score": "281", "Composite Level": "Below Benchmark", "Letter Names (LNF) - Score": "",
         "Letter Names (LNF) - Level": "", "Reading Fluency (ORF) - Score": "", "Reading Fluency (ORF) - Level": ""},
        # dated a year after the school year it states
        {**BENCHMARK, "Student Primary ID": "604823", "Client Date": "2024-09-12"},
    ]
    con, outcome = ingest_one(tmp_path, "dibels8_BM_2023-2024_20240610.csv", DIBELS8_BENCHMARK_HEADER, rows)
    assert outcome.file_format == "mclass_dibels8_benchmark"
    assert (outcome.new_columns, outcome.missing_columns) == ([], [])
    assert (outcome.rows_loaded, outcome.rows_rejected) == (2, 1)
    assert outcome.rejections == {("date_outside_school_year", "Client Date"): 1}
    rows = con.execute(
        "select vendor_student_id, measure_id, enrolled_grade, scale_score, percentile, vendor_level, "
        "reported_school_year from raw.mclass_dibels8_results order by source_row, measure_id"
    ).fetchall()
    assert rows == [
        ("604821", "dibels8_composite", 1, 371.0, 52.0, "At Benchmark", 2024),
        ("604821", "dibels8_lnf", 1, 61.0, None, "Above Benchmark", 2024),
        ("604821", "dibels8_orf", 1, 12.0, None, "Below Benchmark", 2024),
        ("604822", "dibels8_composite", 0, 281.0, 52.0, "Below Benchmark", 2024),
    ]


PROBE = {
    "School Year": "2023-2024",
    "School Name": "GB Elementary",
    "School Primary ID": "255901001",
    "Student Primary ID": "604821",
    "Enrollment Grade": "2",
    "Assessment": "mCLASS",
    "Assessment Edition": "DIBELS 8th Edition",
    "Assessment Grade": "2",
    "PM Period": "BOY->MOY",
    "Client Date": "2023-10-03",
    "Measure": "ORF",
    "Probe Number": "1",
    "Total Number of Probes": "5",
    "Score": "31",
}


def test_progress_monitoring_without_aimline_reads_short_measure_codes_and_the_older_date_name(tmp_path):
    header = tuple("Client Date" if c == "Device Date" else c for c in DIBELS8_PM_HEADER)
    assert [f.name for f in matching_formats(list(header))] == ["mclass_dibels8_pm"]
    rows = [
        PROBE,
        {**PROBE, "Probe Number": "2", "Client Date": "2023-10-10", "Score": "34"},
        {**PROBE, "Probe Number": "3", "Client Date": "2023-10-17", "Measure": "Reading Fluency (ORF)", "Score": "36"},
        {**PROBE, "Student Primary ID": "604822", "Assessment Grade": "K", "Enrollment Grade": "K",
         "Measure": "NWF-CLS", "Score": "18"},
        {**PROBE, "Student Primary ID": "604823", "Measure": "ORF-Accu", "Score": "93"},
        {**PROBE, "Student Primary ID": "604824", "Measure": "(DEC-IW)", "Score": "7"},
    ]
    con, outcome = ingest_one(tmp_path, "dibels8_PM_2023-2024_20231020.csv", header, rows)
    assert outcome.file_format == "mclass_dibels8_pm"
    assert (outcome.new_columns, outcome.missing_columns) == ([], [])
    assert (outcome.rows_loaded, outcome.rows_rejected) == (5, 1)
    assert outcome.rejections == {("unknown_measure", "Measure"): 1}
    rows = con.execute(
        "select vendor_student_id, measure_id, strftime(assessment_date, '%Y-%m-%d'), scale_score, "
        "assessed_grade, reported_period, goal_score from raw.progress_monitoring_results order by source_row"
    ).fetchall()
    assert rows == [
        ("604821", "dibels8_orf", "2023-10-03", 31.0, 2, "BOY->MOY", None),
        ("604821", "dibels8_orf", "2023-10-10", 34.0, 2, "BOY->MOY", None),
        ("604821", "dibels8_orf", "2023-10-17", 36.0, 2, "BOY->MOY", None),
        ("604822", "dibels8_nwf_cls", "2023-10-03", 18.0, 0, "BOY->MOY", None),
        ("604823", "dibels8_orf_accuracy", "2023-10-03", 93.0, 2, "BOY->MOY", None),
    ]
