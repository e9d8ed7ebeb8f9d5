"""After a real run: restricted outputs are owner-only, and the public file shows no share of none or all."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import pytest

from publication.disclosure import PUBLIC_RULES
from tests.conftest import PipelineRun

pytestmark = pytest.mark.e2e

MINIMUM_N = 10
PUBLIC_FILES = {"public.duckdb", "manifest.json"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_only_the_public_file_and_manifest_are_readable_by_others(pipeline_run: PipelineRun):
    warehouse = pipeline_run.warehouse_dir
    opened, private = [], []
    for path in warehouse.rglob("*"):
        if path.is_symlink():
            continue
        if path.name in PUBLIC_FILES and "versions" in path.parts:
            opened.append(path)
            assert _mode(path) == 0o644, path
            # every folder from the warehouse down to it can be passed through
            for folder in path.relative_to(warehouse).parents:
                if folder != Path("."):
                    assert _mode(warehouse / folder) & 0o001, folder
        elif path.is_file():
            private.append(path)
            assert _mode(path) & 0o077 == 0, f"{path.relative_to(warehouse)} is {oct(_mode(path))}"
    names = {p.name for p in private}
    assert {"build.duckdb", "district.duckdb", "last_run.json", "dim_students.parquet"} <= names
    assert any(p.name.startswith("quality-") and p.suffix == ".html" for p in private)
    assert {p.name for p in opened} == PUBLIC_FILES
    # the student-level Parquet folder cannot even be listed by others
    assert _mode((pipeline_run.published_dir / "parquet").resolve()) == 0o700


def test_public_shares_are_coded_and_the_restricted_file_keeps_them(pipeline_run: PipelineRun):
    published = pipeline_run.published_dir
    coded_total = 0
    with duckdb.connect(str(published / "public.duckdb"), read_only=True) as con:
        con.execute(f"attach '{published / 'district.duckdb'}' as district (read_only)")
        for table, rules in PUBLIC_RULES.items():
            for share in rules.shares:
                shown = con.execute(
                    f"select count(*) from main.{table} where {share.pct} < 5 or {share.pct} > 95"
                    + (f" or {share.count} < {MINIMUM_N}" if share.small_count else "")
                ).fetchone()[0]
                assert shown == 0, (table, share.pct)
                bands = dict(con.execute(f"select {share.band}, count(*) from main.{table} group by 1").fetchall())
                assert set(bands) <= {None, "<5%", ">95%", f"n<{MINIMUM_N}", "complementary"}, bands
                # a coded share hides its percentage and every column that reveals it
                hidden = " and ".join(f"{c} is null" for c in share.hidden)
                leaks = con.execute(
                    f"select count(*) from main.{table} where {share.band} is not null and not ({hidden})"
                ).fetchone()[0]
                assert leaks == 0, (table, share.pct)
                coded_total += sum(n for band, n in bands.items() if band is not None)
            # the district's own file keeps every exact figure of the same cells
            assert con.execute(f"select count(*) from main.{table}").fetchone()[0] == con.execute(
                f"select count(*) from district.main.{table}"
            ).fetchone()[0]
        # a bottom-coded share in the public file is an exact share under 5% in the restricted file
        below = con.execute(
            """
            select count(*), count(*) filter (where d.pct_tier3 < 5)
            from main.agg_mtss_tiers p join district.main.agg_mtss_tiers d
              using (school_id, school_year, window_name, subject, grade_level, student_group)
            where p.pct_tier3_band = '<5%'
            """
        ).fetchone()
        assert below[0] > 0 and below[0] == below[1]
        # a share coded in one race group is never left recoverable as 'all' minus the other groups
        unprotected = con.execute(
            """
            select count(*) from main.agg_school_growth g
            join main.agg_school_growth a
              using (school_id, school_year, subject, measure_id, grade_level, from_window, to_window, baseline)
            where g.student_group like 'race_ethnicity:%' and g.pct_met_typical_growth_band is not null
              and a.student_group = 'all' and a.pct_met_typical_growth is not null
            """
        ).fetchone()[0]
        assert unprotected == 0
    assert coded_total > 0
