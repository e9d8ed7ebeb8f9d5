"""Grade 1-2 sampling accountability and funding allocations, through the real pipeline.

Expected figures are derived here from the generator's ground truth (truth/*.csv) and the
district's config with plain pandas, hashlib and scipy, independently of the dbt models:
the population is every grade 1-2 student enrolled at the school on the draw date; the draw
orders students by sha256("seed|year|window|school|grade|local id"); MAP Growth is proficient
from the 41st national percentile.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from scipy import stats

from analytics.funding import FundingConfig, allocate
from analytics.sampling import allocate_proportional, draw_order, sample_size
from tests.conftest import CONFIG_DIR, PipelineRun, run_pipeline, spt

pytestmark = pytest.mark.e2e

DESIGN = yaml.safe_load((CONFIG_DIR / "district.yml").read_text())["grade12_sampling"]
FUNDING = yaml.safe_load((CONFIG_DIR / "district.yml").read_text())["funding"]
DRAW_DATES = {"Fall": "09-01", "Winter": "12-01", "Spring": "03-01"}  # Fall from config; others the window start


def published(run: PipelineRun, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(run.published_dir / "district.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).df()


def draw_date(school_year: int, window: str) -> pd.Timestamp:
    month, day = (int(p) for p in DRAW_DATES[window].split("-"))
    return pd.Timestamp(school_year - 1 if month >= 7 else school_year, month, day)


def truth_population(run: PipelineRun, school_year: int, window: str) -> pd.DataFrame:
    """Grade 1-2 students enrolled at each school on the draw date, from the generator's truth."""
    enrollments = pd.read_csv(run.truth_dir / "enrollments.csv", dtype={"local_student_id": str, "school_id": str},
                              parse_dates=["begin_date", "end_date"])
    day = draw_date(school_year, window)
    on_day = enrollments[
        (enrollments["school_year"] == school_year)
        & (enrollments["begin_date"] <= day)
        & (enrollments["end_date"] >= day)
        & enrollments["grade_level"].isin(DESIGN["grades"])
    ]
    return on_day[["school_id", "grade_level", "local_student_id"]]


def truth_results(run: PipelineRun) -> pd.DataFrame:
    """Each student's last MAP result of each window (a same-day retest: the later row wins)."""
    results = pd.read_csv(run.truth_dir / "results.csv", dtype={"local_student_id": str, "school_id": str})
    results = results[results["measure_id"].isin(["map_reading", "map_math"])]
    results = results.sort_values(["local_student_id", "measure_id", "assessment_date", "source_row"])
    last = results.groupby(["local_student_id", "measure_id", "school_year", "window_name"]).tail(1)
    return last.assign(is_proficient=last["percentile"] >= 41)


def ranked_by_hash(population: pd.DataFrame, school_year: int, window: str) -> pd.DataFrame:
    keys = [
        "|".join([DESIGN["seed"], str(school_year), window, s, str(g), i])
        for s, g, i in zip(population["school_id"], population["grade_level"], population["local_student_id"])
    ]
    ranked = population.assign(draw_key=[hashlib.sha256(k.encode()).hexdigest()[:15] for k in keys])
    ranked = ranked.sort_values(["school_id", "grade_level", "draw_key", "local_student_id"])
    ranked["sample_order"] = ranked.groupby(["school_id", "grade_level"]).cumcount() + 1
    return ranked


def designed_n(population_n: int) -> int:
    z = stats.norm.ppf(0.5 + DESIGN["confidence_level"] / 2)
    p, e = DESIGN["expected_proportion"], DESIGN["margin_of_error"]
    n0 = z * z * p * (1 - p) / (e * e)
    n = math.ceil(n0 / (1 + (n0 - 1) / population_n) - 1e-9)
    return min(population_n, max(n, DESIGN["minimum_sample"]))


SAMPLE_SQL = """
    select sample.*, students.local_student_id
    from fct_grade12_sample as sample
    inner join dim_students as students using (student_key)
    where school_year = ? and window_name = ?
"""


