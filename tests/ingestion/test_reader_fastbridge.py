"""FastBridge: the wide screening reports become one raw row per season screened, with the risk
level as written; the progress-monitoring report lands as probes with their goal."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from definitions import load_definitions
from ingestion.files import read_header
from ingestion.formats import matching_formats
from ingestion.formats.fastbridge import AREADING_HEADER, CBMREADING_HEADER, PROGRESS_MONITORING_HEADER
from ingestion.load import IngestRules, ingest_landing
from synthetic import generate_district

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
FAMILY = "fastbridge"
SCREENING_FORMATS = {
    "CBMR-English_Screening_Report": "fastbridge_cbmreading_screening",
    "aReading_Screening_Report": "fastbridge_areading_screening",
    "aMath_Screening_Report": "fastbridge_amath_screening",
    "CBMR-English_Progress_Monitoring_Report": "fastbridge_progress_monitoring",
}


def rules() -> IngestRules:
    return IngestRules.from_definitions(load_definitions(CONFIG_DIR))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A small district's FastBridge reports ingested on their own into a fresh warehouse file."""
    out = tmp_path_factory.mktemp("district")
    generate_district(out, students=300, schools=3, years=2, seed=5)
    landing = out / "family"
    shutil.copytree(out / "landing" / FAMILY, landing / FAMILY)
    con = duckdb.connect(str(out / "warehouse.duckdb"))
    summary = ingest_landing(con, landing, rules=rules())
    truth = pd.read_csv(out / "truth" / "results.csv", dtype={"local_student_id": str, "school_id": str})
    return con, summary, truth[truth["source_file"].str.startswith(f"{FAMILY}/")], landing


