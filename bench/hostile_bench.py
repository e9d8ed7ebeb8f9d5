"""Benchmark: how fast, and in how little memory, an archive that expands too far is refused.

    python bench/hostile_bench.py [--unpacked-mb 400]

Writes a ZIP archive of a few MB holding one MAP export that unpacks to about 400 MB (rows
repeated with small changes, as a padded or malicious delivery would be), then ingests its
landing folder into a new DuckDB file with the district's default limits, in a child process,
and prints the archive's sizes, the outcome and reason, the seconds taken and the child's peak
memory. The targets are under 5 s and under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 5
TARGET_MB = 500
HEADER = (
    "TermName,DistrictName,School_StateID,SchoolName,StudentID,Student_StateID,Subject,TestType,TestID,"
    "TestStartDate,TestStartTime,TestRITScore,TestStandardError,TestPercentile,AchievementQuintile\n"
)


def write_archive(path: Path, unpacked_mb: int) -> None:
    block = "".join(
        f"Fall 2025-2026,RUSD,255901101,Riverbend Elementary,{600000 + i},{9000000 + i},Reading,Survey With Goals,"
        f"{i},09/16/2025,08:54:50,{180 + i % 60},3.40,{i % 99 + 1},Avg\n"
        for i in range(200)
    ).encode() * 50
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        with zipped.open("AssessmentResults.csv", "w", force_zip64=True) as member:
            member.write(HEADER.encode())
            written = 0
            while written < unpacked_mb << 20:
                member.write(block)
                written += len(block)


def measure(landing: Path) -> dict:
    """Run in the child: ingest the folder and report the outcome, seconds and peak memory."""
    import duckdb

    sys.path.insert(0, str(ROOT))
    from definitions import load_definitions
    from ingestion.load import IngestRules, ingest_landing

    rules = IngestRules.from_definitions(load_definitions(ROOT / "config"))
    started = time.perf_counter()
    with duckdb.connect(str(landing.parent / "build.duckdb")) as con:
        summary = ingest_landing(con, landing, rules=rules)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "files": [(f.source_file, f.status, f.reason) for f in summary.files],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unpacked-mb", type=int, default=400)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory(prefix="spt-bench-") as tmp:
        landing = Path(tmp) / "landing"
        landing.mkdir()
        archive = landing / "expands.zip"
        started = time.perf_counter()
        write_archive(archive, args.unpacked_mb)
        with zipfile.ZipFile(archive) as zipped:
            unpacked = sum(i.file_size for i in zipped.infolist())
        print(f"archive: {archive.stat().st_size / 2**20:.1f} MiB, unpacks to {unpacked / 2**20:.0f} MiB "
              f"(written in {time.perf_counter() - started:.1f} s)")
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(landing)], capture_output=True, text=True, check=True
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        for name, status, reason in result["files"]:
            print(f"  {name}: {status} ({reason})")
        print(f"refused in {result['seconds']:.2f} s (target < {TARGET_SECONDS} s), "
              f"peak memory {result['peak_mb']:.0f} MB (target < {TARGET_MB} MB)")
        print(f"parent peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
