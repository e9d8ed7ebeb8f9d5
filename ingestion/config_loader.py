"""Load and validate the district's own definitions (config/) and write them to the `config` schema.

Every error names the file, the line and the field, so a district data engineer can fix
the definition without reading code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Literal

import duckdb
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from analytics.funding import FundingConfig

from .grades import GRADE_LEVELS, grade_level

ALL_GRADES = list(GRADE_LEVELS)


class ConfigError(Exception):
    """One or more problems in the district's definitions; each message names file, line and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _month_day(value: str) -> tuple[int, int]:
    month, day = (int(part) for part in value.split("-"))
    date(2001, month, day)  # raises for an impossible day
    return month, day


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowConfig(_Strict):
    name: str = Field(min_length=1)
    starts: str

    @field_validator("starts")
    @classmethod
    def _valid_month_day(cls, value: str) -> str:
        try:
            _month_day(value)
        except (ValueError, TypeError):
            raise ValueError(f"'{value}' is not a month-day like \"07-01\"") from None
        return value


class CalendarConfig(_Strict):
    first_school_year: int = Field(ge=1990, le=2100)
    last_school_year: int = Field(ge=1990, le=2100)
    year_starts: str = "07-01"
    windows: list[WindowConfig] = Field(min_length=1)

    @field_validator("year_starts")
    @classmethod
    def _valid_year_start(cls, value: str) -> str:
        return WindowConfig._valid_month_day(value)


class DistrictInfo(_Strict):
    name: str = Field(min_length=1)
    state_district_id: str | None = None


class MetricsConfig(_Strict):
    primary: dict[str, str] = Field(default_factory=dict)
    supporting: dict[str, list[str]] = Field(default_factory=dict)


class PrivacyConfig(_Strict):
    minimum_n: int = Field(default=10, ge=1)


class ArchiveLimitsConfig(_Strict):
    """How far a delivered ZIP archive (or XLSX workbook) may expand before it is refused whole."""

    max_uncompressed_mb: float = Field(default=8192, gt=0)
    max_ratio: float = Field(default=100, gt=1)
    max_members: int = Field(default=10_000, ge=1)


class IngestionConfig(_Strict):
    archives: ArchiveLimitsConfig = Field(default_factory=ArchiveLimitsConfig)
    # a result or an observation dated more than this many days after the day it is loaded is
    # refused (future_date): a typed-in year, or a device clock that is wrong
    future_days: int = Field(default=3, ge=0)


class RosterChangeConfig(_Strict):
    """How far a new roster delivery may differ from the last published one before it blocks."""

    # students of the last roster missing from the new one with no withdrawal, as a share of them
    max_vanished_share: float = Field(default=0.02, ge=0, le=1)
    # the share of a school's enrolled students it may lose between two deliveries
    max_school_loss: float = Field(default=0.25, ge=0, le=1)


class PublicationConfig(_Strict):
    keep_last: int = Field(default=5, ge=1)
    roster: RosterChangeConfig = Field(default_factory=RosterChangeConfig)
    # a mart whose row count moves by this fraction of the last publication's or more blocks it
    row_count_tolerance: float = Field(default=0.5, gt=0)
    # name of the environment variable holding a PostgreSQL URL: when it is set, `spt run` also
    # publishes to that server after each successful publication (the URL, with its password,
    # never sits in the config)
    postgres_url_env: str | None = None


class ReaderAccessConfig(_Strict):
    """Which school years of a student's rows teachers and intervention staff read in PostgreSQL.

    The current school year is the latest school year with classes in the published roster
    (dim_class_teachers); a look-back of n adds the n school years before it.
    """

    # a teacher reads a student's rows of the school years in which they taught that student
    # (at that school), within the current school year and this many before it
    teacher_look_back_years: int = Field(default=0, ge=0)
    # intervention staff read their caseload students' rows of the current school year and this
    # many before it
    caseload_look_back_years: int = Field(default=0, ge=0)


