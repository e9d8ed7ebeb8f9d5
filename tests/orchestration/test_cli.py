"""The command line's answers when it cannot run: one line a person can act on, non-zero exit."""

import fcntl
import shutil
from pathlib import Path

from tests.conftest import CONFIG_DIR, spt


def test_missing_landing_folder_is_reported(tmp_path: Path):
    result = spt("run", "--landing", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "wh"))
    assert result.returncode == 2
    assert "landing folder" in result.stderr and "does not exist" in result.stderr


def test_invalid_definitions_stop_the_run_before_anything_is_built(tmp_path: Path):
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    (config / "descriptor_sets.csv").write_text(
        (config / "descriptor_sets.csv").read_text().replace("Avg,3,3,at,true", "Avg,3,3,middling,true")
    )
    (tmp_path / "landing").mkdir()
    result = spt("run", "--landing", str(tmp_path / "landing"), "--config", str(config),
                 "--warehouse", str(tmp_path / "wh"))
    assert result.returncode == 2
    assert "descriptor_sets.csv line 4, field 'expectation'" in result.stderr
    assert not (tmp_path / "wh" / "build.duckdb").exists()


def test_a_second_run_on_the_same_warehouse_waits_its_turn(tmp_path: Path):
    (tmp_path / "landing").mkdir()
    warehouse = tmp_path / "wh"
    warehouse.mkdir()
    with open(warehouse / ".run.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = spt("run", "--landing", str(tmp_path / "landing"), "--warehouse", str(warehouse))
    assert result.returncode == 3
    assert "another run is using" in result.stderr


def test_status_before_any_run_says_what_to_do(tmp_path: Path):
    result = spt("status", "--warehouse", str(tmp_path))
    assert result.returncode == 2
    assert "no run recorded" in result.stderr


def test_funding_what_if_rejects_a_counts_file_that_cannot_be_allocated(tmp_path):
    formula = tmp_path / "scenario.yml"
    formula.write_text("method: title_i\nappropriation: 1000\n")
    missing = tmp_path / "missing.csv"
    missing.write_text("school_id,enrollment\nA,100\n")
    impossible = tmp_path / "impossible.csv"
    impossible.write_text("school_id,enrollment,low_income_public\nA,100,150\n")

    no_column = spt("funding", "--config", str(formula), "--counts", str(missing), "--warehouse", str(tmp_path))
    too_many = spt("funding", "--config", str(formula), "--counts", str(impossible), "--warehouse", str(tmp_path))

    assert no_column.returncode == 2 and "missing.csv: missing column(s) low_income_public" in no_column.stderr
    # 150 low-income children of 100 enrolled is not a count the formula can take
    assert too_many.returncode == 2 and "low_income_public" in too_many.stderr
    assert not (tmp_path / "reports").exists()
