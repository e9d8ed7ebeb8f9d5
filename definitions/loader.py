"""Load every definition of a config folder and write the `config` schema dbt reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from .base import ConfigError, read_csv_rows
from .calendar import assessment_windows, calendar_days
from .district import DistrictConfig, load_district_yml
from .funding import SchoolCountRow, write_funding
from .grade12 import grade12_draw_windows, write_grade12_design
from .growth import growth_measure_problems, write_growth
from .measures import CutScoreRow, DescriptorRow, MeasureRow, expand_cut_scores, overlapping_bands
from .mtss import mtss_definitions, write_mtss
from .seb import write_seb


@dataclass
class DistrictDefinitions:
    district: DistrictConfig
    measures: pd.DataFrame
    descriptor_sets: pd.DataFrame
    cut_scores: pd.DataFrame
    assessment_windows: pd.DataFrame
    grade12_windows: pd.DataFrame
    funding_counts: pd.DataFrame
    # MTSS tier rules, one row per rule, measure, tier and level (_mtss_tier_rules), and ROI norms
    mtss_tier_rules: pd.DataFrame | None = None
    roi_norms: pd.DataFrame | None = None


def load_definitions(config_dir: Path) -> DistrictDefinitions:
    """Read and validate every definition file; raise ConfigError listing all problems found."""
    config_dir = Path(config_dir)
    problems: list[str] = []
    district_path = config_dir / "district.yml"
    district = None
    if not district_path.exists():
        problems.append(f"district.yml: file not found in {config_dir}")
    else:
        try:
            district = load_district_yml(district_path)
        except ConfigError as error:
            problems.extend(error.problems)
    measures = read_csv_rows(config_dir / "measures.csv", MeasureRow, problems)
    descriptors = read_csv_rows(config_dir / "descriptor_sets.csv", DescriptorRow, problems)
    cuts = read_csv_rows(config_dir / "cut_scores.csv", CutScoreRow, problems)
    school_counts: list[SchoolCountRow] = []
    if district is not None and district.funding.counts_file:
        school_counts = read_csv_rows(config_dir / district.funding.counts_file, SchoolCountRow, problems)
    if problems:
        raise ConfigError(problems)

    measure_by_id = {m.measure_id: m for m in measures}
    if len(measure_by_id) != len(measures):
        problems.append("measures.csv: measure_id values must be unique")
    descriptor_sets: dict[str, set[str]] = {}
    for d in descriptors:
        descriptor_sets.setdefault(d.descriptor_set, set()).add(d.descriptor)
    for line, m in enumerate(measures, start=2):
        if m.descriptor_set not in descriptor_sets:
            problems.append(
                f"measures.csv line {line}, field 'descriptor_set': '{m.descriptor_set}' is not in descriptor_sets.csv"
            )
        if m.scale_max < m.scale_min:
            problems.append(f"measures.csv line {line}, field 'scale_max': must not be below scale_min")
    window_names = {w.name for w in district.calendar.windows}
    for line, c in enumerate(cuts, start=2):
        measure = measure_by_id.get(c.measure_id)
        if measure is None:
            problems.append(f"cut_scores.csv line {line}, field 'measure_id': '{c.measure_id}' is not in measures.csv")
            continue
        if c.window_name != "*" and c.window_name not in window_names:
            problems.append(
                f"cut_scores.csv line {line}, field 'window_name': '{c.window_name}' is not a window in district.yml "
                f"({', '.join(sorted(window_names))} or *)"
            )
        if c.level not in descriptor_sets.get(measure.descriptor_set, set()):
            problems.append(
                f"cut_scores.csv line {line}, field 'level': '{c.level}' is not a descriptor of set "
                f"'{measure.descriptor_set}'"
            )
        if c.max_score < c.min_score:
            problems.append(f"cut_scores.csv line {line}, field 'max_score': must not be below min_score")
    windows = assessment_windows(district.calendar)
    grade12_windows = grade12_draw_windows(district, windows, set(measure_by_id), problems)
    problems += growth_measure_problems(district, measure_by_id, district_path.read_text(encoding="utf-8"))
    mtss_tier_rules, roi_norms = mtss_definitions(config_dir, district, measure_by_id, descriptors, problems)
    if problems:
        raise ConfigError(problems)

    cut_frame = pd.DataFrame([c.model_dump() for c in cuts])
    cut_frame["line"] = range(2, len(cut_frame) + 2)
    expanded = expand_cut_scores(cut_frame, sorted(window_names))
    overlaps = overlapping_bands(expanded)
    if overlaps:
        raise ConfigError(overlaps)
    return DistrictDefinitions(
        district=district,
        measures=pd.DataFrame([m.model_dump() for m in measures]),
        descriptor_sets=pd.DataFrame([d.model_dump() for d in descriptors]),
        cut_scores=expanded.drop(columns=["line"]),
        assessment_windows=windows,
        grade12_windows=grade12_windows,
        funding_counts=pd.DataFrame(
            [c.model_dump() for c in school_counts], columns=list(SchoolCountRow.model_fields)
        ),
        mtss_tier_rules=mtss_tier_rules,
        roi_norms=roi_norms,
    )


def write_config_schema(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """Replace the `config` schema with the validated definitions; returns rows per table."""
    d = definitions.district
    district = pd.DataFrame(
        [
            {
                "district_name": d.district.name,
                "state_district_id": d.district.state_district_id,
                "minimum_n": d.privacy.minimum_n,
                "first_school_year": d.calendar.first_school_year,
                "last_school_year": d.calendar.last_school_year,
            }
        ]
    )
    metrics = pd.DataFrame(
        [(subject, measure, "primary") for subject, measure in d.metrics.primary.items()]
        + [(subject, m, "supporting") for subject, ms in d.metrics.supporting.items() for m in ms],
        columns=["subject", "measure_id", "metric_role"],
    )
    tables = {
        "district": district,
        "metrics": metrics,
        "measures": definitions.measures,
        "descriptor_sets": definitions.descriptor_sets,
        "cut_scores": definitions.cut_scores[
            ["measure_id", "grade_level", "window_name", "level", "min_score", "max_score", "source"]
        ],
        "assessment_windows": definitions.assessment_windows,
        "calendar_days": calendar_days(definitions.assessment_windows),
    }
    con.execute("create schema if not exists config")
    counts = {}
    for name, frame in tables.items():
        con.register("_config_frame", frame)
        con.execute(f"create or replace table config.{name} as select * from _config_frame")
        con.unregister("_config_frame")
        counts[name] = len(frame)
    counts.update(write_grade12_design(con, definitions))
    counts.update(write_funding(con, definitions))
    counts.update(write_seb(con, definitions))
    counts.update(write_growth(con, definitions))
    counts.update(write_mtss(con, definitions))
    con.execute("alter table config.assessment_windows alter start_date type date")
    con.execute("alter table config.assessment_windows alter end_date type date")
    con.execute("alter table config.calendar_days alter calendar_date type date")
    return counts