class Grade12SamplingConfig(_Strict):
    """The grade 1-2 accountability sampling design (who to assess, and how results are estimated)."""

    grades: list[int] = Field(default_factory=lambda: [1, 2], min_length=1)
    # subject -> the measure whose performance level decides proficiency
    measures: dict[str, str] = Field(default_factory=dict)
    windows: list[str] = Field(default_factory=list)
    # month-day of the roster the population is taken from, per window (default: the window's first day)
    draw_dates: dict[str, str] = Field(default_factory=dict)
    seed: str = Field(min_length=1)
    margin_of_error: float = Field(gt=0, lt=1)
    confidence_level: float = Field(gt=0, lt=1)
    expected_proportion: float = Field(default=0.5, gt=0, lt=1)
    minimum_sample: int = Field(default=0, ge=0)
    maximum_sample: int | None = Field(default=None, ge=1)
    stratify_by: Literal["economically_disadvantaged", "english_learner", "students_with_disabilities", "gender"] | None = None
    same_students_for_all_subjects: bool = True
    ci_method: Literal["t_fpc", "hypergeometric"] = "hypergeometric"

    @field_validator("grades")
    @classmethod
    def _valid_grades(cls, value: list[int]) -> list[int]:
        if any(g < -1 or g > 12 for g in value) or len(set(value)) != len(value):
            raise ValueError("grades must be distinct grade numbers from -1 (PK) to 12")
        return value

    @model_validator(mode="after")
    def _bounds_in_order(self) -> "Grade12SamplingConfig":
        if self.maximum_sample is not None and self.maximum_sample < self.minimum_sample:
            raise ValueError("maximum_sample must not be below minimum_sample")
        return self

    @field_validator("draw_dates")
    @classmethod
    def _valid_draw_dates(cls, value: dict[str, str]) -> dict[str, str]:
        for window, month_day in value.items():
            try:
                _month_day(month_day)
            except (ValueError, TypeError):
                raise ValueError(f"draw date of {window} '{month_day}' is not a month-day like \"09-01\"") from None
        return value


class IncidentPatternsConfig(_Strict):
    """When behaviour incidents count as specific to a few students rather than spread across many."""

    minimum_incidents: int = Field(default=5, ge=1)
    top_students: int = Field(default=3, ge=1)
    top_student_share: float = Field(default=0.10, ge=0, lt=1)
    specific_share: float = Field(default=0.5, gt=0, le=1)


class SebConfig(_Strict):
    """Social, emotional and behavioural settings."""

    incident_patterns: IncidentPatternsConfig = Field(default_factory=IncidentPatternsConfig)


class GrowthSpan(_Strict):
    """Two windows growth is measured between; prior_year: the from window is of the previous school year."""

    from_window: str = Field(min_length=1)
    to_window: str = Field(min_length=1)
    prior_year: bool = False

    @property
    def baseline(self) -> str:
        """The start point's name: 'fall' for this year's Fall, 'prior_spring' for last year's Spring."""
        name = "".join(c if c.isalnum() else "_" for c in self.from_window.strip().lower())
        return f"prior_{name}" if self.prior_year else name


def _default_growth_spans() -> list[GrowthSpan]:
    return [
        GrowthSpan(from_window="Fall", to_window="Winter"),
        GrowthSpan(from_window="Winter", to_window="Spring"),
        GrowthSpan(from_window="Fall", to_window="Spring"),
        GrowthSpan(from_window="Spring", to_window="Spring", prior_year=True),
        GrowthSpan(from_window="Fall", to_window="Fall", prior_year=True),
    ]


class SgpConfig(_Strict):
    """Student growth percentiles (analytics.sgp): the measure per subject, the window, priors, cohort floor."""

    measures: dict[str, str] = Field(default_factory=dict)
    window: str = Field(default="Spring", min_length=1)
    max_priors: Literal[1, 2] = 2
    min_cohort: int = Field(default=500, ge=1)


