"""The grade-code crosswalk: files, the roster (dbt) and the district's config read the same
spellings as the same grades."""

from __future__ import annotations

import duckdb
import jinja2
import pytest
import yaml

from definitions.measures import CutScoreRow
from ingestion.grades import DBT_PROJECT_FILE, grade_codes, grade_level, grade_sql
from publication.contract import DBT_PROJECT_DIR

SPELLINGS = {
    "PK": -1, "Pre-K": -1, "prek": -1, "-1": -1,
    "K": 0, "KG": 0, "kindergarten": 0, "Kindergarten Grade": 0, "00": 0,
    "1": 1, "01": 1, "1st": 1, "Grade 1": 1, "First Grade": 1, "one": 1,
    "3rd Grade": 3, " grade 3 ": 3, "GRADE3": 3, "Third": 3, "03": 3,
    "10": 10, "10th": 10, "Twelfth": 12, "12": 12,
}
NOT_GRADES = ["TK", "UG", "Other", "13", "3ST", "", "Grade", "PS", "1.5"]


def test_hand_checked_spellings():
    for code, level in SPELLINGS.items():
        assert grade_level(code) == level, code
    for code in [*NOT_GRADES, None]:
        assert grade_level(code) is None, code


def test_every_grade_from_pk_to_12_has_its_plain_code():
    assert {grade_level(code) for code in ["PK", "K", *map(str, range(1, 13))]} == set(range(-1, 13))
    assert set(grade_codes().values()) == set(range(-1, 13))


def duckdb_levels(sql_of, codes: list[str | None]) -> list[int | None]:
    with duckdb.connect() as con:
        con.execute("create table codes (i integer, code varchar)")
        con.executemany("insert into codes values (?, ?)", list(enumerate(codes)))
        return [r[0] for r in con.execute(f"select {sql_of('code')} from codes order by i").fetchall()]


def macro_sql(expression: str) -> str:
    project_vars = yaml.safe_load(DBT_PROJECT_FILE.read_text())["vars"]
    env = jinja2.Environment()
    env.globals["var"] = lambda name: project_vars[name]
    text = (DBT_PROJECT_DIR / "macros" / "grade_level.sql").read_text()
    return str(env.from_string(text).module.grade_code_to_integer(expression))


@pytest.mark.parametrize("sql_of", [grade_sql, macro_sql], ids=["ingestion", "dbt_macro"])
def test_sql_reads_every_spelling_as_python_does(sql_of):
    codes = [*SPELLINGS, *NOT_GRADES, None, *grade_codes()]
    assert duckdb_levels(sql_of, codes) == [grade_level(code) for code in codes]


def test_the_config_accepts_the_same_spellings():
    row = dict(measure_id="m", window_name="Fall", level="at", min_score=0, max_score=1)
    assert CutScoreRow(**row, grade_level="3rd Grade").grade_level == "3rd Grade"
    with pytest.raises(ValueError, match="is not a grade"):
        CutScoreRow(**row, grade_level="TK")
