"""`spt growth-percentiles`: student growth percentiles from a CSV of scale scores, no warehouse needed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

console = Console(stderr=True, soft_wrap=True)
report = Console(soft_wrap=True)

# Columns of the input: one row per student, school year (the spring year), subject and grade.
INPUT_COLUMNS = ("student_id", "school_year", "grade_level", "subject", "scale_score")
_WHOLE_NUMBERS = {"school_year": "a year such as 2025 (the spring of the school year)", "grade_level": "a whole grade number"}


class ScoreFileError(ValueError):
    """A scores file that cannot be read; the message names the file, the line and the column."""


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(code)


def read_scores(path: Path):
    """The scores of a long CSV as a pandas frame (student_id and subject text, years, grades and
    scores numbers; a blank scale_score is kept as missing: not tested).

    Raises ScoreFileError naming the file, and the line and column of the first bad value.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from pyarrow import csv

    try:
        table = csv.read_csv(
            path,
            convert_options=csv.ConvertOptions(
                column_types={column: pa.string() for column in INPUT_COLUMNS}, strings_can_be_null=True
            ),
        )
    except (pa.ArrowInvalid, OSError) as error:
        raise ScoreFileError(f"{path.name}: not a readable CSV: {str(error).splitlines()[0]}") from None
    missing = [column for column in INPUT_COLUMNS if column not in table.column_names]
    if missing:
        raise ScoreFileError(f"{path.name}: missing column(s) {', '.join(missing)}")
    frame = table.select(list(INPUT_COLUMNS)).to_pandas()
    # Line 1 is the header.
    line = pd.RangeIndex(2, len(frame) + 2)

    def first_problem(bad: np.ndarray, column: str, what: str) -> str:
        rows = np.flatnonzero(bad)
        value = frame[column].iloc[rows[0]]
        shown = "is empty" if pd.isna(value) else f"'{value}' is not {what}"
        more = f" (and {rows.size - 1} more row(s))" if rows.size > 1 else ""
        return f"{path.name} line {line[rows[0]]}, column '{column}': {shown}{more}"

    for column in ("student_id", "subject"):
        text = frame[column].str.strip()
        empty = (text.isna() | (text == "")).to_numpy()
        if empty.any():
            raise ScoreFileError(first_problem(empty, column, "text"))
        frame[column] = text
    for column, what in _WHOLE_NUMBERS.items():
        numbers = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        bad = (numbers.isna() | (numbers != numbers.round())).to_numpy()
        if bad.any():
            raise ScoreFileError(first_problem(bad, column, what))
        frame[column] = numbers.astype("int64")
    text = frame["scale_score"].str.strip()
    given = (text.notna() & (text != "")).to_numpy()
    scores = pd.to_numeric(text.where(given), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = given & ~np.isfinite(scores)
    if bad.any():
        raise ScoreFileError(first_problem(bad, "scale_score", "a number"))
    frame["scale_score"] = scores
    return frame


@click.command("growth-percentiles")
@click.option("--input", "input_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with student_id, school_year (spring year), grade_level, subject, scale_score.")
@click.option("--output", "output_file", required=True, type=click.Path(dir_okay=False),
              help="CSV to write: one row per student, subject and year with a prior-grade score.")
@click.option("--max-priors", default=2, show_default=True, type=click.IntRange(1, 2),
              help="Prior years per model: 1 (last year's score) or 2 (also the year before).")
# The default is analytics.sgp.DEFAULT_MIN_COHORT, imported only when the command runs so that
# every other `spt` command starts without loading scipy.
@click.option("--min-cohort", default=None, type=click.IntRange(1),
              help="Fewest students a cohort needs to get percentiles [default: 500].")
def growth_percentiles_command(input_file: str, output_file: str, max_priors: int, min_cohort: int | None) -> None:
    """Student growth percentiles (Betebenner's SGP, exact quantile regressions) from a CSV of scale scores.

    Students without last year's score at the grade below (new, retained, skipped a grade) are not
    written; a cohort smaller than --min-cohort gets empty percentiles. Exits 1 when the file
    cannot be used, naming the file, the line and the column.
    """
    from analytics.sgp import DEFAULT_MIN_COHORT, OUTPUT_COLUMNS, growth_percentiles
    from publication.spreadsheet import write_csv

    started = time.monotonic()
    source = Path(input_file)
    try:
        scores = read_scores(source)
    except ScoreFileError as error:
        _fail(str(error))
    untested = int(scores["scale_score"].isna().sum())
    minimum = DEFAULT_MIN_COHORT if min_cohort is None else min_cohort
    try:
        with console.status(f"Fitting growth models for {len(scores) - untested:,} scores"):
            result = growth_percentiles(scores, max_priors=max_priors, min_cohort=minimum)
    except (ValueError, ArithmeticError) as error:
        _fail(f"{source.name}: {error}")
    out = Path(output_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(result[list(OUTPUT_COLUMNS)], out)
    seconds = time.monotonic() - started

    table = Table(title=f"Growth percentiles in {seconds:.1f} s (cohorts of at least {minimum})")
    for column in ("subject", "school year", "grade", "with a prior", "scored", "from two priors"):
        table.add_column(column, justify="left" if column == "subject" else "right")
    cohorts = result.groupby(["subject", "school_year", "grade_level"], sort=True).agg(
        students=("student_id", "size"),
        scored=("growth_percentile", "count"),
        two_priors=("n_priors", lambda n: int((n == 2).sum())),
    )
    for (subject, year, grade), row in cohorts.iterrows():
        table.add_row(str(subject), str(year), str(grade), f"{row.students:,}",
                      f"{row.scored:,}" if row.scored else "[yellow]0[/] (too few)", f"{row.two_priors:,}")
    report.print(table)
    if untested:
        report.print(f"{untested:,} row(s) without a scale score (not tested) were left out")
    report.print(f"{int(result['growth_percentile'].notna().sum()):,} growth percentiles written to {out}")