class GrowthConfig(_Strict):
    """Which gains fct_student_growth measures, which transitions agg_progress_matrix counts, and SGP settings."""

    spans: list[GrowthSpan] = Field(default_factory=_default_growth_spans)
    vendor_target_span: GrowthSpan | None = Field(
        default_factory=lambda: GrowthSpan(from_window="Fall", to_window="Spring")
    )
    progress_matrix_spans: list[GrowthSpan] = Field(default_factory=lambda: _default_growth_spans()[:3])
    sgp: SgpConfig = Field(default_factory=SgpConfig)


def _growth_problems(growth: "GrowthConfig", calendar: CalendarConfig, text: str, file_name: str) -> list[str]:
    """Windows that are not in the calendar, same-year spans that run backwards, repeated spans."""
    order = {w.name: i for i, w in enumerate(_windows_in_date_order(calendar))}
    problems = []

    def problem(loc: tuple, message: str) -> None:
        problems.append(f"{file_name} line {_yaml_line(text, loc)}, field '{_field_path(loc)}': {message}")

    def check_span(span: GrowthSpan, loc: tuple) -> None:
        for field in ("from_window", "to_window"):
            if getattr(span, field) not in order:
                problem((*loc, field), f"'{getattr(span, field)}' is not a window in calendar.windows ({', '.join(order)})")
        if span.from_window in order and span.to_window in order and not span.prior_year:
            if order[span.from_window] >= order[span.to_window]:
                problem(
                    (*loc, "to_window"),
                    f"{span.to_window} does not come after {span.from_window} in the school year "
                    f"(set prior_year: true to measure from {span.from_window} of the previous year)",
                )

    for list_name in ("spans", "progress_matrix_spans"):
        seen: set[tuple[str, str]] = set()
        for index, span in enumerate(getattr(growth, list_name)):
            check_span(span, ("growth", list_name, index))
            if (span.from_window, span.to_window) in seen:
                problem(
                    ("growth", list_name, index),
                    f"{span.from_window} to {span.to_window} is listed twice (a pair of windows is measured once)",
                )
            seen.add((span.from_window, span.to_window))
    if growth.vendor_target_span is not None:
        check_span(growth.vendor_target_span, ("growth", "vendor_target_span"))
    sgp = growth.sgp
    if sgp.measures:
        if sgp.window not in order:
            problem(("growth", "sgp", "window"), f"'{sgp.window}' is not a window in calendar.windows ({', '.join(order)})")
        elif not any(s.prior_year and s.from_window == s.to_window == sgp.window for s in growth.spans):
            problem(
                ("growth", "sgp", "window"),
                f"growth percentiles are attached to the {sgp.window} to {sgp.window} gain of the previous year: "
                f"add {{from_window: {sgp.window}, to_window: {sgp.window}, prior_year: true}} to growth.spans",
            )
    return problems


def _windows_in_date_order(calendar: CalendarConfig) -> list[WindowConfig]:
    """The calendar's windows in the order they come in a school year (from year_starts)."""
    start = _month_day(calendar.year_starts)
    return sorted(calendar.windows, key=lambda w: (_month_day(w.starts) < start, _month_day(w.starts)))


class TierRuleConfig(_Strict):
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


class ProgressMonitoringConfig(_Strict):
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


class InterventionResponseConfig(_Strict):
    """How response to an intervention is judged (fct_interventions)."""

    baseline_weeks: int = Field(default=26, ge=1)


class DualDiscrepancyConfig(_Strict):
    """Low level and low growth together: a flag for special-education evaluation consideration."""

    below_percentile: float = Field(default=10, gt=0, le=100)
    growth_ratio_below: float = Field(default=0.5, gt=0)


class MtssConfig(_Strict):
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


class RoiNormRow(_Strict):
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


class DistrictConfig(_Strict):
    district: DistrictInfo
    calendar: CalendarConfig
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    publication: PublicationConfig = Field(default_factory=PublicationConfig)
    ingestion: IngestionConfig = Field(default_factory=IngestionConfig)
    student_groups: list[str] = Field(default_factory=lambda: ["all"])
    grade12_sampling: Grade12SamplingConfig | None = None
    funding: FundingConfig = Field(default_factory=FundingConfig)
    seb: SebConfig = Field(default_factory=SebConfig)
    growth: GrowthConfig = Field(default_factory=GrowthConfig)
    mtss: MtssConfig = Field(default_factory=MtssConfig)
    access: ReaderAccessConfig = Field(default_factory=ReaderAccessConfig)


