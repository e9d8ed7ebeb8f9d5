"""Benchmark: time each pipeline stage on a generated district and compare with DuckDB merely
reading the same export files into tables.

    python bench/pipeline_bench.py --students 200000 --years 3

Prints the seconds per stage, the total, the ratio to the raw read, and the peak memory of
this process and of its children (the dbt process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration import stages  # noqa: E402
from orchestration.settings import DBT_PROJECT_DIR, Paths  # noqa: E402


def run_child(args: list[str], **kwargs) -> float:
    """Run a command to completion and return its peak memory in MB.

    The kernel's high-water mark of the child's own address space (VmHWM) is read while it runs:
    unlike the rusage of a child, it does not include the memory of the parent it was forked from.
    """
    process = subprocess.Popen(args, **kwargs)
    status = Path(f"/proc/{process.pid}/status")
    peak_kb = 0
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            pass
        time.sleep(0.05)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, args)
    return peak_kb / 1024


def timed(label: str, results: dict, fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    results[label] = round(time.perf_counter() - started, 2)
    print(f"  {label:<22} {results[label]:>8.2f} s", flush=True)
    return value


def raw_read(landing: Path, scratch: Path) -> int:
    """DuckDB alone reading every export file into a table (types auto-detected)."""
    rows = 0
    with duckdb.connect(str(scratch / "raw_read.duckdb")) as con:
        for i, path in enumerate(sorted(landing.rglob("*.csv"))):
            con.execute(f"create table t{i} as select * from read_csv('{path}')")
            rows += con.execute(f"select count(*) from t{i}").fetchone()[0]
    return rows


def dbt_build(paths: Paths) -> float:
    env = {**os.environ, "SPT_BUILD_DB": str(paths.build_db)}
    return run_child(
        [str(Path(sys.executable).parent / "dbt"), "build", "--profiles-dir", ".", "--quiet"],
        cwd=DBT_PROJECT_DIR, env=env,
    )


def generate(out: Path, students: int, schools: int, years: int, seed: int) -> float:
    return run_child(
        [sys.executable, "-m", "synthetic", "--students", str(students), "--schools", str(schools),
         "--years", str(years), "--seed", str(seed), "--out", str(out)],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200_000)
    parser.add_argument("--schools", type=int, default=0, help="default: one school per 500 students")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", default=None, help="default: a temporary folder, removed afterwards")
    args = parser.parse_args()
    schools = args.schools or max(args.students // 500, 3)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="spt-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"District: {args.students:,} students, {schools} schools, {args.years} year(s); work folder {workdir}")

    results: dict = {}
    timed("generate (not counted)", results, generate, workdir / "district", args.students, schools, args.years,
          args.seed)
    landing = workdir / "district" / "landing"
    size_mb = sum(p.stat().st_size for p in landing.rglob("*.csv")) / 1e6
    scratch = workdir / "scratch"
    scratch.mkdir(exist_ok=True)
    rows = timed("duckdb raw read", results, raw_read, landing, scratch)
    (scratch / "raw_read.duckdb").unlink()

    paths = Paths(landing, ROOT / "config", workdir / "warehouse")
    paths.export()
    stages.ensure_dbt_manifest()
    timed("config", results, stages.load_config, paths)
    summary = timed("ingest", results, stages.ingest, paths)
    dbt_peak = timed("dbt build", results, dbt_build, paths)
    checks = timed("checks", results, lambda p: stages.raw_gate(p) + stages.gate(p), paths)
    failed = [c.message for c in checks if not c.passed]
    timed("publish", results, stages.publish_marts, paths, "bench", [c.as_dict() for c in checks])
    pipeline = sum(results[k] for k in ("config", "ingest", "dbt build", "checks", "publish"))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "students": args.students,
        "years": args.years,
        "landing_mb": round(size_mb, 1),
        "rows_read": summary.rows_read,
        "rows_loaded": summary.rows_loaded,
        "raw_read_rows": rows,
        "seconds": results,
        "pipeline_seconds": round(pipeline, 2),
        "ratio_to_raw_read": round(pipeline / results["duckdb raw read"], 2),
        # ingestion's rate (file rows read, checked and loaded per second) against DuckDB's own
        # CSV read rate on the same export files; the target is at least 0.5
        "ingest_rate_to_duckdb_read_rate": round(
            (summary.rows_read / results["ingest"]) / (rows / results["duckdb raw read"]), 2
        ),
        "peak_memory_mb": {"pipeline_process": round(own), "dbt_process": round(dbt_peak)},
        "failed_checks": failed,
    }
    print(f"  {'pipeline total':<22} {pipeline:>8.2f} s")
    print(f"Landing files: {size_mb:,.0f} MB, {summary.rows_read:,} data rows read, {summary.rows_loaded:,} loaded")
    print(f"Pipeline / raw read: {report['ratio_to_raw_read']}x")
    print(
        f"Ingest rate: {summary.rows_read / results['ingest']:,.0f} rows/s against DuckDB's read rate of "
        f"{rows / results['duckdb raw read']:,.0f} rows/s = {report['ingest_rate_to_duckdb_read_rate']} (target >= 0.5)"
    )
    print(f"Peak memory: pipeline process {own:,.0f} MB, dbt process {dbt_peak:,.0f} MB (each runs alone)")
    if failed:
        print("Checks failed: " + "; ".join(failed))
    # PostgreSQL publication of the same published files, on a private server (bench/postgres_bench.py)
    print("PostgreSQL publication (private server on 127.0.0.1, fsync on):", flush=True)
    postgres = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "postgres_bench.py"), str(paths.published_dir), "--repeat", "1"],
        capture_output=True, text=True,
    )
    print("  " + (postgres.stdout or postgres.stderr).strip().replace("\n", "\n  "))
    report["postgres"] = postgres.stdout.strip().splitlines()[-1] if postgres.stdout.strip() else postgres.stderr[-500:]
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2))
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
