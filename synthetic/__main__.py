"""python -m synthetic --students N --schools N --years N --seed S --out DIR"""

from __future__ import annotations

import argparse
import json
import time

from .generator import generate_district


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m synthetic", description=__doc__)
    parser.add_argument("--students", type=int, default=2000, help="K-8 enrollment in the first year")
    parser.add_argument("--schools", type=int, default=6)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--last-school-year", type=int, default=2026, help="spring year of the last school year")
    parser.add_argument("--untested-rate", type=float, default=0.04, help="share of students missing each window's tests")
    parser.add_argument("--config-dir", default=None, help="district config folder (default: the repository's config/)")
    parser.add_argument("--out", required=True, help="output folder (landing/ and truth/ are replaced)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = generate_district(
        args.out,
        students=args.students,
        schools=args.schools,
        years=args.years,
        seed=args.seed,
        last_school_year=args.last_school_year,
        config_dir=args.config_dir,
        untested_rate=args.untested_rate,
    )
    elapsed = time.perf_counter() - started
    print(json.dumps({"rows_per_file": summary["rows_per_file"], "seconds": round(elapsed, 1)}, indent=2))


if __name__ == "__main__":
    main()
