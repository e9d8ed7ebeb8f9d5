"""SEB screeners (FastBridge SAEBRS, SRSS-IE, DESSA-mini) are recognised, loaded row for row
and give the risk levels their published bands define."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from definitions import load_definitions
from ingestion.files import read_header
from ingestion.formats import matching_formats
from ingestion.load import IngestRules, ingest_landing
from synthetic import generate_district

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
DISTRICT = {"students": 300, "schools": 3, "years": 2, "seed": 11}
LAYOUT_OF_FILE = {
    "SAEBRS_Teacher_Screening_Report": "fastbridge_saebrs_teacher",
    "SRSS-IE": "srss_ie_teacher_ratings",
    "DESSA-mini_Ratings": "dessa_mini_ratings",
}
RESULT_COLUMNS = (
    "vendor_student_id, measure_id, assessment_date::varchar as assessment_date, scale_score, percentile, "
    "enrolled_grade, reported_period, vendor_level, source_file, source_row"
)


@pytest.fixture(scope="module")
def definitions():
    return load_definitions(CONFIG_DIR)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, definitions):
    out = tmp_path_factory.mktemp("district")
    generate_district(out, **DISTRICT)
    # only this family's folder is loaded: the other families have tests of their own
    landing = out / "seb_landing"
    shutil.copytree(out / "landing" / "seb", landing / "seb")
    con = duckdb.connect(str(out / "warehouse.duckdb"))
    summary = ingest_landing(con, landing, rules=IngestRules.from_definitions(definitions))
    truth = pd.read_csv(out / "truth" / "results.csv", dtype={"local_student_id": str, "school_id": str})
    yield out, con, summary, truth[truth["source_file"].str.startswith("seb/")]
    con.close()


def ingest(landing: Path, definitions) -> tuple[duckdb.DuckDBPyConnection, object]:
    con = duckdb.connect()
    return con, ingest_landing(con, landing, rules=IngestRules.from_definitions(definitions))


def rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def configured_levels(definitions, results: pd.DataFrame, basis: pd.Series) -> pd.Series:
    """The level config/cut_scores.csv gives each result's `basis` value: the band with the
    highest minimum at or below the value (each band runs up to the next band's minimum)."""
    cuts = definitions.cut_scores.rename(columns={"grade_level": "instructional_grade", "level": "configured_level"})
    keyed = results.assign(basis=basis).reset_index(names="position")
    candidates = keyed.merge(cuts, on=["measure_id", "instructional_grade", "window_name"])
    reached = candidates[candidates["min_score"] <= candidates["basis"]].sort_values("min_score")
    return reached.groupby("position")["configured_level"].last().reindex(keyed["position"]).set_axis(results.index)


# ---- generated files ----------------------------------------------------------------------


def test_generated_screener_files_each_match_one_layout(loaded):
    out, _, summary, _ = loaded
    seb_files = [f for f in summary.files if f.source_file.startswith("seb/")]
    assert len(seb_files) == 3
    for outcome in seb_files:
        expected = next(layout for prefix, layout in LAYOUT_OF_FILE.items() if Path(outcome.source_file).name.startswith(prefix))
        header = read_header(out / "seb_landing" / outcome.source_file)
        assert [f.name for f in matching_formats(header)] == [expected]
        assert outcome.file_format == expected


def test_generated_screener_files_load_every_row_without_drift(loaded):
    _, _, summary, _ = loaded
    for outcome in (f for f in summary.files if f.source_file.startswith("seb/")):
        assert outcome.status == "loaded", outcome.reason
        assert outcome.rows_read > 0
        assert (outcome.rows_loaded, outcome.rows_rejected) == (outcome.rows_read, 0), outcome.rejections
        assert (outcome.new_columns, outcome.missing_columns) == ([], [])


def test_raw_screener_rows_equal_the_truth_rows(loaded):
    _, con, _, truth = loaded
    raw = con.execute(
        "select source_file, source_row, vendor_student_id, measure_id, assessment_date::varchar, scale_score, "
        "percentile from raw.seb_screener_results"
    ).df()
    expected = truth[["source_file", "source_row", "local_student_id", "measure_id", "assessment_date", "scale_score", "percentile"]]
    # a SAEBRS file row holds one block per season: the date tells the blocks apart
    key = ["source_file", "source_row", "measure_id", "assessment_date"]
    raw.columns = expected.columns
    merged = raw.merge(expected, on=key, how="outer", suffixes=("_raw", "_truth"), indicator=True, validate="one_to_one")
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["local_student_id_raw"] == merged["local_student_id_truth"]).all()
    assert (merged["scale_score_raw"] == merged["scale_score_truth"]).all()
    assert merged["percentile_raw"].fillna(-1).equals(merged["percentile_truth"].fillna(-1))
    assert set(truth["measure_id"]) == {
        "saebrs_total", "saebrs_social", "saebrs_academic", "saebrs_emotional", "srss_e", "srss_i", "dessa_mini"
    }


