"""Grade codes to grade levels: the one crosswalk, read from the dbt project's `grade_codes` var.

Files write a grade as 'KG', 'K', '01', '3rd Grade', 'Grade 3', 'Third' or 'Pre-K'. Each is
trimmed, upper-cased and stripped of the word GRADE, then looked up in the crosswalk, which gives
the integer grade level used everywhere: PK = -1, K = 0, then 1-12. The dbt macro
`grade_code_to_integer` reads the same var and normalises the same way, so a file, the roster and
the district's config accept exactly the same spellings.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

DBT_PROJECT_FILE = Path(__file__).resolve().parent.parent / "dbt_project" / "dbt_project.yml"
GRADE_LEVELS = tuple(range(-1, 13))


@lru_cache(maxsize=1)
def grade_codes() -> dict[str, int]:
    """Every accepted spelling (normalised) and its grade level."""
    crosswalk = yaml.safe_load(DBT_PROJECT_FILE.read_text())["vars"]["grade_codes"]
    codes: dict[str, int] = {}
    for entry in crosswalk:
        level = int(entry["grade_level"])
        if level not in GRADE_LEVELS:
            raise ValueError(f"{DBT_PROJECT_FILE}: grade_level {level} is outside PK-12")
        for code in entry["codes"]:
            key = normalise(str(code))
            if key in codes:
                raise ValueError(f"{DBT_PROJECT_FILE}: grade code '{code}' is listed twice")
            codes[key] = level
    return codes


def normalise(code: str) -> str:
    """Trimmed, upper case, without the word GRADE."""
    return code.strip().upper().replace("GRADE", "").strip()


def grade_level(code: str | None) -> int | None:
    """The grade level of a code, or None when the code is not a grade."""
    if code is None:
        return None
    return grade_codes().get(normalise(code))


def grade_sql(expression: str) -> str:
    """DuckDB SQL giving the grade level of a text expression (NULL when it is not a grade)."""
    branches = "\n".join(f"    when {_quoted(code)} then {level}" for code, level in grade_codes().items())
    return f"case trim(replace(upper(trim({expression})), 'GRADE', ''))\n{branches}\nend"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
