"""`spt growth-percentiles`: a CSV of scale scores in, a CSV of growth percentiles out, no warehouse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from analytics.sgp import OUTPUT_COLUMNS, growth_percentiles
from orchestration.growth_cli import growth_percentiles_command
from tests.conftest import spt

HEADER = "student_id,school_year,grade_level,subject,scale_score\n"


def scores_frame(students: int = 150, seed: int = 5) -> pd.DataFrame:
    """Math and reading scores of grade 3 in 2023, 4 in 2024 and 5 in 2025; 30 students arrive in 2024."""
    rng = np.random.default_rng(seed)
    frames = []
    for subject in ("math", "reading"):
        score = rng.normal(420, 35, students)
        for k, (year, grade) in enumerate([(2023, 3), (2024, 4), (2025, 5)]):
            if k:
                score = score + 25 - 0.15 * (score - 420) + rng.normal(0, 15, students)
            present = slice(30, None) if year == 2023 else slice(None)
            frames.append(pd.DataFrame({
                "student_id": [f"S{i:03d}" for i in range(students)][present],
                "school_year": year,
                "grade_level": grade,
                "subject": subject,
                "scale_score": np.round(score)[present],
            }))
    return pd.concat(frames, ignore_index=True)


def run_command(*args: str):
    return CliRunner().invoke(growth_percentiles_command, list(args))


def test_the_command_writes_the_growth_percentiles_the_library_computes(tmp_path: Path):
    scores = scores_frame()
    scores.to_csv(tmp_path / "scores.csv", index=False)
    result = spt("growth-percentiles", "--input", str(tmp_path / "scores.csv"),
                 "--output", str(tmp_path / "growth.csv"), "--min-cohort", "100")
    assert result.returncode == 0, result.stderr
    written = pd.read_csv(tmp_path / "growth.csv", dtype={"student_id": str, "subject": str}).astype(
        {c: "Int64" for c in ("growth_percentile", "growth_percentile_order1", "n_priors")})
    expected = growth_percentiles(scores, max_priors=2, min_cohort=100)
    assert list(written.columns) == list(OUTPUT_COLUMNS)
    # per subject: 120 grade 4 students in 2024 (30 arrived that year) and 150 grade 5 in 2025
    # have last year's score
    assert len(written) == 540
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    # 120 students per subject have both 2023 and 2024 scores for their 2025 percentile
    assert (written["n_priors"] == 2).sum() == 240
    assert "Growth percentiles" in result.stdout and "540 growth percentiles written" in result.stdout


def test_a_file_without_a_column_is_refused_naming_the_column(tmp_path: Path):
    (tmp_path / "scores.csv").write_text("student_id,school_year,grade_level,subject\nS1,2025,5,math\n")
    result = spt("growth-percentiles", "--input", str(tmp_path / "scores.csv"), "--output", str(tmp_path / "out.csv"))
    assert result.returncode == 1
    assert "scores.csv: missing column(s) scale_score" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_value_that_is_not_a_number_is_refused_with_its_line_and_column(tmp_path: Path):
    (tmp_path / "scores.csv").write_text(HEADER + "S1,2024,4,math,410\nS1,2025,K,math,430\nS2,2025,5,math,4x0\n")
    grade = run_command("--input", str(tmp_path / "scores.csv"), "--output", str(tmp_path / "out.csv"))
    assert grade.exit_code == 1
    assert "scores.csv line 3, column 'grade_level': 'K' is not a whole grade number" in grade.output
    (tmp_path / "scores.csv").write_text(HEADER + "S1,2024,4,math,410\nS2,2025,5,math,4x0\n")
    score = run_command("--input", str(tmp_path / "scores.csv"), "--output", str(tmp_path / "out.csv"))
    assert score.exit_code == 1
    assert "scores.csv line 3, column 'scale_score': '4x0' is not a number" in score.output


def test_a_school_year_written_as_a_range_is_refused(tmp_path: Path):
    (tmp_path / "scores.csv").write_text(HEADER + "S1,2024-25,4,math,410\n")
    result = run_command("--input", str(tmp_path / "scores.csv"), "--output", str(tmp_path / "out.csv"))
    assert result.exit_code == 1
    assert "line 2, column 'school_year': '2024-25' is not a year such as 2025" in result.output


def test_two_scores_of_a_student_in_one_subject_and_year_are_refused(tmp_path: Path):
    (tmp_path / "scores.csv").write_text(HEADER + "S1,2024,4,math,410\nS1,2025,5,math,430\nS1,2025,5,math,431\n")
    result = run_command("--input", str(tmp_path / "scores.csv"), "--output", str(tmp_path / "out.csv"))
    assert result.exit_code == 1
    assert "scores.csv: 1 student(s) have more than one score in the same subject and year: student S1 math 2025" \
        in result.output


def test_a_blank_scale_score_is_left_out_as_not_tested(tmp_path: Path):
    scores = scores_frame(students=60)
    scores.loc[0, "scale_score"] = np.nan
    scores.to_csv(tmp_path / "scores.csv", index=False)
    result = run_command("--input", str(tmp_path / "scores.csv"), "--output", str(tmp_path / "out.csv"),
                         "--max-priors", "1", "--min-cohort", "20")
    assert result.exit_code == 0, result.output
    assert "1 row(s) without a scale score (not tested) were left out" in result.output
    written = pd.read_csv(tmp_path / "out.csv")
    assert written["n_priors"].eq(1).all()
