"""MTSS settings (district.yml `mtss`): tier rules, progress-monitoring rules, response thresholds, ROI norms."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal, TYPE_CHECKING

import duckdb
import pandas as pd
from pydantic import Field, ValidationInfo, field_validator, model_validator

from ingestion.grades import grade_level

from .base import ALL_GRADES, StrictModel, field_path, parse_month_day, read_csv_rows, yaml_line
from .calendar import WindowConfig
from .measures import CutScoreRow

if TYPE_CHECKING:
    from .district import DistrictConfig
    from .loader import DistrictDefinitions


class TierRuleConfig(StrictModel):
    """One screening rule for MTSS tiers: tier 3 or 2 when the student's last result of the window on
    one of `measures` is below a national percentile (`below_percentile`) or has one of the listed
    performance levels (`levels`); tier 1 otherwise."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    # 'primary': each subject's primary metric (metrics.primary); or measure ids of measures.csv
    measures: str | list[str] = "primary"
    below_percentile: dict[Literal[2, 3], float] = Field(default_factory=dict)
    levels: dict[Literal[2, 3], list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_basis(self) -> "TierRuleConfig":
        if bool(self.below_percentile) == bool(self.levels):
            raise ValueError("give either below_percentile (tier -> percentile) or levels (tier -> performance levels)")
        bounds = self.below_percentile
        if any(not 0 < bound <= 100 for bound in bounds.values()):
            raise ValueError("below_percentile bounds must be percentiles above 0 and at most 100")
        if 3 in bounds and 2 in bounds and bounds[3] >= bounds[2]:
            raise ValueError("the tier 3 percentile bound must be below the tier 2 bound (tier 3 is the more intensive)")
        if self.levels and set(self.levels.get(3, [])) & set(self.levels.get(2, [])):
            raise ValueError("a performance level cannot give both tier 3 and tier 2")
        return self

    @property
    def measure_list(self) -> list[str]:
        return [self.measures] if isinstance(self.measures, str) else list(self.measures)


def _default_tier_rules() -> list[TierRuleConfig]:
    return [TierRuleConfig(name="screening_percentile", measures="primary", below_percentile={3: 10, 2: 25})]


class ProgressMonitoringConfig(StrictModel):
    """Trend lines, aim lines and decision rules on progress-monitoring probes (fct_progress_monitoring)."""

    rate_of_improvement_method: Literal["ols", "tukey"] = "ols"
    minimum_points: int = Field(default=3, ge=2)
    decision_points: int = Field(default=4, ge=2)
    # month-day of the school year a goal without a date aims at
    default_goal_date: str = "05-15"
    # the aim line of probes without a goal: from the first probe at the ambitious or expected weekly
    # rate of config/roi_norms, or none
    aimline_without_goal: Literal["ambitious", "expected", "none"] = "ambitious"
    milestone_weeks: int = Field(default=4, ge=1)
    roi_norms_file: str | None = None

    @field_validator("default_goal_date")
    @classmethod
    def _valid_goal_date(cls, value: str) -> str:
        return WindowConfig._valid_month_day(value)


class InterventionResponseConfig(StrictModel):
    """How response to an intervention is judged (fct_interventions)."""

    baseline_weeks: int = Field(default=26, ge=1)


class DualDiscrepancyConfig(StrictModel):
    """Low level and low growth together: a flag for special-education evaluation consideration."""

    below_percentile: float = Field(default=10, gt=0, le=100)
    growth_ratio_below: float = Field(default=0.5, gt=0)


class MtssConfig(StrictModel):
    """Tiers, progress monitoring, response to intervention and dual discrepancy settings."""

    tier_rules: list[TierRuleConfig] = Field(default_factory=_default_tier_rules, min_length=1)
    combine_tiers: Literal["most_intensive", "least_intensive"] = "most_intensive"
    progress_monitoring: ProgressMonitoringConfig = Field(default_factory=ProgressMonitoringConfig)
    interventions: InterventionResponseConfig = Field(default_factory=InterventionResponseConfig)
    dual_discrepancy: DualDiscrepancyConfig = Field(default_factory=DualDiscrepancyConfig)

    @field_validator("tier_rules")
    @classmethod
    def _unique_names(cls, value: list[TierRuleConfig]) -> list[TierRuleConfig]:
        names = [rule.name for rule in value]
        if len(set(names)) != len(names):
            raise ValueError("tier rule names must be unique")
        return value


class RoiNormRow(StrictModel):
    """Expected (realistic) and ambitious weekly growth on a measure for a grade (config/roi_norms.csv)."""

    measure_id: str = Field(min_length=1)
    grade_level: str
    expected_weekly_roi: float = Field(gt=0)
    ambitious_weekly_roi: float = Field(gt=0)
    source: str | None = None

    @field_validator("grade_level")
    @classmethod
    def _valid_grade(cls, value: str) -> str:
        return CutScoreRow._valid_grade(value)

    @field_validator("ambitious_weekly_roi")
    @classmethod
    def _ambitious_not_below_expected(cls, value: float, info: ValidationInfo) -> float:
        expected = info.data.get("expected_weekly_roi")
        if expected is not None and value < expected:
            raise ValueError(f"must not be below expected_weekly_roi ({expected})")
        return value


TIER_RULE_COLUMNS = [
    "rule_position", "rule_name", "subject", "measure_id", "basis", "tier", "below_percentile", "performance_level",
]


ROI_NORM_COLUMNS = ["measure_id", "grade_level", "expected_weekly_roi", "ambitious_weekly_roi", "source"]


def mtss_definitions(
    config_dir: Path, district: DistrictConfig, measure_by_id: dict, descriptors: list, problems: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tier rules, one row per rule, measure, tier and performance level ('primary' resolved to
    each subject's primary metric), and the ROI norms with '*' grades expanded (a specific grade
    wins). Measures must be in measures.csv, levels in the measure's descriptor set."""
    text = (config_dir / "district.yml").read_text(encoding="utf-8")
    mtss = district.mtss
    levels_of: dict[str, set[str]] = {}
    for d in descriptors:
        levels_of.setdefault(d.descriptor_set, set()).add(d.descriptor)

    def problem(loc: tuple, message: str) -> None:
        problems.append(f"district.yml line {yaml_line(text, loc)}, field '{field_path(loc)}': {message}")

    rows = []
    for position, rule in enumerate(mtss.tier_rules, start=1):
        loc = ("mtss", "tier_rules", position - 1, "measures")
        measure_ids = []
        for name in rule.measure_list:
            if name == "primary":
                if not district.metrics.primary:
                    problem(loc, "'primary' needs metrics.primary (one measure per subject)")
                measure_ids += list(district.metrics.primary.values())
            else:
                measure_ids.append(name)
        for measure_id in dict.fromkeys(measure_ids):
            measure = measure_by_id.get(measure_id)
            if measure is None:
                problem(loc, f"'{measure_id}' is not in measures.csv")
                continue
            base = {"rule_position": position, "rule_name": rule.name, "subject": measure.subject, "measure_id": measure_id}
            for tier, bound in rule.below_percentile.items():
                rows.append({**base, "basis": "percentile", "tier": tier, "below_percentile": bound, "performance_level": None})
            for tier, levels in rule.levels.items():
                for level in levels:
                    if level not in levels_of.get(measure.descriptor_set, set()):
                        problem(
                            ("mtss", "tier_rules", position - 1, "levels", tier),
                            f"'{level}' is not a level of {measure_id} (descriptor set '{measure.descriptor_set}')",
                        )
                    rows.append({**base, "basis": "performance_level", "tier": tier, "below_percentile": None, "performance_level": level})
    tier_rules = pd.DataFrame(rows, columns=TIER_RULE_COLUMNS)

    norms_file = mtss.progress_monitoring.roi_norms_file
    if norms_file is None:
        return tier_rules, pd.DataFrame(columns=ROI_NORM_COLUMNS)
    norm_rows = read_csv_rows(config_dir / norms_file, RoiNormRow, problems)
    for line, norm in enumerate(norm_rows, start=2):
        if norm.measure_id not in measure_by_id:
            problems.append(f"{norms_file} line {line}, field 'measure_id': '{norm.measure_id}' is not in measures.csv")
    frame = pd.DataFrame([n.model_dump() for n in norm_rows], columns=ROI_NORM_COLUMNS)
    frame["line"] = range(2, len(frame) + 2)
    frame["is_specific"] = frame["grade_level"] != "*"
    frame["grade_level"] = frame["grade_level"].map(lambda g: ALL_GRADES if g == "*" else [grade_level(g)])
    frame = frame.explode("grade_level")
    repeated = frame[frame.duplicated(["measure_id", "grade_level", "is_specific"], keep="first")]
    for row in repeated.itertuples():
        problems.append(
            f"{norms_file} line {row.line}, field 'grade_level': {row.measure_id} grade {row.grade_level} is given twice"
        )
    most_specific = frame.groupby(["measure_id", "grade_level"])["is_specific"].transform("max")
    frame = frame[frame["is_specific"] == most_specific].drop_duplicates(["measure_id", "grade_level"])
    frame["grade_level"] = frame["grade_level"].astype(int)
    return tier_rules, frame[ROI_NORM_COLUMNS].sort_values(["measure_id", "grade_level"]).reset_index(drop=True)


def mtss_default_goal_dates(district: DistrictConfig) -> pd.DataFrame:
    """The day of each configured school year that a progress-monitoring goal without a date aims at."""
    calendar = district.calendar
    year_start = parse_month_day(calendar.year_starts)
    month, day = parse_month_day(district.mtss.progress_monitoring.default_goal_date)
    years = range(calendar.first_school_year, calendar.last_school_year + 1)
    autumn = (month, day) >= year_start
    return pd.DataFrame(
        {"school_year": list(years), "default_goal_date": [date(y - 1 if autumn else y, month, day) for y in years]}
    )


def write_mtss(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """config.mtss_settings (one row), mtss_tier_rules, mtss_default_goal_dates, mtss_subject_measures and roi_norms."""
    mtss = definitions.district.mtss
    pm = mtss.progress_monitoring
    con.execute(
        """
        create or replace table config.mtss_settings (
            combine_tiers varchar, rate_of_improvement_method varchar, minimum_points integer,
            decision_points integer, aimline_without_goal varchar, milestone_weeks integer,
            baseline_weeks integer, dual_discrepancy_below_percentile double,
            dual_discrepancy_growth_ratio_below double
        )
        """
    )
    con.execute(
        "insert into config.mtss_settings values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            mtss.combine_tiers, pm.rate_of_improvement_method, pm.minimum_points, pm.decision_points,
            pm.aimline_without_goal, pm.milestone_weeks, mtss.interventions.baseline_weeks,
            mtss.dual_discrepancy.below_percentile, mtss.dual_discrepancy.growth_ratio_below,
        ],
    )
    con.execute(
        """
        create or replace table config.mtss_tier_rules (
            rule_position integer, rule_name varchar, subject varchar, measure_id varchar, basis varchar,
            tier integer, below_percentile double, performance_level varchar
        )
        """
    )
    con.execute("create or replace table config.mtss_default_goal_dates (school_year integer, default_goal_date date)")
    # an intervention record naming no measure is judged on its subject's primary metric
    con.execute("create or replace table config.mtss_subject_measures (subject varchar, measure_id varchar)")
    con.execute(
        """
        create or replace table config.roi_norms (
            measure_id varchar, grade_level integer, expected_weekly_roi double, ambitious_weekly_roi double,
            source varchar
        )
        """
    )
    empty = pd.DataFrame()
    frames = {
        "mtss_tier_rules": definitions.mtss_tier_rules if definitions.mtss_tier_rules is not None else empty,
        "mtss_default_goal_dates": mtss_default_goal_dates(definitions.district),
        "mtss_subject_measures": pd.DataFrame(
            list(definitions.district.metrics.primary.items()), columns=["subject", "measure_id"]
        ),
        "roi_norms": definitions.roi_norms if definitions.roi_norms is not None else empty,
    }
    for table, frame in frames.items():
        if len(frame):
            con.register("_mtss_frame", frame)
            con.execute(f"insert into config.{table} select * from _mtss_frame")
            con.unregister("_mtss_frame")
    return {"mtss_settings": 1, **{table: len(frame) for table, frame in frames.items()}}
