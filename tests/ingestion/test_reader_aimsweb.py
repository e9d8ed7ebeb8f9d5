"""aimswebPlus reader: the long score export lands in raw.aimsweb_results, one row per file row, and
its national percentile places each result in the aimswebPlus bands."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from definitions import load_definitions
from ingestion.files import read_header
from ingestion.formats import matching_formats
from ingestion.load import IngestRules, IngestSummary, ingest_landing
from synthetic import generate_district

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
DEFINITIONS = load_definitions(CONFIG_DIR)
RULES = IngestRules.from_definitions(DEFINITIONS)


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
    shutil.copytree(root / "landing" / "aimsweb", root / "family" / "aimsweb")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    return Ingested(root, con, ingest_landing(con, root / "family", rules=RULES))


def test_generated_export_is_read_as_the_aimsweb_layout_only(generated):
    (outcome,) = generated.summary.files
    assert outcome.source_file == "aimsweb/20260610_ExportScore.csv"
    header = read_header(generated.root / "family" / outcome.source_file)
    assert len(header) == 93
    assert [f.name for f in matching_formats(header)] == ["aimswebplus_scores"]


def test_generated_export_loads_every_row_with_no_drift(generated):
    (outcome,) = generated.summary.files
    assert outcome.status == "loaded"
    assert outcome.rows_read == outcome.rows_loaded > 0
    assert outcome.rows_rejected == 0
    assert (outcome.new_columns, outcome.missing_columns) == ([], [])


def test_generated_results_equal_the_truth(generated):
    truth = pd.read_csv(generated.root / "truth" / "results.csv", dtype={"local_student_id": str, "school_id": str})
    truth = truth[truth["source_file"].str.startswith("aimsweb/")]
    # aimswebPlus writes its own student uid, "PS" + (local ID x 7 + 130000013)
    pearson_uid = "PS" + (truth["local_student_id"].astype(int) * 7 + 130000013).astype(str)
    expected = sorted(
        zip(truth["source_row"], pearson_uid, truth["school_id"], truth["measure_id"],
            truth["assessment_date"], truth["scale_score"], truth["percentile"].astype(float),
            truth["instructional_grade"], truth["window_name"])
    )
    loaded = generated.con.execute(
        "select source_row, vendor_student_id, school_ref, measure_id, strftime(assessment_date, '%Y-%m-%d'), "
        "scale_score, percentile, assessed_grade, reported_period from raw.aimsweb_results order by all"
    ).fetchall()
    assert loaded == expected


def test_truth_levels_are_the_configured_percentile_bands(generated):
    truth = pd.read_csv(generated.root / "truth" / "results.csv", dtype={"local_student_id": str})
    truth = truth[truth["source_file"].str.startswith("aimsweb/")]
    cuts = DEFINITIONS.cut_scores
    keys = ["measure_id", "grade_level", "window_name"]
    cuts = cuts.loc[cuts["measure_id"].str.startswith("aimsweb_"), keys + ["level", "min_score", "max_score"]]
    placed = truth.assign(grade_level=truth["instructional_grade"]).merge(cuts, on=keys)
    placed = placed[(placed["percentile"] >= placed["min_score"]) & (placed["percentile"] <= placed["max_score"])]
    assert len(placed) == len(truth)
    assert (placed["level"] == placed["performance_level"]).all()
    assert set(placed["level"]) == {
        "Well Below Average", "Below Average", "Average", "Above Average", "Well Above Average",
    }


def test_battery_rows_carry_the_risk_status(generated):
    rows = generated.con.execute(
        "select measure_id, vendor_level, min(percentile), max(percentile) from raw.aimsweb_results "
        "where measure_id in ('aimsweb_reading', 'aimsweb_math') group by all order by all"
    ).fetchall()
    assert {(m, level) for m, level, _, _ in rows} <= {
        (m, level) for m in ("aimsweb_math", "aimsweb_reading") for level in ("HIGH", "LOW", "MODERATE")
    }
    assert all(high <= 10 for _, level, _, high in rows if level == "HIGH")
    components = generated.con.execute(
        "select count(vendor_level) from raw.aimsweb_results where measure_id in ('aimsweb_orf', 'aimsweb_nsf')"
    ).fetchone()[0]
    assert components == 0


# ---- a hand-written tab-separated ExportScore file (the shorter 50-column layout) ---------------

EXPORT_SCORE_HEADER = (
    "Districtuid\tDistrictName\tSchooluid\tSchoolName\tClassUid\tClassName\tTeacheruid\tTeacherFirstName\t"
    "TeacherMiddleName\tTeacherLastName\tStudentuid\tSSID\tSourceID\tStudentFirstName\tStudentMiddleName\t"
    "StudentLastName\tStudentGrade\tPeriod\tType\tIsBatteryScore\tRelatedForm\tMeasureName\tMeasureGrade\tFormCode\t"
    "Score\tVerticalScore\tErrors\tAccuracy\tScaledScore\tCSEM\tAdministrationDate\tSchoolYear\tOffGrade\tNormGroup\t"
    "Lexile\tQuantile\tFallWinRoi\tWinSprRoi\tFallSprRoi\tFallWinSgp\tWinSprSgp\tFallSprSgp\tNatl\tDist\tSch\t"
    "RiskStatus\tProbability\tF-Index\tConsistencyIndex\tResponsePatternIndex"
)
EXPORT_SCORE_ROWS = [
    "8080\tApple Grove\t100\tBonsai Elementary\t100\tKramer (73485)\t99999\t\t\t\t13259\t\t13259\tLucinda\tCC\tBeedy\t"
    "K\tFall\tBM\t1\tELB\tEarly Literacy\tK\tDRF_ELB0001\t212\t\t\t\t\t\t2023-10-16\t'23-'24\t\t\t\t\t\t\t\t\t\t\t"
    "8\t\t\tHIGH\t\t\t\t",
    "8080\tApple Grove\t100\tBonsai Elementary\t100\tKramer (73485)\t99999\t\t\t\t13259\t\t13259\tLucinda\tCC\tBeedy\t"
    "K\tFall\tBM\t0\tLNF\tLetter Naming Fluency\tK\tDRF_LNF0001\t11\t\t2\t85%\t\t\t2023-10-12\t'23-'24\t\t\t\t\t\t\t"
    "\t\t\t\t30\t\t\t\t\t\t\t",
    "8080\tApple Grove\t100\tBonsai Elementary\t100\tKramer (73485)\t99999\t\t\t\t13524\t\t13524\tBrock\tBB\tRowley\t"
    "3\tFall\tBM\t0\tVOC\tVocabulary\t3\tAWR03VOC101\t12\t208\t10\t55%\t\t\t2023-10-12\t'23-'24\t\t\t\t\t\t\t\t\t\t\t"
    "37\t\t\t\t\t\t\t",
    "8080\tApple Grove\t100\tBonsai Elementary\t100\tKramer (73485)\t99999\t\t\t\t13524\t\t13524\tBrock\tBB\tRowley\t"
    "3\tFall\tBM\t0\tSNNF\tSpanish Number Naming Fluency\t3\tDRF_SNNF0302\t18\t\t2\t90%\t\t\t2023-10-12\t'23-'24\t"
    "\t\t\t\t\t\t\t\t\t\t6\t\t\t\t\t\t\t",
]


def test_tab_separated_export_score_file_loads_with_its_measures(tmp_path):
    path = tmp_path / "landing" / "aimsweb" / "20231020_0055_ExportScore.txt"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join([EXPORT_SCORE_HEADER, *EXPORT_SCORE_ROWS]) + "\n", encoding="utf-8")
    con = duckdb.connect()
    (outcome,) = ingest_landing(con, tmp_path / "landing", rules=RULES).files
    assert outcome.file_format == "aimswebplus_scores"
    # the shorter layout lacks the roster columns of the 93-column one and adds three indices
    assert set(outcome.new_columns) == {"F-Index", "ConsistencyIndex", "ResponsePatternIndex"}
    assert "IEP_Reading" in outcome.missing_columns
    assert (outcome.rows_loaded, outcome.rows_rejected) == (3, 1)
    assert outcome.rejections == {("unknown_measure", "MeasureName"): 1}
    rows = con.execute(
        "select vendor_student_id, school_ref, measure_id, enrolled_grade, assessed_grade, "
        "strftime(assessment_date, '%Y-%m-%d'), scale_score, percentile, vendor_level, reported_period "
        "from raw.aimsweb_results order by source_row"
    ).fetchall()
    assert rows == [
        ("13259", "100", "aimsweb_early_literacy", 0, 0, "2023-10-16", 212.0, 8.0, "HIGH", "Fall"),
        ("13259", "100", "aimsweb_lnf", 0, 0, "2023-10-12", 11.0, 30.0, None, "Fall"),
        ("13524", "100", "aimsweb_vocabulary", 3, 3, "2023-10-12", 12.0, 37.0, None, "Fall"),
    ]


def test_students_never_synced_reach_the_roster_through_the_crosswalk(generated):
    shutil.copytree(generated.root / "landing" / "crosswalk", generated.root / "crosswalk_only" / "crosswalk")
    ingest_landing(generated.con, generated.root / "crosswalk_only", rules=RULES)
    rows = generated.con.execute(
        "select count(*), count(*) filter (where state_student_id is null), "
        "count(*) filter (where state_student_id is null and vendor_student_id in "
        "(select vendor_student_id from raw.student_id_crosswalk)) from raw.aimsweb_results"
    ).fetchone()
    total, unsynced, crosswalked = rows
    assert 0 < unsynced < total / 4
    assert crosswalked == unsynced
