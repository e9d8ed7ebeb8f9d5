"""What the accountability and funding commands do, on the published files (never the build)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import yaml

from publication.spreadsheet import write_csv, write_xlsx

RESTRICTED_FILE = "district.duckdb"


def _published(published_dir: Path) -> duckdb.DuckDBPyConnection:
    path = Path(published_dir) / RESTRICTED_FILE
    if not path.exists():
        raise FileNotFoundError(f"no publication at {path}; run `spt run` or `spt demo` first")
    return duckdb.connect(str(path), read_only=True)


# ---------------------------------------------------------------- funding what-if


def read_formulas(config_file: Path) -> list:
    """Formulas from a YAML file: a district.yml (its funding.formulas), a `formulas:` list, or one formula."""
    from analytics.funding import FundingConfig

    document = yaml.safe_load(Path(config_file).read_text(encoding="utf-8")) or {}
    if "funding" in document:
        document = document["funding"]
    if "method" in document:
        document = {"formulas": [document]}
    return FundingConfig.model_validate(document).formulas


def read_counts_file(counts_file: Path) -> pd.DataFrame:
    """Per-school counts for a what-if (CSV): school_id, enrollment, low_income_public and optionally
    school_year, grade_span, low_income_private, english_learners, students_with_disabilities,
    direct_certification. The poverty count is taken as given (`low_income_public`)."""
    counts = pd.read_csv(counts_file, dtype={"school_id": str})
    required = {"school_id", "enrollment", "low_income_public"}
    missing = sorted(required - set(counts.columns))
    if missing:
        raise ValueError(f"{Path(counts_file).name}: missing column(s) {', '.join(missing)}")
    defaults = {
        "school_year": 0,
        "grade_span": "elementary",
        "low_income_private": 0,
        "english_learners": 0,
        "students_with_disabilities": 0,
    }
    for column, value in defaults.items():
        if column not in counts:
            counts[column] = value
    counts["economically_disadvantaged"] = counts["low_income_public"]
    counts["supplied_enrollment"] = counts["enrollment"]
    counts["supplied_low_income_public"] = counts["low_income_public"]
    if "direct_certification" not in counts:
        counts["direct_certification"] = pd.NA
    return counts


def warehouse_counts(published_dir: Path) -> pd.DataFrame:
    with _published(published_dir) as con:
        return con.execute("select * from fct_school_counts").df()


def funding_what_if(formulas: list, counts: pd.DataFrame, fiscal_year: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Allocation tables for the formulas on the counts (latest year unless one is named), in dollars."""
    from analytics.funding_tables import allocate_all

    years = sorted(int(y) for y in counts["school_year"].unique())
    if not years:
        raise ValueError("no per-school counts to allocate on")
    year = fiscal_year if fiscal_year is not None else years[-1]
    if year not in years:
        raise ValueError(f"no counts for fiscal year {year} (years with counts: {', '.join(map(str, years))})")
    scoped = [formula.model_copy(update={"fiscal_years": [year]}) for formula in formulas]
    schools, lines = allocate_all(counts[counts["school_year"] == year], scoped)
    for frame in (schools, lines):
        for cents in [c for c in frame.columns if c.endswith("_cents")]:
            frame[cents.removesuffix("_cents")] = frame[cents].astype("Float64") / 100
    schools = schools.drop(columns=[c for c in schools.columns if c.endswith("_cents")])
    lines = lines.drop(columns=[c for c in lines.columns if c.endswith("_cents")])
    return schools, lines


# ---------------------------------------------------------------- grade 1-2 sample rosters

ROSTER_SQL = """
    select
        sample.school_id,
        schools.school_name,
        sample.school_year,
        sample.window_name,
        sample.grade_level,
        sample.sample_order,
        case when sample.is_replacement then 'replacement' else 'assess' end as role,
        sample.stratum,
        students.local_student_id,
        students.last_name,
        students.first_name,
        string_agg(sample.subject, ', ' order by sample.subject) as subjects
    from fct_grade12_sample as sample
    inner join dim_students as students on students.student_key = sample.student_key
    left join dim_schools as schools on schools.school_id = sample.school_id
    where sample.school_year = ? and (? is null or sample.window_name = ?)
    group by all
    order by sample.school_id, sample.window_name, sample.grade_level, sample.stratum, sample.sample_order,
        students.local_student_id
"""


def latest_sampled_year(published_dir: Path) -> int:
    with _published(published_dir) as con:
        year = con.execute("select max(school_year) from fct_grade12_sample").fetchone()[0]
    if year is None:
        raise ValueError("the publication has no grade 1-2 sample (config grade12_sampling is not set)")
    return int(year)


def write_sample_rosters(published_dir: Path, out_dir: Path, school_year: int, window_name: str | None) -> list[Path]:
    """One CSV and one workbook per school listing who to assess, in order, then the ranked replacements.

    Names are in these files: they are for the school's teachers and stay inside the district.
    """
    with _published(published_dir) as con:
        roster = con.execute(ROSTER_SQL, [school_year, window_name, window_name]).df()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for school_id, school in roster.groupby("school_id", sort=True):
        stem = f"grade12_sample_{school_id}_{school_year}" + (f"_{window_name}" if window_name else "")
        written.append(write_csv(school, out_dir / f"{stem}.csv"))
        sheets = {
            f"{window} grade {grade}": part.drop(columns=["school_id", "school_name", "school_year"])
            for (window, grade), part in school.groupby(["window_name", "grade_level"], sort=False)
        }
        written.append(write_xlsx(sheets, out_dir / f"{stem}.xlsx"))
    return written


# ---------------------------------------------------------------- design check (coverage)

CENSUS_SQL = """
    with results as (
        select student_key, school_year, window_name, measure_id, is_proficient, scale_score
        from fct_assessment_results
        where is_latest_in_window and performance_level is not null
    ),
    population as (
        select
            sample.school_year, sample.window_name, sample.school_id, sample.grade_level, sample.subject,
            sample.student_key, results.is_proficient, results.scale_score,
            count(results.student_key) over cell = count(*) over cell as is_census
        from fct_grade12_sample as sample
        left join results using (student_key, school_year, window_name, measure_id)
        window cell as (partition by sample.school_year, sample.window_name, sample.school_id,
                        sample.grade_level, sample.subject)
    )
    select * exclude (is_census) from population where is_census
"""
CELL_KEYS = ["school_year", "window_name", "school_id", "grade_level", "subject"]


def census_population(published_dir: Path) -> tuple[pd.DataFrame, int]:
    """Students of every sampling cell in which everyone was assessed, and the number of cells in all."""
    with _published(published_dir) as con:
        population = con.execute(CENSUS_SQL).df()
        cells = con.execute(f"select count(*) from (select distinct {', '.join(CELL_KEYS)} from fct_grade12_sample)").fetchone()[0]
    return population, int(cells)


def check_design(published_dir: Path, design, draws: int, seed: int) -> tuple[pd.DataFrame, int]:
    """Coverage and bias of the configured design over repeated simple random draws from census cells."""
    from analytics.sampling import simulate_coverage

    population, cells = census_population(published_dir)
    if population.empty:
        return pd.DataFrame(), cells
    population["is_proficient"] = population["is_proficient"].astype(bool)
    result = simulate_coverage(
        population,
        CELL_KEYS,
        draws=draws,
        seed=seed,
        margin_of_error=design.margin_of_error,
        confidence=design.confidence_level,
        minimum=design.minimum_sample,
        maximum=design.maximum_sample,
        ci_method=design.ci_method,
        expected_proportion=design.expected_proportion,
    )
    return result, cells
