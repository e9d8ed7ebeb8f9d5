"""The whole pipeline through the `spt` command line, checked against the generated export files.

Expected figures are computed here straight from the vendor files with pandas, with rules a
person can check by hand: MAP Growth is proficient from the 41st national percentile (NWEA's
"Avg" quintile and above); the DIBELS 8 kindergarten composite is proficient from the
University of Oregon "At Benchmark" goal (306 at BOY, 371 at MOY, 420 at EOY).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import PipelineRun, run_pipeline, spt

pytestmark = pytest.mark.e2e

MINIMUM_N = 10


def school_year_and_window(dates: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The demo calendar: the year starts 1 July; Fall from July, Winter from December, Spring from March."""
    school_year = dates.dt.year + (dates.dt.month >= 7).astype(int)
    window = pd.Series("Spring", index=dates.index)
    window[dates.dt.month.isin([7, 8, 9, 10, 11])] = "Fall"
    window[dates.dt.month.isin([12, 1, 2])] = "Winter"
    return school_year, window


def grade_number(values: pd.Series) -> pd.Series:
    return values.replace({"K": "0", "KG": "0"}).astype(int)


def read_map_exports(landing: Path) -> pd.DataFrame:
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted((landing / "nwea_map").glob("*.csv"))]
    tests = pd.concat(frames, ignore_index=True)
    tests["date"] = pd.to_datetime(tests["TestStartDate"], format="%m/%d/%Y")
    tests["school_year"], tests["window_name"] = school_year_and_window(tests["date"])
    tests["measure_id"] = tests["Subject"].map({"Reading": "map_reading", "Mathematics": "map_math"})
    tests["grade_level"] = grade_number(tests["Grade"])
    tests["rit"] = tests["TestRITScore"].astype(float)
    tests["proficient"] = tests["TestPercentile"].astype(int) >= 41
    # A same-day retest counts once: the later start time wins; then the student's last test in the window.
    tests = tests.sort_values(["StudentID", "measure_id", "date", "TestStartTime"])
    return tests.groupby(["StudentID", "measure_id", "school_year", "window_name"]).tail(1)


def expected_cells(tests: pd.DataFrame, school_column: str) -> pd.DataFrame:
    cells = tests.groupby([school_column, "school_year", "window_name", "grade_level", "measure_id"]).agg(
        n_tested=("proficient", "size"), n_proficient=("proficient", "sum"), mean=("score", "mean")
    )
    # Unrounded: the published figures are rounded to one decimal, so they may differ by up to 0.05.
    cells["pct_proficient"] = 100 * cells["n_proficient"] / cells["n_tested"]
    cells.index = cells.index.set_names(["school_id", "school_year", "window_name", "grade_level", "measure_id"])
    return cells.reset_index()


def published_cells(published: Path, measure_id: str) -> pd.DataFrame:
    with duckdb.connect(str(published / "public.duckdb"), read_only=True) as con:
        return con.execute(
            "select school_id, school_year, window_name, grade_level, measure_id, n_tested, n_proficient, "
            "pct_proficient, mean_scale_score, is_suppressed from agg_school_proficiency "
            "where student_group = 'all' and measure_id = ?",
            [measure_id],
        ).df()


