"""School-defined files (docs/school-defined-format.md): each kind is recognised from its header
alone, loads typed, and refuses the values its documentation rules out."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from definitions import load_definitions
from ingestion.files import read_header
from ingestion.formats import matching_formats
from ingestion.formats.school_defined import (
    GOALS_HEADER,
    INCIDENTS_HEADER,
    INTERVENTIONS_HEADER,
    MARKBOOK_HEADER,
    SCHOOL_MEASURES_HEADER,
)
from ingestion.load import IngestRules, ingest_landing
from synthetic import generate_district

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
DISTRICT = {"students": 300, "schools": 3, "years": 2, "seed": 11}
HEADERS = {
    "school_measures": SCHOOL_MEASURES_HEADER,
    "school_markbook": MARKBOOK_HEADER,
    "school_interventions": INTERVENTIONS_HEADER,
    "school_goals": GOALS_HEADER,
    "school_incidents": INCIDENTS_HEADER,
}


@pytest.fixture(scope="module")
def definitions():
    return load_definitions(CONFIG_DIR)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, definitions):
    out = tmp_path_factory.mktemp("district")
    generate_district(out, **DISTRICT)
    # only this family's folder is loaded: the other families have tests of their own
    landing = out / "school_landing"
    shutil.copytree(out / "landing" / "school_defined", landing / "school_defined")
    con = duckdb.connect(str(out / "warehouse.duckdb"))
    summary = ingest_landing(con, landing, rules=IngestRules.from_definitions(definitions))
    truth = pd.read_csv(out / "truth" / "results.csv", dtype={"local_student_id": str, "school_id": str})
    yield landing, con, summary, truth[truth["source_file"].str.startswith("school_defined/")]
    con.close()


def ingest(landing: Path, definitions):
    con = duckdb.connect()
    summary = ingest_landing(con, landing, rules=IngestRules.from_definitions(definitions))
    return con, summary


def write_csv(folder: Path, name: str, lines: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(lines) + "\n")


# ---- detection ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(HEADERS))
def test_each_kind_is_recognised_from_its_full_header_and_from_its_required_columns(kind):
    (fmt,) = matching_formats(list(HEADERS[kind]))
    assert fmt.name == kind
    required = [c for c in HEADERS[kind] if c in fmt.required_columns]
    assert [f.name for f in matching_formats(required)] == [kind]


@pytest.mark.parametrize("first, second", list(itertools.combinations(sorted(HEADERS), 2)))
def test_a_header_mixing_two_kinds_matches_neither(first, second):
    mixed = list(dict.fromkeys(HEADERS[first] + HEADERS[second]))
    assert matching_formats(mixed) == []


def test_generated_school_files_each_match_one_layout_and_load_every_row(loaded):
    landing, _, summary, _ = loaded
    kinds = set()
    for outcome in summary.files:
        assert [f.name for f in matching_formats(read_header(landing / outcome.source_file))] == [outcome.file_format]
        assert outcome.status == "loaded", outcome.reason
        assert outcome.rows_read > 0
        assert (outcome.rows_loaded, outcome.rows_rejected) == (outcome.rows_read, 0), outcome.rejections
        assert (outcome.new_columns, outcome.missing_columns) == ([], [])
        kinds.add((Path(outcome.source_file).suffix, outcome.file_format))
    # school measures come both as a workbook and as CSV
    assert kinds == {(".xlsx", "school_measures")} | {(".csv", kind) for kind in HEADERS}


# ---- generated content --------------------------------------------------------------------


def test_school_measure_rows_equal_the_truth_rows(loaded):
    _, con, _, truth = loaded
    raw = con.execute(
        "select source_file, source_row, vendor_student_id as local_student_id, measure_id, "
        "assessment_date::varchar as assessment_date, scale_score, percentile, vendor_level "
        "from raw.school_measure_results"
    ).df()
    merged = raw.merge(truth, on=["source_file", "source_row"], how="outer", suffixes=("_raw", ""), indicator=True,
                       validate="one_to_one")
    assert (merged["_merge"] == "both").all()
    for column in ("local_student_id", "measure_id", "assessment_date"):
        assert (merged[f"{column}_raw"] == merged[column]).all(), column
    assert merged["scale_score_raw"].fillna(-1).equals(merged["scale_score"].fillna(-1))
    assert merged["percentile_raw"].fillna(-1).equals(merged["percentile"].astype(float).fillna(-1))
    portfolio = merged[merged["measure_id"] == "school_writing_portfolio"]
    # a rating-only measure: no score, the level given is the performance level
    assert portfolio["scale_score_raw"].isna().all()
    assert (portfolio["vendor_level"] == portfolio["performance_level"]).all()
    assert set(truth["measure_id"]) == {"school_writing_portfolio", "school_phonics_check", "school_standardised_reading"}


def test_markbook_uses_two_descriptor_sets_with_descriptors_of_each(loaded, definitions):
    _, con, _, _ = loaded
    used = con.execute("select distinct subject, descriptor_set, descriptor from raw.school_markbook").fetchall()
    sets = definitions.descriptor_sets.groupby("descriptor_set")["descriptor"].apply(set).to_dict()
    assert {s for _, s, _ in used} == {"emerging_developing_secure", "below_meeting_above"}
    assert all(descriptor in sets[descriptor_set] for _, descriptor_set, descriptor in used)
    grades = con.execute("select count(distinct objective_id) from raw.school_markbook").fetchone()[0]
    assert grades == 18  # three reading and three mathematics objectives in each of K, 1 and 2


def test_interventions_are_tiered_and_each_has_one_goal(loaded):
    _, con, _, _ = loaded
    tiers = dict(con.execute("select tier, count(*) from raw.school_interventions group by tier").fetchall())
    assert set(tiers) == {2, 3} and tiers[2] > tiers[3]
    unmatched = con.execute(
        "select count(*) from raw.school_goals g full join raw.school_interventions i using (intervention_id) "
        "where g.goal_id is null or i.student_id is null or g.student_id <> i.student_id"
    ).fetchone()[0]
    assert unmatched == 0
    assert con.execute(
        "select count(*) from raw.school_goals where goal_score <= baseline_score or goal_date <= baseline_date"
    ).fetchone()[0] == 0


def test_incidents_come_mostly_from_a_few_students(loaded):
    _, con, _, _ = loaded
    counts = [n for (n,) in con.execute(
        "select count(*) as n from raw.school_incidents group by student_id order by n desc"
    ).fetchall()]
    landing = loaded[0]
    enrolled = json.loads((landing.parent / "truth" / "summary.json").read_text())["students_enrolled_by_year"]["2026"]
    # the 5% of students with the most incidents have a large share of them
    top = counts[: enrolled // 20]
    assert sum(top) / sum(counts) > 0.3
    shared = con.execute(
        "select count(*) from (select incident_id from raw.school_incidents group by incident_id having count(*) > 1)"
    ).fetchone()[0]
    assert shared > 0  # fights involve two students under one incident


# ---- hand-written files -------------------------------------------------------------------


def test_school_measures_csv_takes_either_date_form_a_level_alone_and_any_case_of_measure_id(tmp_path, definitions):
    write_csv(tmp_path / "school_defined", "measures.csv", [
        "student_id,school_id,measure_id,assessment_date,score,level,percentile",
        "1000001,255901101,School_Phonics_Check,2/3/2026,34,,",
        "1000002,255901101,school_writing_portfolio,2026-02-03,,Developing,",
        "1000003,255901101,school_standardised_reading,2026-02-03,101,,52",
        "1000004,255901101,school_phonics_check,2026-02-03,41,,",
        "1000005,255901101,school_phonics_check,2026-02-03,,,",
        "1000006,255901101,school_phonics_check,31/12/2026,30,,",
    ])
    con, summary = ingest(tmp_path, definitions)
    (outcome,) = summary.files
    assert outcome.file_format == "school_measures"
    assert outcome.rejections == {
        ("score_out_of_scale", "score"): 1, ("missing_value", "score"): 1, ("unparseable_date", "assessment_date"): 1,
    }
    assert con.execute(
        "select vendor_student_id, school_ref, measure_id, assessment_date::varchar, scale_score, percentile, vendor_level "
        "from raw.school_measure_results order by source_row"
    ).fetchall() == [
        ("1000001", "255901101", "school_phonics_check", "2026-02-03", 34.0, None, None),
        ("1000002", "255901101", "school_writing_portfolio", "2026-02-03", None, None, "Developing"),
        ("1000003", "255901101", "school_standardised_reading", "2026-02-03", 101.0, 52.0, None),
    ]


def test_school_measures_workbook_reads_date_and_number_cells(tmp_path, definitions):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(SCHOOL_MEASURES_HEADER))
    sheet.append(["1000001", "255901101", "school_phonics_check", dt.date(2026, 2, 3), 33, None, None])
    sheet.append([1000002, "255901101", "school_writing_portfolio", dt.datetime(2026, 5, 20), None, "Secure", None])
    (tmp_path / "school_defined").mkdir()
    workbook.save(tmp_path / "school_defined" / "assessments.xlsx")
    con, summary = ingest(tmp_path, definitions)
    (outcome,) = summary.files
    assert (outcome.file_format, outcome.rows_loaded, outcome.rows_rejected) == ("school_measures", 2, 0)
    assert con.execute(
        "select vendor_student_id, measure_id, assessment_date::varchar, scale_score, vendor_level, source_row "
        "from raw.school_measure_results order by source_row"
    ).fetchall() == [
        ("1000001", "school_phonics_check", "2026-02-03", 33.0, None, 2),
        ("1000002", "school_writing_portfolio", "2026-05-20", None, "Secure", 3),
    ]


def test_intervention_tier_must_be_2_or_3_and_the_end_date_may_be_empty(tmp_path, definitions):
    write_csv(tmp_path, "interventions.csv", [
        ",".join(INTERVENTIONS_HEADER),
        "INT-1,1000001,255901101,Small-group phonics,2,2025-10-01,,900012,120,reading,dibels8_orf",
        "INT-2,1000002,255901101,Intensive phonics (1:1),3,10/6/2025,2026-02-02,900013,180,,",
        "INT-3,1000003,255901101,Behaviour plan,4,2025-10-01,,900014,60,,",
        "INT-1,1000004,255901101,Small-group phonics,2,2025-10-01,,900012,120,reading,dibels8_orf",
    ])
    con, summary = ingest(tmp_path, definitions)
    (outcome,) = summary.files
    assert outcome.file_format == "school_interventions"
    assert outcome.rejections == {("unknown_value", "tier"): 1, ("duplicate_row", "(record key)"): 1}
    assert con.execute(
        "select intervention_id, student_id, tier, start_date::varchar, end_date::varchar, minutes_per_week, subject, "
        "measure_id from raw.school_interventions order by source_row"
    ).fetchall() == [
        ("INT-1", "1000001", 2, "2025-10-01", None, 120, "reading", "dibels8_orf"),
        ("INT-2", "1000002", 3, "2025-10-06", "2026-02-02", 180, None, None),
    ]


def test_goal_scores_are_numbers_and_dates_are_required(tmp_path, definitions):
    write_csv(tmp_path, "goals.csv", [
        ",".join(GOALS_HEADER),
        "G-1,1000001,dibels8_orf,23,2025-09-24,\"1,050\",2026-05-15,INT-1",
        "G-2,1000002,dibels8_orf,31.5,2025-09-24,70,2026-05-15,",
        "G-3,1000003,dibels8_orf,thirty,2025-09-24,70,,",
        # a decimal comma is not a thousands separator: 1,05 is not read as 105
        "G-4,1000004,dibels8_orf,20,2025-09-24,\"1,05\",2026-05-15,",
    ])
    con, summary = ingest(tmp_path, definitions)
    (outcome,) = summary.files
    assert outcome.file_format == "school_goals"
    assert outcome.rejections == {
        ("unparseable_number", "baseline_score"): 1, ("missing_value", "goal_date"): 1,
        ("unparseable_number", "goal_score"): 1,
    }
    assert con.execute(
        "select goal_id, baseline_score, goal_score, goal_date::varchar, intervention_id from raw.school_goals order by source_row"
    ).fetchall() == [("G-1", 23.0, 1050.0, "2026-05-15", "INT-1"), ("G-2", 31.5, 70.0, "2026-05-15", None)]


def test_an_incident_may_involve_several_students_and_severity_is_minor_or_major(tmp_path, definitions):
    write_csv(tmp_path, "incidents.csv", [
        ",".join(INCIDENTS_HEADER),
        "INC-7,1000001,255901101,11/04/2025,Fighting,,Playground,Major",
        "INC-7,1000002,255901101,11/04/2025,Fighting,,Playground,major",
        "INC-8,1000003,255901101,2025-11-05,Disruption,cls-255901101-03-2026,Classroom,",
        "INC-9,1000004,255901101,2025-11-05,Defiance,,Hallway,critical",
        "INC-7,1000001,255901101,11/04/2025,Fighting,,Playground,major",
    ])
    con, summary = ingest(tmp_path, definitions)
    (outcome,) = summary.files
    assert outcome.file_format == "school_incidents"
    assert outcome.rejections == {("unknown_value", "severity"): 1, ("duplicate_row", "(record key)"): 1}
    assert con.execute(
        "select incident_id, student_id, incident_date::varchar, class_id, severity from raw.school_incidents order by source_row"
    ).fetchall() == [
        ("INC-7", "1000001", "2025-11-04", None, "Major"),
        ("INC-7", "1000002", "2025-11-04", None, "major"),
        ("INC-8", "1000003", "2025-11-05", "cls-255901101-03-2026", None),
    ]


def test_markbook_entry_needs_its_descriptor_and_date(tmp_path, definitions):
    write_csv(tmp_path, "markbook.csv", [
        ",".join(MARKBOOK_HEADER),
        "1000001,255901101,reading,RF.K.1d,\"Recognise and name all upper- and lowercase letters\",emerging_developing_secure,Secure,2026-01-22,800001",
        "1000001,255901101,math,K.CC.1,,below_meeting_above,,2026-01-22,800001",
        "1000002,255901101,math,K.CC.1,,below_meeting_above,Meeting,,",
    ])
    con, summary = ingest(tmp_path, definitions)
    (outcome,) = summary.files
    assert outcome.file_format == "school_markbook"
    assert outcome.rejections == {("missing_value", "descriptor"): 1, ("missing_value", "assessment_date"): 1}
    assert con.execute(
        "select student_id, objective_id, objective, descriptor_set, descriptor, assessment_date::varchar, teacher_id "
        "from raw.school_markbook"
    ).fetchall() == [
        ("1000001", "RF.K.1d", "Recognise and name all upper- and lowercase letters", "emerging_developing_secure",
         "Secure", "2026-01-22", "800001"),
    ]