class MeasureRow(_Strict):
    measure_id: str = Field(pattern=r"^[a-z0-9_]+$")
    vendor: str = Field(min_length=1)
    assessment_name: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    score_type: str = Field(min_length=1)
    scale_min: float
    scale_max: float
    is_primary: bool
    # vendor_level: the level the export states (a placement, a risk level, a rating) is the
    # performance level itself, looked up in the descriptor set; no cut scores are needed.
    level_basis: Literal["scale_score", "percentile", "vendor_level"]
    descriptor_set: str = Field(min_length=1)


class DescriptorRow(_Strict):
    descriptor_set: str = Field(min_length=1)
    descriptor: str = Field(min_length=1)
    rank: int = Field(ge=1)
    numeric_value: float
    expectation: Literal["below", "at", "above"]
    is_proficient: bool


class CutScoreRow(_Strict):
    measure_id: str = Field(min_length=1)
    grade_level: str
    window_name: str = Field(min_length=1)
    level: str = Field(min_length=1)
    min_score: float
    max_score: float
    source: str | None = None

    @field_validator("grade_level")
    @classmethod
    def _valid_grade(cls, value: str) -> str:
        value = value.strip()
        if value != "*" and grade_level(value) is None:
            raise ValueError(f"'{value}' is not a grade (use PK, K, 1-12 or * for every grade)")
        return value


class SchoolCountRow(_Strict):
    """A per-school count supplied by the district (config/<funding.counts_file>); blank school_year = every year."""

    school_id: str = Field(min_length=1)
    school_year: int | None = None
    enrollment: int | None = Field(default=None, ge=0)
    low_income_public: int | None = Field(default=None, ge=0)
    direct_certification: int | None = Field(default=None, ge=0)
    low_income_private: int | None = Field(default=None, ge=0)


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


def _yaml_line(text: str, loc: tuple) -> int | None:
    """The line of the YAML node at a pydantic error location (1-based), if it can be found."""
    node = yaml.compose(text)
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            if match is None:
                return line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _field_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def load_district_yml(path: Path) -> DistrictConfig:
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else "?"
        raise ConfigError([f"{path.name} line {line}: not valid YAML ({getattr(error, 'problem', error)})"]) from None
    try:
        config = DistrictConfig.model_validate(raw or {})
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = item["loc"]
            line = _yaml_line(text, loc)
            problems.append(f"{path.name} line {line}, field '{_field_path(loc)}': {item['msg']}")
        raise ConfigError(problems) from None
    problems = []
    cal = config.calendar
    if cal.last_school_year < cal.first_school_year:
        problems.append(
            f"{path.name} line {_yaml_line(text, ('calendar', 'last_school_year'))}, field "
            f"'calendar.last_school_year': must not be before first_school_year"
        )
    names = [w.name for w in cal.windows]
    if len(set(names)) != len(names):
        problems.append(
            f"{path.name} line {_yaml_line(text, ('calendar', 'windows'))}, field 'calendar.windows': "
            f"window names must be unique"
        )
    try:
        _month_day(config.funding.count_date)
    except (ValueError, TypeError):
        problems.append(
            f"{path.name} line {_yaml_line(text, ('funding', 'count_date'))}, field 'funding.count_date': "
            f"'{config.funding.count_date}' is not a month-day like \"10-01\""
        )
    problems += _growth_problems(config.growth, cal, text, path.name)
    if problems:
        raise ConfigError(problems)
    return config