def compare(expected: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    keys = ["school_id", "school_year", "window_name", "grade_level", "measure_id"]
    merged = expected.merge(published, on=keys, how="outer", suffixes=("_expected", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][keys + ["_merge"]].head()
    return merged


@pytest.mark.parametrize("measure_id", ["map_reading", "map_math"])
def test_map_proficiency_matches_the_export_files(pipeline_run: PipelineRun, measure_id: str):
    tests = read_map_exports(pipeline_run.landing_dir)
    tests = tests[tests["measure_id"] == measure_id].assign(score=lambda t: t["rit"])
    merged = compare(expected_cells(tests, "School_StateID"), published_cells(pipeline_run.published_dir, measure_id))
    shown = merged[~merged["is_suppressed"]]
    hidden = merged[merged["is_suppressed"]]
    assert len(shown) > 20, "the small district should publish most school-grade cells"
    assert (shown["n_tested_expected"] >= MINIMUM_N).all()
    assert (hidden["n_tested_expected"] < MINIMUM_N).all()
    assert (shown["n_tested"] == shown["n_tested_expected"]).all()
    assert (shown["n_proficient"] == shown["n_proficient_expected"]).all()
    assert (shown["pct_proficient"] - shown["pct_proficient_expected"]).abs().max() <= 0.0501
    assert (shown["mean_scale_score"] - shown["mean"]).abs().max() <= 0.0501
    assert hidden[["n_tested", "n_proficient", "pct_proficient", "mean_scale_score"]].isna().all().all()


def test_dibels_kindergarten_composite_matches_the_export_files(pipeline_run: PipelineRun):
    frames = [
        pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for p in sorted((pipeline_run.landing_dir / "mclass").glob("*.csv"))
    ]
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[(rows["Assessment Grade"] == "K") & (rows["Composite Score"] != "")].copy()
    rows["date"] = pd.to_datetime(rows["Client Date"], format="%Y-%m-%d")
    rows["school_year"], rows["window_name"] = school_year_and_window(rows["date"])
    rows["grade_level"] = grade_number(rows["Enrollment Grade"])
    rows["score"] = rows["Composite Score"].astype(float)
    at_benchmark = rows["window_name"].map({"Fall": 306, "Winter": 371, "Spring": 420})
    rows["proficient"] = rows["score"] >= at_benchmark
    rows["measure_id"] = "dibels8_composite"
    rows = rows.sort_values(["Student Primary ID", "date"]).groupby(
        ["Student Primary ID", "school_year", "window_name"]
    ).tail(1)
    # Students in grade 1 who are still working at kindergarten level take the kindergarten form:
    # they are judged by the kindergarten goals and counted in their own (enrolled) grade.
    assert (rows["grade_level"] > 0).any()
    merged = compare(
        expected_cells(rows, "Primary School ID"), published_cells(pipeline_run.published_dir, "dibels8_composite")
    )
    shown = merged[~merged["is_suppressed"]]
    assert len(shown) >= 6
    assert (merged[merged["is_suppressed"]]["n_tested_expected"] < MINIMUM_N).all()
    assert (shown["n_tested"] == shown["n_tested_expected"]).all()
    assert (shown["n_proficient"] == shown["n_proficient_expected"]).all()


def count_data_rows(path: Path) -> int:
    return len(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"))


def test_every_landing_row_is_loaded_or_rejected(pipeline_run: PipelineRun):
    # the roster and the two main vendors, counted here with pandas; every family's files are
    # counted against the generator's own figures in test_sources.py
    files = sorted(
        p for folder in ("oneroster", "nwea_map", "mclass") for p in (pipeline_run.landing_dir / folder).glob("*.csv")
    )
    expected = {p.relative_to(pipeline_run.landing_dir).as_posix(): count_data_rows(p) for p in files}
    with duckdb.connect(str(pipeline_run.warehouse_dir / "build.duckdb"), read_only=True) as con:
        manifest = {
            row[0]: row[1:]
            for row in con.execute(
                "select source_file, rows_read, rows_loaded, rows_rejected from raw.file_manifest"
            ).fetchall()
        }
    assert set(expected) <= set(manifest)
    for name, rows in expected.items():
        rows_read, rows_loaded, rows_rejected = manifest[name]
        assert rows_read == rows == rows_loaded + rows_rejected, name


def test_published_results_trace_back_to_their_source_rows(pipeline_run: PipelineRun):
    truth = pd.read_csv(pipeline_run.truth_dir / "results.csv", dtype={"local_student_id": str})
    with duckdb.connect(str(pipeline_run.published_dir / "district.duckdb"), read_only=True) as con:
        facts = con.execute(
            "select s.local_student_id, f.measure_id, f.assessment_date, f.scale_score, f.school_id, "
            "f.source_file, f.source_row from fct_assessment_results f join dim_students s using (student_key)"
        ).df()
    facts["assessment_date"] = pd.to_datetime(facts["assessment_date"])
    truth["assessment_date"] = pd.to_datetime(truth["assessment_date"])
    # a seasonal wide row (FastBridge, SAEBRS) gives one result per season: the date is in the key
    merged = facts.merge(
        truth, on=["source_file", "source_row", "measure_id", "assessment_date"], suffixes=("", "_truth")
    )
    assert len(merged) == len(facts)
    assert (merged["local_student_id"] == merged["local_student_id_truth"]).all()
    # a rating given as a level alone (a portfolio) has no score on either side
    both_missing = merged["scale_score"].isna() & merged["scale_score_truth"].isna()
    assert ((merged["scale_score"] == merged["scale_score_truth"]) | both_missing).all()
    assert (merged["school_id"].astype(str) == merged["school_id_truth"].astype(str)).all()


def test_public_file_holds_no_student_level_table(pipeline_run: PipelineRun):
    with duckdb.connect(str(pipeline_run.published_dir / "public.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        columns = {r[0] for r in con.execute("select column_name from information_schema.columns").fetchall()}
    assert tables == {
        "agg_school_proficiency",
        "agg_grade12_accountability",
        "agg_school_funding",
        "agg_funding_lines",
        "agg_school_growth",
        "agg_progress_matrix",
        "agg_mtss_tiers",
        "agg_intervention_effectiveness",
        "dim_schools",
        "dim_measures",
        "dim_assessment_windows",
        "data_quality_runs",
    }
    assert not columns & {"student_key", "local_student_id", "first_name", "last_name", "birth_date"}


def table_fingerprints(db: Path) -> dict[str, str]:
    """A digest of every published table's content; the run history (one more line per run) aside."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
        return {
            t: con.execute(f"select md5(string_agg(r::varchar, '|' order by r::varchar)) from {t} r").fetchone()[0]
            for t in tables
            if t != "data_quality_runs"
        }


def test_second_run_on_the_same_files_changes_nothing(pipeline_run: PipelineRun, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(pipeline_run.warehouse_dir, warehouse, symlinks=True)
    before = table_fingerprints(warehouse / "published" / "district.duckdb")
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        manifest_before = con.execute("select count(*), sum(rows_loaded) from raw.file_manifest").fetchone()
    result = run_pipeline(pipeline_run.landing_dir, warehouse)
    assert result.returncode == 0, result.stderr[-3000:]
    with duckdb.connect(str(warehouse / "build.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), sum(rows_loaded) from raw.file_manifest").fetchone() == manifest_before
    assert table_fingerprints(warehouse / "published" / "district.duckdb") == before


def folder_digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_failing_blocking_check_leaves_the_publication_byte_for_byte_unchanged(
    pipeline_run: PipelineRun, tmp_path: Path
):
    warehouse = tmp_path / "warehouse"
    landing = tmp_path / "landing"
    shutil.copytree(pipeline_run.warehouse_dir, warehouse)
    shutil.copytree(pipeline_run.landing_dir, landing)
    published_before = folder_digest(warehouse / "published")
    # A known student tested on 2 July, before any roster enrollment of the new year begins, at a
    # school the roster does not know: the result cannot be attributed to a known school, and the
    # dbt relationship test from results to schools fails.
    export = sorted((landing / "nwea_map").glob("*.csv"))[0]
    header = export.read_text().splitlines()[0]
    columns = header.split(",")
    values = pd.read_csv(export, dtype=str, keep_default_na=False, nrows=1).iloc[0].to_dict()
    values.update({
        "School_StateID": "999999999", "TestStartDate": "07/02/2025", "TestStartTime": "09:00:00",
        "TermName": "Fall 2025-2026",
    })
    late = ",".join(f'"{values[c]}"' for c in columns)
    (landing / "nwea_map" / "ComboStudentAssessment_summer.csv").write_text(header + "\n" + late + "\n")

    result = run_pipeline(landing, warehouse)

    assert result.returncode != 0
    assert "previous publication is unchanged" in result.stderr
    assert "school" in result.stderr
    assert folder_digest(warehouse / "published") == published_before


def test_publication_gate_blocks_a_build_without_results(pipeline_run: PipelineRun, tmp_path: Path):
    # The roster arrives but no assessment export does: every dbt test passes on the empty fact
    # table, and the publication gate (a blocking Dagster asset check) stops the publish.
    landing = tmp_path / "landing"
    shutil.copytree(pipeline_run.landing_dir / "oneroster", landing / "oneroster")
    warehouse = tmp_path / "warehouse"
    shutil.copytree(pipeline_run.published_dir, warehouse / "published")
    published_before = folder_digest(warehouse / "published")

    result = run_pipeline(landing, warehouse)

    assert result.returncode != 0
    assert "publication blocked" in result.stderr
    assert "fct_assessment_results: is empty" in result.stderr
    assert folder_digest(warehouse / "published") == published_before
    # the blocked run is in the data quality history and has its report
    history = pd.read_parquet(warehouse / "runs" / "data_quality_runs.parquet")
    assert history["status"].tolist() == ["blocked"]
    assert "fct_assessment_results_not_empty" in history["failed_checks"].iloc[0]
    report = (warehouse / "reports" / "quality-latest.html").read_text()
    assert "blocked" in report and "fct_assessment_results: is empty" in report


def test_a_cumulative_redelivery_does_not_double_count(pipeline_run: PipelineRun, tmp_path: Path):
    # The vendor sends the year's file again with its rows plus none new, under another name and
    # with Windows line endings (so the content hash differs): every row is already known.
    warehouse = tmp_path / "warehouse"
    shutil.copytree(pipeline_run.warehouse_dir, warehouse)
    landing = tmp_path / "landing"
    shutil.copytree(pipeline_run.landing_dir, landing)
    original = sorted((landing / "nwea_map").glob("*.csv"))[-1]
    resent = landing / "nwea_map" / "ComboStudentAssessment_resent.csv"
    resent.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))
    rows_in_file = count_data_rows(original)
    with duckdb.connect(str(pipeline_run.published_dir / "district.duckdb"), read_only=True) as con:
        facts_before = con.execute("select count(*) from fct_assessment_results").fetchone()[0]

    result = run_pipeline(landing, warehouse)

    assert result.returncode == 0, result.stderr[-3000:]
    with duckdb.connect(str(warehouse / "published" / "district.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from fct_assessment_results").fetchone()[0] == facts_before
        resent_rows = con.execute(
            "select reason, count(*) from audit_excluded_results where source_file = ? group by reason",
            ["nwea_map/" + resent.name],
        ).fetchall()
    # The later delivery wins each tie: every row of the original file repeats a row of the new one
    # and is set aside as a duplicate delivery; of the new file's rows only the earlier test of each
    # same-day retest pair is set aside, as a superseded retest.
    truth = pd.read_csv(pipeline_run.truth_dir / "results.csv")
    retests_in_file = int(truth[(truth.source_file == "nwea_map/" + original.name) & truth.is_retest].shape[0])
    assert retests_in_file > 0
    assert resent_rows == [("same_day_retest_superseded", retests_in_file)]
    with duckdb.connect(str(warehouse / "published" / "district.duckdb"), read_only=True) as con:
        original_rows = con.execute(
            "select reason, count(*) from audit_excluded_results where source_file = ? group by reason",
            ["nwea_map/" + original.name],
        ).fetchall()
    assert original_rows == [("duplicate_delivery", rows_in_file)]


def test_status_reports_the_last_run_and_the_publication(pipeline_run: PipelineRun):
    result = spt("status", "--warehouse", str(pipeline_run.warehouse_dir))
    assert result.returncode == 0, result.stderr
    assert "published" in result.stdout
    with duckdb.connect(str(pipeline_run.published_dir / "district.duckdb"), read_only=True) as con:
        facts = con.execute("select count(*) from fct_assessment_results").fetchone()[0]
    assert f"{facts:,}" in result.stdout
    assert "agg_school_proficiency" in result.stdout
    assert "Data quality: 1 run(s): 1 published" in result.stdout


def test_each_publication_carries_the_data_quality_history(pipeline_run: PipelineRun):
    record = pd.read_json(pipeline_run.warehouse_dir / "runs" / "last_run.json", typ="series")
    with duckdb.connect(str(pipeline_run.published_dir / "public.duckdb"), read_only=True) as con:
        runs = con.execute("select * from data_quality_runs").df()
    with duckdb.connect(str(pipeline_run.published_dir / "district.duckdb"), read_only=True) as con:
        read, loaded, rejected = con.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_rejected) from main.data_quality_runs"
        ).fetchone()
    assert runs["run_id"].tolist() == [record["run_id"]]
    assert runs["status"].tolist() == ["published"]
    assert runs["checks_failed"].tolist() == [0] and runs["checks_run"].iloc[0] == len(record["checks"])
    assert read == loaded + rejected == record["manifest"]["rows_read"]
    report = Path(record["report"]).read_text()
    assert "published" in report and "Row accounting" in report


def test_suppressed_cells_cannot_be_recovered_from_the_shown_totals(pipeline_run: PipelineRun):
    """Subtracting shown cells from the 'all' row never isolates one hidden group with students."""
    with duckdb.connect(str(pipeline_run.published_dir / "district.duckdb"), read_only=True) as con:
        published = con.execute("select * from agg_school_proficiency").df()
        # true tested counts per cell and group, from the student-level facts
        true_counts = con.execute(
            """
            with tested as (
                select r.school_id, r.school_year, r.window_name, r.enrolled_grade as grade_level, r.measure_id,
                       s.*
                from fct_assessment_results r join dim_students s using (student_key)
                where r.is_latest_in_window and r.performance_level is not null
                  and r.school_id is not null and r.enrolled_grade is not null
            )
            select school_id, school_year, window_name, grade_level, measure_id, student_group, count(*) as n
            from (
                select *, 'all' as student_group from tested
                union all select *, 'economically_disadvantaged' from tested where is_economically_disadvantaged
                union all select *, 'english_learner' from tested where is_english_learner
                union all select *, 'students_with_disabilities' from tested where has_disability
                union all select *, 'race_ethnicity:' || race_ethnicity from tested where race_ethnicity is not null
                union all select *, 'gender:' || gender from tested where gender is not null
            ) group by all
            """
        ).df()
    cell = ["school_id", "school_year", "window_name", "grade_level", "measure_id"]
    merged = published.merge(true_counts, on=[*cell, "student_group"], how="left")
    merged["n"] = merged["n"].fillna(0).astype(int)
    hidden_checked = 0
    for _, rows in merged.groupby(cell):
        everyone = rows[rows["student_group"] == "all"].iloc[0]
        if everyone["is_suppressed"]:
            continue
        one_group = rows[rows["student_group"].isin(
            ["economically_disadvantaged", "english_learner", "students_with_disabilities"])]
        for group in one_group[~one_group["is_suppressed"]].itertuples():
            assert not 1 <= everyone["n"] - group.n < MINIMUM_N, (group.student_group, everyone["n"], group.n)
        for prefix in ("race_ethnicity:", "gender:"):
            family = rows[rows["student_group"].str.startswith(prefix)]
            hidden = [n for n in family.loc[family["is_suppressed"], "n"] if n > 0]
            without_value = everyone["n"] - family["n"].sum()
            quantities = hidden + ([without_value] if without_value > 0 else [])
            assert len(quantities) != 1, (prefix, quantities)
            hidden_checked += len(hidden)
    assert hidden_checked > 50


def test_every_catalogued_check_ran_and_passed(pipeline_run: PipelineRun):
    from orchestration.stages import check_catalog

    record = pd.read_json(pipeline_run.warehouse_dir / "runs" / "last_run.json", typ="series")
    ran = {c["name"]: c for c in record["checks"]}
    catalogued = {name for name, _, _ in check_catalog()}
    assert set(ran) == catalogued
    assert all(c["passed"] and c["blocking"] for c in ran.values())
    assert len(ran) > 40