def test_truth_levels_are_the_configured_bands(loaded, definitions):
    _, _, _, truth = loaded
    leveled = truth[truth["performance_level"].notna()]
    basis = pd.Series(np.where(leveled["measure_id"] == "saebrs_total", leveled["percentile"], leveled["scale_score"]), leveled.index)
    assert configured_levels(definitions, leveled, basis).equals(leveled["performance_level"])
    # every screener shows some students at risk and most not
    for measure_id, at_risk_level in (("saebrs_total", "High Risk"), ("srss_e", "High Risk"), ("dessa_mini", "Need for Instruction")):
        shares = leveled[leveled.measure_id == measure_id]["performance_level"].value_counts(normalize=True)
        assert 0 < shares[at_risk_level] < 0.3
    subscales = truth[truth["measure_id"].isin(["saebrs_social", "saebrs_academic", "saebrs_emotional"])]
    assert subscales["performance_level"].isna().all()


def test_screener_dates_fall_in_the_window_of_their_season(loaded, definitions):
    _, con, _, _ = loaded
    windows = definitions.assessment_windows
    found = con.execute(
        "select distinct reported_period, assessment_date from raw.seb_screener_results"
    ).fetchall()
    for period, day in found:
        window = windows[(windows.start_date <= day) & (windows.end_date >= day)]["window_name"].item()
        assert period.split()[0] == window


# ---- hand-written files -------------------------------------------------------------------

SAEBRS_OLD = (
    '"Assessment","School","Local ID","State ID","FAST ID","Grade",'
    '"Fall SAEBRS Teacher SEBA SAEBRS Total Items","Fall SAEBRS Teacher SEBA SAEBRS Items Correct",'
    '"Fall SAEBRS Teacher SEBA SAEBRS Social Items Correct","Fall SAEBRS Teacher Percentile at Nation",'
    '"Fall SAEBRS Teacher Risk Level","Fall SAEBRS Teacher Final Date",'
    '"Winter SAEBRS Teacher SEBA SAEBRS Items Correct","Winter SAEBRS Teacher Percentile at Nation",'
    '"Winter SAEBRS Teacher Risk Level","Winter SAEBRS Teacher Final Date"\n'
    '"SAEBRS Teacher","Dogwood Elementary","13309","13309","3407972","Five","19.0","23.0","5.0",,"someRisk","10/30/2019",'
    '"20.0","N/A*","someRisk","02/28/2020"\n'
    '"SAEBRS Teacher","Dogwood Elementary","13310","13310","3409580","Kindergarten",,,,,,,"41","23","lowRisk","2/2/2021"\n'
)