def _read_csv_rows(path: Path, model: type[BaseModel], problems: list[str]) -> list[BaseModel]:
    rows: list[BaseModel] = []
    if not path.exists():
        problems.append(f"{path.name}: file not found in the config folder")
        return rows
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        expected = set(model.model_fields)
        required = {name for name, f in model.model_fields.items() if f.is_required()}
        header = set(reader.fieldnames or [])
        missing = sorted(required - header)
        unknown = sorted(header - expected)
        if missing or unknown:
            if missing:
                problems.append(f"{path.name} line 1: missing column(s) {', '.join(missing)}")
            if unknown:
                problems.append(f"{path.name} line 1: unknown column(s) {', '.join(unknown)}")
            return rows
        for line_number, record in enumerate(reader, start=2):
            values = {k: (v.strip() if isinstance(v, str) else v) for k, v in record.items()}
            values = {k: v for k, v in values.items() if v not in ("", None) or model.model_fields[k].is_required()}
            try:
                rows.append(model.model_validate(values))
            except ValidationError as error:
                for item in error.errors():
                    field_name = _field_path(item["loc"])
                    value = record.get(field_name, "")
                    problems.append(f"{path.name} line {line_number}, field '{field_name}': {item['msg']} (got '{value}')")
    return rows


def assessment_windows(calendar: CalendarConfig) -> pd.DataFrame:
    """Every window of every configured school year, with its first and last day."""
    start_month, start_day = _month_day(calendar.year_starts)
    records = []
    for school_year in range(calendar.first_school_year, calendar.last_school_year + 1):
        year_start = date(school_year - 1, start_month, start_day)
        next_year_start = date(school_year, start_month, start_day)
        starts = []
        for window in calendar.windows:
            month, day = _month_day(window.starts)
            candidate = date(school_year - 1, month, day)
            if candidate < year_start:
                candidate = date(school_year, month, day)
            starts.append((candidate, window.name))
        starts.sort()
        for order, (start, name) in enumerate(starts, start=1):
            end = starts[order][0] - timedelta(days=1) if order < len(starts) else next_year_start - timedelta(days=1)
            records.append((school_year, name, order, start, end))
    return pd.DataFrame(records, columns=["school_year", "window_name", "window_order", "start_date", "end_date"])


def calendar_days(windows: pd.DataFrame) -> pd.DataFrame:
    """Every day of every configured school year with its window: lets a date find its window by equality."""
    days = windows.assign(
        calendar_date=[pd.date_range(s, e, freq="D") for s, e in zip(windows["start_date"], windows["end_date"])]
    ).explode("calendar_date")
    days["calendar_date"] = pd.to_datetime(days["calendar_date"]).dt.date
    return days[["calendar_date", "school_year", "window_name"]].reset_index(drop=True)


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
    measures = _read_csv_rows(config_dir / "measures.csv", MeasureRow, problems)
    descriptors = _read_csv_rows(config_dir / "descriptor_sets.csv", DescriptorRow, problems)
    cuts = _read_csv_rows(config_dir / "cut_scores.csv", CutScoreRow, problems)
    school_counts: list[SchoolCountRow] = []
    if district is not None and district.funding.counts_file:
        school_counts = _read_csv_rows(config_dir / district.funding.counts_file, SchoolCountRow, problems)
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
    grade12_windows = _grade12_windows(district, windows, set(measure_by_id), problems)
    problems += _growth_measure_problems(district, measure_by_id, district_path.read_text(encoding="utf-8"))
    mtss_tier_rules, roi_norms = _mtss_definitions(config_dir, district, measure_by_id, descriptors, problems)
    if problems:
        raise ConfigError(problems)

    cut_frame = pd.DataFrame([c.model_dump() for c in cuts])
    cut_frame["line"] = range(2, len(cut_frame) + 2)
    expanded = _expand_cut_scores(cut_frame, sorted(window_names))
    overlaps = _overlapping_bands(expanded)
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