def write_file(root: Path, relative: str, header: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    lines = [",".join(header)] + [",".join(row.get(c, "") for c in header) for row in rows]
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\r\n".join(lines) + "\r\n")


def test_each_report_is_read_as_its_layout(generated):
    _, summary, _, landing = generated
    formats = {f.source_file: f.file_format for f in summary.files}
    assert len(formats) == 4
    for source_file, file_format in formats.items():
        stem = source_file.removeprefix("fastbridge/").rsplit("_", 4)[0]
        assert SCREENING_FORMATS[stem] == file_format
        assert len(matching_formats(read_header(landing / source_file))) == 1


def test_every_row_loads_and_no_column_drifts(generated):
    _, summary, _, _ = generated
    for outcome in summary.files:
        assert outcome.status == "loaded"
        assert outcome.rows_read == outcome.rows_loaded + outcome.rows_rejected
        assert outcome.rows_rejected == 0
        assert (outcome.new_columns, outcome.missing_columns) == ([], [])


def test_raw_rows_equal_the_truth(generated):
    con, _, truth, _ = generated
    raw = con.execute(
        """
        select source_file, source_row, vendor_student_id, measure_id, assessment_date, enrolled_grade,
               scale_score, percentile, vendor_level, reported_period
        from raw.fastbridge_results order by source_file, source_row, assessment_date
        """
    ).df()
    expected = truth.sort_values(["source_file", "source_row", "assessment_date"]).reset_index(drop=True)
    assert len(raw) == len(expected) > 0
    assert raw["source_row"].tolist() == expected["source_row"].tolist()
    assert raw["vendor_student_id"].tolist() == expected["local_student_id"].tolist()
    assert raw["measure_id"].tolist() == expected["measure_id"].tolist()
    assert raw["assessment_date"].astype(str).tolist() == expected["assessment_date"].astype(str).tolist()
    assert raw["enrolled_grade"].tolist() == expected["enrolled_grade"].tolist()
    assert raw["scale_score"].tolist() == expected["scale_score"].tolist()
    assert raw["percentile"].tolist() == expected["percentile"].astype(float).tolist()
    assert raw["vendor_level"].tolist() == expected["performance_level"].tolist()
    # each block's season is its reported period
    assert raw["reported_period"].tolist() == expected["window_name"].tolist()


def test_every_risk_level_written_is_a_descriptor_of_its_measure(generated):
    _, _, truth, _ = generated
    definitions = load_definitions(CONFIG_DIR)
    measures = definitions.measures.set_index("measure_id")
    sets = definitions.descriptor_sets
    for measure_id, levels in truth.groupby("measure_id")["performance_level"]:
        assert measures.loc[measure_id, "level_basis"] == "vendor_level"
        descriptors = set(sets.loc[sets["descriptor_set"] == measures.loc[measure_id, "descriptor_set"], "descriptor"])
        assert set(levels) <= descriptors
        assert {"highRisk", "lowRisk"} <= set(levels)


def test_progress_monitoring_probes_carry_their_goal_and_no_truth(generated):
    con, summary, truth, _ = generated
    (report,) = [f for f in summary.files if "Progress_Monitoring" in f.source_file]
    assert not (truth["source_file"] == report.source_file).any()
    probes = con.execute(
        """
        select vendor_student_id, measure_id, score_metric, assessment_date, scale_score, goal_score, goal_date
        from raw.progress_monitoring_results order by vendor_student_id, assessment_date
        """
    ).df()
    assert len(probes) == report.rows_loaded > 0
    assert set(probes["measure_id"]) == {"fastbridge_cbmreading"}
    assert set(probes["score_metric"]) == {"WRC per minute"}
    assert probes["goal_score"].notna().all() and probes["goal_date"].notna().all()
    # probes are weekly: a student's consecutive probes are at least a week apart
    gaps = probes.groupby("vendor_student_id")["assessment_date"].diff().dropna().dt.days
    assert gaps.min() >= 4 and gaps.median() == 7
    # the students monitored are the lowest tenth of the fall CBMreading screening
    fall = truth[(truth["measure_id"] == "fastbridge_cbmreading") & (truth["window_name"] == "Fall")]
    monitored = fall[fall["local_student_id"].isin(probes["vendor_student_id"])]
    assert len(monitored) == probes["vendor_student_id"].nunique() == round(0.1 * len(fall))
    assert monitored["percentile"].max() <= fall["percentile"].quantile(0.2)


def test_a_screening_row_with_grade_words_and_an_advanced_code(tmp_path):
    season = {
        "Fall CBMR-English Median WRC": "101", "Fall CBMR-English Percentile at Nation": "79",
        "Fall CBMR-English Risk Level": "AD", "Fall CBMR-English Final Date": "9/22/2022",
        "Spring CBMR-English Median WRC": "150", "Spring CBMR-English Percentile at Nation": "84",
        "Spring CBMR-English Risk Level": "AD", "Spring CBMR-English Final Date": "5/2/2023",
        "Fall CBMR-English Percentile at School": "75",
    }
    rows = [
        {"Assessment": "CBMR-English", "Local ID": "10001", "FAST ID": "2340001", "Grade": "Two", **season},
        # a student on the roster but not screened gives no result and is refused as such
        {"Assessment": "CBMR-English", "Local ID": "10002", "FAST ID": "2340002", "Grade": "Kindergarten"},
    ]
    write_file(tmp_path / "landing", "fastbridge/CBMR-English_Screening_Report.csv", CBMREADING_HEADER, rows)
    con = duckdb.connect()
    (outcome,) = ingest_landing(con, tmp_path / "landing", rules=rules()).files
    assert (outcome.file_format, outcome.rows_read, outcome.rows_loaded) == ("fastbridge_cbmreading_screening", 2, 1)
    assert (outcome.new_columns, outcome.missing_columns) == ([], [])
    assert con.execute(
        """
        select vendor_student_id, measure_id, reported_period, assessment_date::varchar, enrolled_grade,
               scale_score, percentile, vendor_level
        from raw.fastbridge_results order by assessment_date
        """
    ).fetchall() == [
        ("10001", "fastbridge_cbmreading", "Fall", "2022-09-22", 2, 101.0, 79.0, "AD"),
        ("10001", "fastbridge_cbmreading", "Spring", "2023-05-02", 2, 150.0, 84.0, "AD"),
    ]
    assert con.execute("select source_row, reason_code from raw.rejected_rows").fetchall() == [(3, "no_scores")]


def test_an_areading_row_keeps_its_theta_and_the_li_code(tmp_path):
    row = {
        "Assessment": "aReading", "Local ID": "87811", "Grade": "Twelve", "Fall aReading Test Theta": "579.9609",
        "Fall aReading Percentile at School": "N/A*", "Fall aReading Percentile at Nation": "91.0",
        "Fall aReading Risk Level": "LI", "Fall aReading Final Date": "8/25/2025", "Fall Lexile": "1800L",
    }
    write_file(tmp_path / "landing", "fastbridge/aReading_Screening_Report.csv", AREADING_HEADER, [row])
    con = duckdb.connect()
    (outcome,) = ingest_landing(con, tmp_path / "landing", rules=rules()).files
    assert (outcome.file_format, outcome.rows_loaded) == ("fastbridge_areading_screening", 1)
    assert con.execute(
        "select measure_id, enrolled_grade, scale_score, percentile, vendor_level from raw.fastbridge_results"
    ).fetchall() == [("fastbridge_areading", 12, 579.9609, 91.0, "LI")]


def test_an_older_progress_monitoring_report_without_goal_dates(tmp_path):
    header = PROGRESS_MONITORING_HEADER[: PROGRESS_MONITORING_HEADER.index("End Goal") + 1]
    rows = [
        {"Assessment": "CBM-R", "Student Id": "10023", "Fast ID": "10023", "Grade": "1", "AssessmentDate": "03-09-2021",
         "ScoreMetric": "Total Words Read", "Score": "88", "Start Goal": "75", "End Goal": "126"},
        # aReading probes count items correct, not the aReading scale: no measure takes them
        {"Assessment": "Areading", "Student Id": "10040", "Fast ID": "4021185", "Grade": "02",
         "AssessmentDate": "12/13/2021", "ScoreMetric": "Items Correct", "Score": "28.0", "Start Goal": "0.0",
         "End Goal": "0.0"},
    ]
    write_file(tmp_path / "landing", "fastbridge/CBMR-English_Progress_Monitoring_Report.csv", header, rows)
    con = duckdb.connect()
    (outcome,) = ingest_landing(con, tmp_path / "landing", rules=rules()).files
    assert (outcome.file_format, outcome.rows_read, outcome.rows_loaded) == ("fastbridge_progress_monitoring", 2, 1)
    assert outcome.missing_columns == ["Goal Start Date", "Goal End Date", "Assessment Level"]
    assert con.execute(
        """
        select vendor_student_id, measure_id, assessment_date::varchar, enrolled_grade, score_metric,
               scale_score, goal_score, goal_date
        from raw.progress_monitoring_results
        """
    ).fetchall() == [("10023", "fastbridge_cbmreading", "2021-03-09", 1, "Total Words Read", 88.0, 126.0, None)]
    assert con.execute("select source_row, reason_code from raw.rejected_rows").fetchall() == [(3, "unknown_measure")]
