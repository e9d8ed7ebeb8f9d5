"""The synthetic district: one call writes a landing folder of vendor files and the ground truth."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import (
    acadience,
    aimsweb,
    dibels8,
    dibels8_pm,
    fastbridge,
    iready,
    nwea_map,
    oneroster12,
    school_defined,
    seb,
    star,
)
from definitions import load_definitions

from .calendar import DIBELS_TESTING, MAP_TESTING, WINDOW_NAMES, DistrictConfig
from .context import TRUTH_RESULT_SCHEMA, District, StudentText, YearPlan, build_teachers, with_truth_schema
from .norms import dibels_anchors
from .oneroster import write_oneroster
from .population import build_schools, build_students, enroll_years

UNTESTED_RATE = 0.04
# The other source families the district receives. Each writer decides its own scope (which
# years, schools and students) and draws from its own random stream, so adding one never
# changes the bytes of another family's files.
OTHER_SOURCES = (dibels8_pm, acadience, iready, star, fastbridge, aimsweb, seb, school_defined, oneroster12)
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
# Truth values hold no commas or quotes; "none" fails loudly if one ever does.
_TRUTH_WRITE = pacsv.WriteOptions(quoting_style="none", quoting_header="none")


def _check_calendar(config: DistrictConfig, plans: list[YearPlan]) -> None:
    """Testing ranges must fall in the configured window of the same name."""
    for plan in plans:
        for ranges in (MAP_TESTING, DIBELS_TESTING):
            for window, days in enumerate(plan.enrollment.calendar.testing_days(ranges)):
                if config.windows_of(days) != {WINDOW_NAMES[window]}:
                    raise ValueError(
                        f"config/district.yml windows do not place the {WINDOW_NAMES[window]} testing days "
                        f"of {plan.label} in the {WINDOW_NAMES[window]} window"
                    )


def _write_truth_table(path: Path, table: pa.Table) -> None:
    pacsv.write_csv(table, path, _TRUTH_WRITE)


def generate_district(
    out_dir: str | Path,
    students: int = 2000,
    schools: int = 6,
    years: int = 3,
    seed: int = 42,
    last_school_year: int = 2026,
    config_dir: str | Path | None = None,
    untested_rate: float = UNTESTED_RATE,
    roster_version: str = "1.1",
    roster_zip: bool = False,
) -> dict:
    """Write <out_dir>/landing/{oneroster,nwea_map,mclass}/ and <out_dir>/truth/; return the summary.

    `students` is the K-8 enrollment of the first school year; a new kindergarten cohort of
    about students/9 enters each later year and grade 8 leaves. Same arguments, same bytes.
    `untested_rate` is the share of students missing each window's tests; 0 gives a census, on
    which a sampling design's coverage can be checked. `roster_version` ("1.1" or "1.2") and
    `roster_zip` choose the SIS's OneRoster export: its version, and one ZIP instead of a folder.
    """
    if not 0 <= untested_rate < 1:
        raise ValueError("untested_rate must be at least 0 and below 1")
    if students < 9:
        raise ValueError("students must be at least 9 (one per grade)")
    if years < 1:
        raise ValueError("years must be at least 1")
    out = Path(out_dir)
    definitions = load_definitions(Path(config_dir) if config_dir else DEFAULT_CONFIG_DIR)
    config = DistrictConfig.from_definitions(definitions)
    anchors = dibels_anchors(definitions.cut_scores)
    landing, truth_dir = out / "landing", out / "truth"
    for folder in (landing, truth_dir):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)

    rng = np.random.default_rng(seed)
    school_years = list(range(last_school_year - years + 1, last_school_year + 1))
    school_table = build_schools(schools, config.state_district_id, rng)
    student_table = build_students(students, school_years, school_table, rng)
    teachers = build_teachers(school_table, rng)
    enrollments = enroll_years(student_table, school_table, school_years, rng)
    district = District(config, school_table, student_table, teachers, StudentText(student_table), tuple(school_years))
    plans = [
        YearPlan(e, [rng.random(len(e.student)) >= untested_rate for _ in WINDOW_NAMES]) for e in enrollments
    ]
    _check_calendar(config, plans)

    file_rows, truth_students, truth_enrollments = write_oneroster(
        district, enrollments, landing, rng, roster_version=roster_version, roster_zip=roster_zip
    )
    _write_truth_table(truth_dir / "students.csv", truth_students)
    _write_truth_table(truth_dir / "enrollments.csv", truth_enrollments)

    rows_by_measure: dict[str, int] = {}
    retests = 0
    # The truth rows are written on a second thread while the next vendor file is built.
    with (
        pacsv.CSVWriter(truth_dir / "results.csv", TRUTH_RESULT_SCHEMA, write_options=_TRUTH_WRITE) as writer,
        ThreadPoolExecutor(max_workers=1) as background,
    ):
        written = []
        for plan in plans:
            for path, truth in (
                nwea_map.write_year(district, plan, landing, rng),
                dibels8.write_year(district, plan, anchors, landing, rng),
            ):
                written.append(background.submit(writer.write_table, truth))
                file_rows[path] = int(pc.max(truth["source_row"]).as_py() - 1) if truth.num_rows else 0
                counts = pc.value_counts(truth["measure_id"]).to_pylist()
                for item in counts:
                    rows_by_measure[item["values"]] = rows_by_measure.get(item["values"], 0) + item["counts"]
                retests += int(pc.sum(truth["is_retest"]).as_py() or 0)
        for index, source in enumerate(OTHER_SOURCES, start=1):
            source_rng = np.random.default_rng([seed, index])
            for plan in plans:
                for written_file in source.write_year(district, plan, landing, source_rng):
                    file_rows[written_file.path] = written_file.rows
                    if written_file.truth is None:
                        continue
                    truth = with_truth_schema(written_file.truth)
                    written.append(background.submit(writer.write_table, truth))
                    for item in pc.value_counts(truth["measure_id"]).to_pylist():
                        rows_by_measure[item["values"]] = rows_by_measure.get(item["values"], 0) + item["counts"]
        for done in written:
            done.result()

    summary = {
        "district_name": config.name,
        "state_district_id": config.state_district_id,
        "seed": seed,
        "untested_rate": untested_rate,
        "school_years": school_years,
        "schools": [
            {"school_id": sid, "school_name": name, "grade_span": span}
            for sid, name, span in zip(school_table.school_id.tolist(), school_table.name.tolist(), school_table.grade_span())
        ],
        "students_total": student_table.count,
        "students_enrolled_by_year": {str(e.school_year): int(len(e.student)) for e in enrollments},
        "movers_by_year": {str(e.school_year): int(e.is_mover.sum()) for e in enrollments},
        "untested_student_windows": int(sum(int((~t).sum()) for p in plans for t in p.tested)),
        "students_working_below_grade": int((student_table.grades_below > 0).sum()),
        "map_same_day_retests": retests,
        "rows_per_file": dict(sorted(file_rows.items())),
        "truth_rows_by_measure": dict(sorted(rows_by_measure.items())),
        "truth_rows": {
            "students": truth_students.num_rows,
            "enrollments": truth_enrollments.num_rows,
            "results": int(sum(rows_by_measure.values())),
        },
    }
    (truth_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