def _grade12_windows(
    district: DistrictConfig, windows: pd.DataFrame, measure_ids: set[str], problems: list[str]
) -> pd.DataFrame:
    """The day of each school year's windows on which the grade 1-2 population is taken from the roster."""
    columns = ["school_year", "window_name", "draw_date"]
    design = district.grade12_sampling
    if design is None:
        return pd.DataFrame(columns=columns)
    where = "district.yml, field 'grade12_sampling."
    window_names = set(windows["window_name"])
    for subject, measure_id in design.measures.items():
        if measure_id not in measure_ids:
            problems.append(f"{where}measures.{subject}': '{measure_id}' is not in measures.csv")
    for name in [*design.windows, *design.draw_dates]:
        if name not in window_names:
            problems.append(f"{where}windows': '{name}' is not a window in calendar.windows")
    if problems:
        return pd.DataFrame(columns=columns)
    chosen = windows[windows["window_name"].isin(design.windows)].copy()
    draw_dates = []
    for school_year, name, start, end in zip(chosen["school_year"], chosen["window_name"], chosen["start_date"], chosen["end_date"]):
        if name not in design.draw_dates:
            draw_dates.append(start)
            continue
        month, day = _month_day(design.draw_dates[name])
        candidate = date(start.year, month, day)
        if candidate < start:
            candidate = date(start.year + 1, month, day)
        if candidate > end:
            problems.append(
                f"{where}draw_dates.{name}': {design.draw_dates[name]} is not inside the {name} window "
                f"({start:%m-%d} to {end:%m-%d})"
            )
            return pd.DataFrame(columns=columns)
        draw_dates.append(candidate)
    chosen["draw_date"] = draw_dates
    return chosen[columns].reset_index(drop=True)


def _growth_measure_problems(district: DistrictConfig, measure_by_id: dict, text: str) -> list[str]:
    """Growth percentile measures must be in measures.csv and of the subject they are listed under;
    the primary metrics (the transition matrices' measures) must be in measures.csv."""
    problems = []
    for subject, measure_id in district.growth.sgp.measures.items():
        loc = ("growth", "sgp", "measures", subject)
        measure = measure_by_id.get(measure_id)
        if measure is None:
            message = f"'{measure_id}' is not in measures.csv"
        elif measure.subject != subject:
            message = f"'{measure_id}' is a {measure.subject} measure in measures.csv, not {subject}"
        else:
            continue
        problems.append(f"district.yml line {_yaml_line(text, loc)}, field '{_field_path(loc)}': {message}")
    if district.growth.progress_matrix_spans:
        for subject, measure_id in district.metrics.primary.items():
            if measure_id not in measure_by_id:
                loc = ("metrics", "primary", subject)
                problems.append(
                    f"district.yml line {_yaml_line(text, loc)}, field '{_field_path(loc)}': '{measure_id}' is not in "
                    f"measures.csv (the progress matrices of growth.progress_matrix_spans use it)"
                )
    return problems


TIER_RULE_COLUMNS = [
    "rule_position", "rule_name", "subject", "measure_id", "basis", "tier", "below_percentile", "performance_level",
]
ROI_NORM_COLUMNS = ["measure_id", "grade_level", "expected_weekly_roi", "ambitious_weekly_roi", "source"]