@pytest.mark.parametrize("window", ["Fall", "Spring"])
def test_grade12_sample_is_the_roster_on_the_draw_date_in_hash_order(pipeline_run: PipelineRun, window: str):
    school_year = 2026
    expected = ranked_by_hash(truth_population(pipeline_run, school_year, window), school_year, window)
    sample = published(pipeline_run, SAMPLE_SQL + " and subject = 'reading'", [school_year, window])
    merged = expected.merge(sample, on=["school_id", "grade_level", "local_student_id"], how="outer",
                            suffixes=("_expected", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["sample_order_expected"] == merged["sample_order"]).all()
    # Each cell's first n students are the sample, n from the design's formula on N.
    for (school, grade), cell in sample.groupby(["school_id", "grade_level"]):
        n = designed_n(len(cell))
        assert (~cell["is_replacement"]).sum() == n, (school, grade)
        assert set(cell.loc[~cell["is_replacement"], "sample_order"]) == set(range(1, n + 1))
        assert cell["design_weight"].dropna().eq(len(cell) / n).all()


def test_warehouse_draw_agrees_with_the_python_reference(pipeline_run: PipelineRun):
    """The SQL draw and sample sizes equal analytics.sampling's, so a draw can be re-derived anywhere."""
    # one draw serves both subjects (the hash has no subject): check it on reading
    sample = published(pipeline_run, SAMPLE_SQL.replace("school_year = ? and window_name = ?", "subject = 'reading'"))
    order = draw_order(sample, DESIGN["seed"], ["school_year", "window_name", "school_id", "grade_level"],
                       "local_student_id")
    assert len(sample) > 500 and (order == sample["sample_order"]).all()
    cells = sample.groupby(["school_year", "window_name", "school_id", "grade_level", "subject"])
    sizes = cells.size()
    sampled = cells["is_replacement"].apply(lambda r: int((~r).sum()))
    expected = sample_size(sizes.to_numpy(), DESIGN["margin_of_error"], DESIGN["confidence_level"],
                           DESIGN["expected_proportion"], DESIGN["minimum_sample"], DESIGN["maximum_sample"])
    assert (sampled.to_numpy() == expected).all()


def test_one_draw_serves_both_subjects(pipeline_run: PipelineRun):
    sample = published(pipeline_run, "select * from fct_grade12_sample")
    wide = sample.pivot_table(index=["school_year", "window_name", "school_id", "grade_level", "student_key"],
                              columns="subject", values="sample_order")
    assert len(wide) > 100
    assert (wide["reading"] == wide["math"]).all()


def test_school_estimates_match_the_sampled_students_results(pipeline_run: PipelineRun):
    school_year, window = 2026, "Spring"
    results = truth_results(pipeline_run)
    results = results[(results["school_year"] == school_year) & (results["window_name"] == window)]
    sample = published(pipeline_run, SAMPLE_SQL, [school_year, window])
    estimates = published(
        pipeline_run,
        "select * from agg_grade12_accountability where aggregation_level = 'school' and school_year = ? "
        "and window_name = ?",
        [school_year, window],
    )
    assert len(estimates) == len(sample.groupby(["school_id", "grade_level", "subject"]))
    checked = 0
    for row in estimates.itertuples():
        cell = sample[(sample["school_id"] == row.school_id) & (sample["grade_level"] == row.grade_level)
                      & (sample["subject"] == row.subject)].sort_values("sample_order")
        scored = cell.merge(results[results["measure_id"] == f"map_{row.subject}"], on="local_student_id", how="left")
        scored = scored.sort_values("sample_order")
        n = int((~cell["is_replacement"]).sum())
        # the first n assessed students in draw order: absent sampled students are replaced in order
        used = scored[scored["percentile"].notna()].head(n)
        big_n, x = len(cell), int(used["is_proficient"].sum())
        assert (row.population_n, row.sample_n, row.assessed_n) == (big_n, n, len(used))
        assert row.missing_n == int(scored.head(n)["percentile"].isna().sum())
        assert row.n_proficient == x
        p = x / len(used)
        se = math.sqrt((1 - len(used) / big_n) * p * (1 - p) / (len(used) - 1))
        assert row.estimate == pytest.approx(100 * p, abs=0.005)
        assert row.standard_error == pytest.approx(100 * se, abs=0.005)
        assert row.mean_scale_score == pytest.approx(used["scale_score"].mean(), abs=0.005)
        # exact interval, by brute force over the possible numbers M of proficient students
        alpha = 1 - DESIGN["confidence_level"]
        inside = [m for m in range(big_n + 1)
                  if stats.hypergeom.sf(x - 1, big_n, m, len(used)) >= alpha / 2
                  and stats.hypergeom.cdf(x, big_n, m, len(used)) >= alpha / 2]
        assert row.ci_method == "hypergeometric"
        assert row.ci_lower == pytest.approx(100 * min(inside) / big_n, abs=0.005)
        assert row.ci_upper == pytest.approx(100 * max(inside) / big_n, abs=0.005)
        checked += 1
    assert checked >= 8


def test_district_rollup_weights_each_school_by_its_population(pipeline_run: PipelineRun):
    rows = published(pipeline_run, "select * from agg_grade12_accountability where school_year = 2026")
    cells = ["window_name", "grade_level", "subject"]
    schools = rows[rows["aggregation_level"] == "school"]
    district = rows[rows["aggregation_level"] == "district"].set_index(cells)
    for key, group in schools.groupby(cells):
        weights = group["population_n"] / group["population_n"].sum()
        variance = (weights**2 * group["standard_error"] ** 2).sum()
        assert district.loc[key, "population_n"] == group["population_n"].sum()
        assert district.loc[key, "estimate"] == pytest.approx((weights * group["estimate"]).sum(), abs=0.02)
        assert district.loc[key, "standard_error"] == pytest.approx(math.sqrt(variance), abs=0.02)
        assert district.loc[key, "ci_method"] == "t_fpc"


def counts_on_count_date(run: PipelineRun, school_year: int) -> pd.DataFrame:
    """Enrollment and low-income counts per school on 1 October, from the generator's truth."""
    enrollments = pd.read_csv(run.truth_dir / "enrollments.csv", dtype={"local_student_id": str, "school_id": str},
                              parse_dates=["begin_date", "end_date"])
    students = pd.read_csv(run.truth_dir / "students.csv", dtype={"local_student_id": str})
    day = pd.Timestamp(school_year - 1, 10, 1)
    on_day = enrollments[(enrollments["school_year"] == school_year) & (enrollments["begin_date"] <= day)
                         & (enrollments["end_date"] >= day)].merge(students, on="local_student_id",
                                                                   suffixes=("", "_now"))
    counts = on_day.groupby("school_id").agg(
        enrollment=("local_student_id", "size"),
        low_income_public=("is_economically_disadvantaged", "sum"),
        english_learners=("is_english_learner", "sum"),
        students_with_disabilities=("has_disability", "sum"),
        lowest_grade=("grade_level", "min"),
    ).reset_index()
    supplied = pd.read_csv(CONFIG_DIR / FUNDING["counts_file"], dtype={"school_id": str})
    counts = counts.merge(supplied[["school_id", "low_income_private"]], on="school_id", how="left")
    counts["low_income_private"] = counts["low_income_private"].fillna(0).astype(int)
    counts["grade_span"] = counts["lowest_grade"].map(lambda g: "high" if g >= 9 else "middle" if g >= 6 else "elementary")
    return counts


def test_published_funding_is_the_formula_on_the_roster_counts(pipeline_run: PipelineRun):
    formulas = FundingConfig.model_validate(FUNDING).formulas
    for school_year in (2025, 2026):
        counts = counts_on_count_date(pipeline_run, school_year)
        funding = published(pipeline_run, "select * from fct_school_funding where fiscal_year = ?", [school_year])
        for formula in formulas:
            expected = allocate(counts, formula).schools.set_index("school_id")
            got = funding[funding["method"] == formula.name].set_index("school_id")
            assert sorted(got.index) == sorted(expected.index)
            assert (got["enrollment"] == expected["enrollment"]).all()
            assert (got["low_income_public"] == expected["low_income_public"]).all()
            assert (got["allocation"].astype(float) * 100).round().astype(int).equals(
                expected.loc[got.index, "allocation_cents"].astype(int))


def test_funding_lines_add_up_to_the_appropriation_to_the_cent(pipeline_run: PipelineRun):
    lines = published(pipeline_run, "select * from agg_funding_lines where method = 'title_i'")
    for _, year in lines.groupby("fiscal_year"):
        assert year["amount"].sum() == year["appropriation"].iloc[0] == 1_850_000
        reserved = year.loc[year["line_type"] == "reservation"].set_index("line_name")["amount"]
        # 4% and 1% of $1,850,000 plus the fixed amounts
        assert reserved.to_dict() == {"administration": 74_000, "parent_and_family_engagement": 18_500,
                                      "homeless": 30_000, "neglected": 12_500}


def test_public_file_has_the_aggregates_and_not_the_sample(pipeline_run: PipelineRun):
    with duckdb.connect(str(pipeline_run.published_dir / "public.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        columns = {r[0] for r in con.execute("select column_name from information_schema.columns").fetchall()}
    assert {"agg_grade12_accountability", "agg_school_funding", "agg_funding_lines"} <= tables
    assert not {"fct_grade12_sample", "fct_school_funding", "fct_school_counts"} & tables
    assert "student_key" not in columns


def test_funding_what_if_on_a_counts_file_leaves_the_publication_alone(pipeline_run: PipelineRun, tmp_path: Path):
    before = {p.name: p.stat().st_mtime_ns for p in pipeline_run.published_dir.iterdir()}
    # Hand-worked: $1,000 appropriation, no reservations; district poverty 150/300 = 50%.
    # A (90%) is served first (above 75%); B (50%) meets the district average; C (10%) does not.
    # 90 + 50 = 140 low-income children share $1,000: $7.142857 each; A 642.86, B 357.14.
    (tmp_path / "scenario.yml").write_text(
        "method: title_i\nname: scenario\nappropriation: 1000\n", encoding="utf-8")
    (tmp_path / "counts.csv").write_text(
        "school_id,enrollment,low_income_public\nA,100,90\nB,100,50\nC,100,10\n", encoding="utf-8")
    out = tmp_path / "scenario.csv"
    result = spt("funding", "--config", str(tmp_path / "scenario.yml"), "--counts", str(tmp_path / "counts.csv"),
                 "--out", str(out), "--warehouse", str(pipeline_run.warehouse_dir))
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out, dtype={"school_id": str}).set_index("school_id")
    assert table["allocation"].to_dict() == {"A": 642.86, "B": 357.14, "C": 0.0}
    assert "642.86" in result.stdout
    assert before == {p.name: p.stat().st_mtime_ns for p in pipeline_run.published_dir.iterdir()}


def test_funding_what_if_on_the_warehouse_counts(pipeline_run: PipelineRun, tmp_path: Path):
    out = tmp_path / "wsf.csv"
    result = spt("funding", "--config", str(CONFIG_DIR / "district.yml"), "--year", "2026", "--out", str(out),
                 "--warehouse", str(pipeline_run.warehouse_dir))
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out, dtype={"school_id": str})
    funding = published(pipeline_run, "select * from fct_school_funding where fiscal_year = 2026")
    merged = table.merge(funding, on=["school_id", "method"], suffixes=("", "_published"))
    assert len(merged) == len(funding) > 0
    assert (merged["allocation"] == merged["allocation_published"].astype(float)).all()


def test_sample_rosters_list_who_to_assess_per_school(pipeline_run: PipelineRun, tmp_path: Path):
    result = spt("sample-rosters", "--year", "2026", "--window", "Spring", "--out", str(tmp_path),
                 "--warehouse", str(pipeline_run.warehouse_dir))
    assert result.returncode == 0, result.stderr
    sample = published(pipeline_run, SAMPLE_SQL + " and subject = 'reading'", [2026, "Spring"])
    csvs = sorted(tmp_path.glob("*.csv"))
    assert len(csvs) == sample["school_id"].nunique() == len(list(tmp_path.glob("*.xlsx")))
    roster = pd.concat([pd.read_csv(p, dtype={"local_student_id": str, "school_id": str}) for p in csvs])
    assert len(roster) == len(sample)
    assert (roster["subjects"] == "math, reading").all()
    assert (roster["role"] == "assess").sum() == (~sample["is_replacement"]).sum()
    assert roster["last_name"].notna().all()


def test_check_sampling_reports_coverage_near_the_confidence_level(pipeline_run: PipelineRun, tmp_path: Path):
    out = tmp_path / "coverage.csv"
    result = spt("check-sampling", "--draws", "400", "--out", str(out), "--warehouse", str(pipeline_run.warehouse_dir))
    assert result.returncode == 0, result.stderr
    coverage = pd.read_csv(out)
    sampled = coverage[coverage["sample_n"] < coverage["population_n"]]
    assert len(sampled) >= 3
    # The exact interval is conservative: at least the nominal 95% on average, never far below.
    assert 0.93 <= sampled["coverage"].mean() <= 1.0
    assert sampled["bias"].abs().max() < 0.03
    assert "coverage mean" in result.stdout


def test_stratified_design_with_suppression(pipeline_run: PipelineRun, tmp_path: Path):
    """A second design on the same files: stratified by economic disadvantage, t intervals, minimum n 31.

    Samples of about 30 to 33 students put some school cells under 31 and some over."""
    config = tmp_path / "config"
    config.mkdir()
    for path in CONFIG_DIR.iterdir():
        (config / path.name).write_bytes(path.read_bytes())
    district = yaml.safe_load((CONFIG_DIR / "district.yml").read_text())
    district["grade12_sampling"].update(stratify_by="economically_disadvantaged", ci_method="t_fpc")
    district["privacy"]["minimum_n"] = 31
    (config / "district.yml").write_text(yaml.safe_dump(district), encoding="utf-8")
    warehouse = tmp_path / "warehouse"
    result = run_pipeline(pipeline_run.landing_dir, warehouse, config)
    assert result.returncode == 0, result.stderr[-3000:]
    with duckdb.connect(str(warehouse / "published" / "district.duckdb"), read_only=True) as con:
        strata = con.execute(
            "select school_year, window_name, school_id, grade_level, subject, stratum, count(*) as population, "
            "sum(case when not is_replacement then 1 else 0 end) as sampled from fct_grade12_sample group by all"
        ).df()
        rows = con.execute("select * from agg_grade12_accountability where aggregation_level = 'school'").df()
    # proportional allocation: each stratum's share of the sample is its share of the population (+-1)
    cells = strata.groupby(["school_year", "window_name", "school_id", "grade_level", "subject"])
    strata["cell_population"] = cells["population"].transform("sum")
    strata["cell_sampled"] = cells["sampled"].transform("sum")
    quota = strata["cell_sampled"] * strata["population"] / strata["cell_population"]
    assert ((strata["sampled"] - quota).abs() < 1 + 1e-9).all()
    assert set(strata["stratum"]) == {"economically_disadvantaged:yes", "economically_disadvantaged:no"}
    for _, cell in cells:
        cell = cell.sort_values("stratum")
        n = sample_size([cell["population"].sum()], DESIGN["margin_of_error"], DESIGN["confidence_level"],
                        DESIGN["expected_proportion"], DESIGN["minimum_sample"], DESIGN["maximum_sample"])[0]
        assert list(cell["sampled"]) == list(allocate_proportional(cell["population"].to_numpy(), int(n)))
    assert (rows.loc[~rows["is_suppressed"], "ci_method"] == "t_fpc").all()
    # every school cell under 31 assessed is hidden, and with it the district row of its group
    assert rows.loc[rows["assessed_n"] < 31, "is_suppressed"].all()
    assert rows.loc[rows["assessed_n"] >= 31, "is_suppressed"].eq(False).all()
    assert rows["is_suppressed"].any() and not rows["is_suppressed"].all()
    with duckdb.connect(str(warehouse / "published" / "public.duckdb"), read_only=True) as con:
        public = con.execute("select * from agg_grade12_accountability").df()
    groups = ["school_year", "window_name", "grade_level", "subject"]
    hidden_school = public[public["aggregation_level"] == "school"].groupby(groups)["is_suppressed"].any()
    district_rows = public[public["aggregation_level"] == "district"].set_index(groups)["is_suppressed"]
    assert (district_rows == hidden_school.loc[district_rows.index]).all()
    assert public.loc[public["is_suppressed"], ["estimate", "n_proficient", "ci_lower"]].isna().all().all()