def test_saebrs_file_with_decimals_words_and_missing_percentiles_loads_each_given_block(tmp_path, definitions):
    (tmp_path / "SAEBRS_Teacher.csv").write_text(SAEBRS_OLD)
    con, summary = ingest(tmp_path, definitions)
    (outcome,) = summary.files
    assert (outcome.file_format, outcome.rows_read, outcome.rows_rejected) == ("fastbridge_saebrs_teacher", 2, 0)
    loaded_rows = rows(con, f"select {RESULT_COLUMNS} from raw.seb_screener_results order by source_row, assessment_date, measure_id")
    assert [
        (r["vendor_student_id"], r["measure_id"], r["assessment_date"], r["scale_score"], r["percentile"],
         r["enrolled_grade"], r["reported_period"], r["vendor_level"])
        for r in loaded_rows
    ] == [
        ("13309", "saebrs_social", "2019-10-30", 5.0, None, 5, "Fall", None),
        ("13309", "saebrs_total", "2019-10-30", 23.0, None, 5, "Fall", "someRisk"),
        ("13309", "saebrs_total", "2020-02-28", 20.0, None, 5, "Winter", "someRisk"),
        ("13310", "saebrs_total", "2021-02-02", 41.0, 23.0, 0, "Winter", "lowRisk"),
    ]


SRSS_OLD_SHEET = (
    "School Year,Screening Period,Screening Date,School ID,Student ID,Grade,SRSS Total,SRSS Risk\n"
    "2024-2025,Fall,9/30/2024,255901101,1000001,K,4,Moderate Risk\n"
    "2024-2025,Winter,2025-01-21,255901101,1000001,K,2,Low Risk\n"
    "2024-2025,Spring,5/12/2025,255901101,1000002,7,22,High Risk\n"
    "2024-2025,Spring,8/12/2025,255901101,1000003,7,1,Low Risk\n"
)


def test_srss_sheet_from_before_the_internalising_items_loads_as_srss_e(tmp_path, definitions):
    (tmp_path / "srss.csv").write_text(SRSS_OLD_SHEET)
    con, summary = ingest(tmp_path, definitions)
    (outcome,) = summary.files
    assert outcome.file_format == "srss_ie_teacher_ratings"
    assert (outcome.rows_read, outcome.rows_loaded) == (4, 2)
    assert outcome.rejections == {("score_out_of_scale", "SRSS Total"): 1, ("date_outside_school_year", "Screening Date"): 1}
    loaded_rows = rows(con, f"select {RESULT_COLUMNS} from raw.seb_screener_results order by source_row")
    assert [(r["measure_id"], r["assessment_date"], r["scale_score"], r["enrolled_grade"]) for r in loaded_rows] == [
        ("srss_e", "2024-09-30", 4.0, 0),
        ("srss_e", "2025-01-21", 2.0, 0),
    ]
    # the old total is a known alternative name; the internalising total is reported missing
    assert "SRSS Total" not in outcome.new_columns
    assert "SRSS-I Total" in outcome.missing_columns


DESSA_FILE = (
    "Student ID,Grade,Site Name,Rating Period,Rating Date,Form,Raw Score,T-Score,Percentile,Description\n"
    "1000001,Kindergarten,Foxglove Elementary,Fall 2025-2026,2025-10-02,DESSA-mini Form 1,9,40,16,Need for Instruction\n"
    "1000002,3,Foxglove Elementary,Fall 2025-2026,10/03/2025,DESSA-mini Form 1,30,75,99,Strength\n"
)


def test_dessa_mini_t_score_outside_28_to_72_is_rejected(tmp_path, definitions):
    (tmp_path / "dessa.csv").write_text(DESSA_FILE)
    con, summary = ingest(tmp_path, definitions)
    (outcome,) = summary.files
    assert outcome.file_format == "dessa_mini_ratings"
    assert outcome.rejections == {("score_out_of_scale", "T-Score"): 1}
    (row,) = rows(con, f"select {RESULT_COLUMNS} from raw.seb_screener_results")
    assert (row["measure_id"], row["scale_score"], row["percentile"], row["enrolled_grade"], row["vendor_level"]) == (
        "dessa_mini", 40.0, 16.0, 0, "Need for Instruction"
    )