def _mtss_definitions(
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
        problems.append(f"district.yml line {_yaml_line(text, loc)}, field '{_field_path(loc)}': {message}")

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
    norm_rows = _read_csv_rows(config_dir / norms_file, RoiNormRow, problems)
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
    year_start = _month_day(calendar.year_starts)
    month, day = _month_day(district.mtss.progress_monitoring.default_goal_date)
    years = range(calendar.first_school_year, calendar.last_school_year + 1)
    autumn = (month, day) >= year_start
    return pd.DataFrame(
        {"school_year": list(years), "default_goal_date": [date(y - 1 if autumn else y, month, day) for y in years]}
    )


def _write_mtss(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
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


def _expand_cut_scores(cuts: pd.DataFrame, window_names: list[str]) -> pd.DataFrame:
    """Replace '*' grades and windows by one row per grade and per window (a specific row wins)."""
    frame = cuts.copy()
    frame["is_specific"] = (frame["grade_level"] != "*").astype(int) + (frame["window_name"] != "*").astype(int)
    frame["grade_level"] = frame["grade_level"].map(lambda g: ALL_GRADES if g == "*" else [grade_level(g)])
    frame["window_name"] = frame["window_name"].map(lambda w: window_names if w == "*" else [w])
    frame = frame.explode("grade_level").explode("window_name")
    frame["grade_level"] = frame["grade_level"].astype(int)
    most_specific = frame.groupby(["measure_id", "grade_level", "window_name"])["is_specific"].transform("max")
    frame = frame[frame["is_specific"] == most_specific].drop(columns=["is_specific"])
    return frame.sort_values(["measure_id", "grade_level", "window_name", "min_score"]).reset_index(drop=True)


def _overlapping_bands(cuts: pd.DataFrame) -> list[str]:
    ordered = cuts.sort_values(["measure_id", "grade_level", "window_name", "min_score"])
    previous = ordered.groupby(["measure_id", "grade_level", "window_name"])[["max_score", "line"]].shift(1)
    clash = ordered[ordered["min_score"] <= previous["max_score"]]
    return sorted(
        {
            f"cut_scores.csv line {int(row.line)}, field 'min_score': band '{row.level}' overlaps the band on line "
            f"{int(previous.loc[idx, 'line'])} for {row.measure_id}, grade {row.grade_level}, window {row.window_name}"
            for idx, row in clash.iterrows()
        }
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
    counts.update(_write_grade12_design(con, definitions))
    counts.update(_write_funding(con, definitions))
    counts.update(_write_seb(con, definitions))
    counts.update(_write_growth(con, definitions))
    counts.update(_write_mtss(con, definitions))
    con.execute("alter table config.assessment_windows alter start_date type date")
    con.execute("alter table config.assessment_windows alter end_date type date")
    con.execute("alter table config.calendar_days alter calendar_date type date")
    return counts


def _write_grade12_design(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """config.grade12_design (one row, none when the district samples nothing), grade12_measures, grade12_windows."""
    design = definitions.district.grade12_sampling
    con.execute(
        """
        create or replace table config.grade12_design (
            seed varchar, margin_of_error double, confidence_level double, z_value double,
            expected_proportion double, minimum_sample integer, maximum_sample integer, stratify_by varchar,
            same_students_for_all_subjects boolean, ci_method varchar
        )
        """
    )
    con.execute("create or replace table config.grade12_measures (grade_level integer, subject varchar, measure_id varchar)")
    con.execute("create or replace table config.grade12_windows (school_year integer, window_name varchar, draw_date date)")
    if design is None:
        return {"grade12_design": 0, "grade12_measures": 0, "grade12_windows": 0}
    z_value = NormalDist().inv_cdf(0.5 + design.confidence_level / 2)
    con.execute(
        "insert into config.grade12_design values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            design.seed,
            design.margin_of_error,
            design.confidence_level,
            z_value,
            design.expected_proportion,
            design.minimum_sample,
            design.maximum_sample,
            design.stratify_by,
            design.same_students_for_all_subjects,
            design.ci_method,
        ],
    )
    measure_rows = [(g, subject, m) for g in design.grades for subject, m in design.measures.items()]
    if measure_rows:
        con.executemany("insert into config.grade12_measures values (?, ?, ?)", measure_rows)
    con.register("_grade12_windows", definitions.grade12_windows)
    con.execute("insert into config.grade12_windows select school_year, window_name, draw_date from _grade12_windows")
    con.unregister("_grade12_windows")
    return {
        "grade12_design": 1,
        "grade12_measures": len(measure_rows),
        "grade12_windows": len(definitions.grade12_windows),
    }


def _write_seb(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """config.seb_incident_patterns: one row with the incident pattern thresholds."""
    patterns = definitions.district.seb.incident_patterns
    con.execute(
        """
        create or replace table config.seb_incident_patterns (
            minimum_incidents integer, top_students integer, top_student_share double, specific_share double
        )
        """
    )
    con.execute(
        "insert into config.seb_incident_patterns values (?, ?, ?, ?)",
        [patterns.minimum_incidents, patterns.top_students, patterns.top_student_share, patterns.specific_share],
    )
    return {"seb_incident_patterns": 1}


def _write_growth(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """config.growth_spans, growth_measures and growth_sgp (one row; none without SGP measures)."""
    d = definitions.district
    growth = d.growth
    target = growth.vendor_target_span
    spans = pd.DataFrame(
        [
            {
                "span_use": use,
                "from_window": span.from_window,
                "to_window": span.to_window,
                "is_prior_year": span.prior_year,
                "baseline": span.baseline,
                "has_vendor_target": use == "gain"
                and target is not None
                and (span.from_window, span.to_window, span.prior_year)
                == (target.from_window, target.to_window, target.prior_year),
            }
            for use, listed in (("gain", growth.spans), ("progress_matrix", growth.progress_matrix_spans))
            for span in listed
        ],
        columns=["span_use", "from_window", "to_window", "is_prior_year", "baseline", "has_vendor_target"],
    )
    measures = pd.DataFrame(
        [("sgp", subject, m) for subject, m in growth.sgp.measures.items()]
        + [("progress_matrix", subject, m) for subject, m in d.metrics.primary.items() if growth.progress_matrix_spans],
        columns=["purpose", "subject", "measure_id"],
    )
    con.execute(
        """
        create or replace table config.growth_spans (
            span_use varchar, from_window varchar, to_window varchar, is_prior_year boolean, baseline varchar,
            has_vendor_target boolean
        )
        """
    )
    con.execute("create or replace table config.growth_measures (purpose varchar, subject varchar, measure_id varchar)")
    con.execute("create or replace table config.growth_sgp (window_name varchar, max_priors integer, min_cohort integer)")
    for table, frame in (("growth_spans", spans), ("growth_measures", measures)):
        if len(frame):
            con.register("_growth_frame", frame)
            con.execute(f"insert into config.{table} select * from _growth_frame")
            con.unregister("_growth_frame")
    sgp_rows = 0
    if growth.sgp.measures:
        con.execute(
            "insert into config.growth_sgp values (?, ?, ?)",
            [growth.sgp.window, growth.sgp.max_priors, growth.sgp.min_cohort],
        )
        sgp_rows = 1
    return {"growth_spans": len(spans), "growth_measures": len(measures), "growth_sgp": sgp_rows}


def funding_count_dates(district: DistrictConfig) -> pd.DataFrame:
    """The day of each configured school year on which students are counted for funding."""
    calendar = district.calendar
    year_month, year_day = _month_day(calendar.year_starts)
    month, day = _month_day(district.funding.count_date)
    autumn = (month, day) >= (year_month, year_day)
    years = range(calendar.first_school_year, calendar.last_school_year + 1)
    return pd.DataFrame(
        {"school_year": list(years), "count_date": [date(y - 1 if autumn else y, month, day) for y in years]}
    )


def _write_funding(con: duckdb.DuckDBPyConnection, definitions: DistrictDefinitions) -> dict[str, int]:
    """config.funding_formulas (one JSON document per formula), funding_count_dates and funding_counts."""
    funding = definitions.district.funding
    formulas = pd.DataFrame(
        {
            "formula_position": range(1, len(funding.formulas) + 1),
            "formula_name": [f.name for f in funding.formulas],
            "method": [f.method for f in funding.formulas],
            "formula_json": [f.model_dump_json() for f in funding.formulas],
        }
    )
    dates = funding_count_dates(definitions.district)
    con.execute(
        """
        create or replace table config.funding_formulas (
            formula_position integer, formula_name varchar, method varchar, formula_json varchar
        )
        """
    )
    con.execute("create or replace table config.funding_count_dates (school_year integer, count_date date)")
    con.execute(
        """
        create or replace table config.funding_counts (
            school_id varchar, school_year integer, enrollment integer, low_income_public integer,
            direct_certification integer, low_income_private integer
        )
        """
    )
    for table, frame in (("funding_formulas", formulas), ("funding_count_dates", dates), ("funding_counts", definitions.funding_counts)):
        if len(frame):
            con.register("_funding_frame", frame)
            con.execute(f"insert into config.{table} select * from _funding_frame")
            con.unregister("_funding_frame")
    return {"funding_formulas": len(formulas), "funding_count_dates": len(dates), "funding_counts": len(definitions.funding_counts)}
