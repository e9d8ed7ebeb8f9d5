"""district.yml: the district's settings, read and validated with each problem's line and field."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from analytics.funding import FundingConfig

from .base import ConfigError, StrictModel, field_path, parse_month_day, yaml_line
from .calendar import CalendarConfig
from .grade12 import Grade12SamplingConfig
from .growth import GrowthConfig, growth_problems
from .mtss import MtssConfig
from .seb import SebConfig


class DistrictInfo(StrictModel):
    name: str = Field(min_length=1)
    state_district_id: str | None = None


class MetricsConfig(StrictModel):
    primary: dict[str, str] = Field(default_factory=dict)
    supporting: dict[str, list[str]] = Field(default_factory=dict)


class PrivacyConfig(StrictModel):
    minimum_n: int = Field(default=10, ge=1)


class ArchiveLimitsConfig(StrictModel):
    """How far a delivered ZIP archive (or XLSX workbook) may expand before it is refused whole."""

    max_uncompressed_mb: float = Field(default=8192, gt=0)
    max_ratio: float = Field(default=100, gt=1)
    max_members: int = Field(default=10_000, ge=1)


class IngestionConfig(StrictModel):
    archives: ArchiveLimitsConfig = Field(default_factory=ArchiveLimitsConfig)
    # a result or an observation dated more than this many days after the day it is loaded is
    # refused (future_date): a typed-in year, or a device clock that is wrong
    future_days: int = Field(default=3, ge=0)


class RosterChangeConfig(StrictModel):
    """How far a new roster delivery may differ from the last published one before it blocks."""

    # students of the last roster missing from the new one with no withdrawal, as a share of them
    max_vanished_share: float = Field(default=0.02, ge=0, le=1)
    # the share of a school's enrolled students it may lose between two deliveries
    max_school_loss: float = Field(default=0.25, ge=0, le=1)


class PublicationConfig(StrictModel):
    keep_last: int = Field(default=5, ge=1)
    roster: RosterChangeConfig = Field(default_factory=RosterChangeConfig)
    # a mart whose row count moves by this fraction of the last publication's or more blocks it
    row_count_tolerance: float = Field(default=0.5, gt=0)
    # name of the environment variable holding a PostgreSQL URL: when it is set, `spt run` also
    # publishes to that server after each successful publication (the URL, with its password,
    # never sits in the config)
    postgres_url_env: str | None = None


class ReaderAccessConfig(StrictModel):
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


class DistrictConfig(StrictModel):
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
            line = yaml_line(text, loc)
            problems.append(f"{path.name} line {line}, field '{field_path(loc)}': {item['msg']}")
        raise ConfigError(problems) from None
    problems = []
    cal = config.calendar
    if cal.last_school_year < cal.first_school_year:
        problems.append(
            f"{path.name} line {yaml_line(text, ('calendar', 'last_school_year'))}, field "
            f"'calendar.last_school_year': must not be before first_school_year"
        )
    names = [w.name for w in cal.windows]
    if len(set(names)) != len(names):
        problems.append(
            f"{path.name} line {yaml_line(text, ('calendar', 'windows'))}, field 'calendar.windows': "
            f"window names must be unique"
        )
    try:
        parse_month_day(config.funding.count_date)
    except (ValueError, TypeError):
        problems.append(
            f"{path.name} line {yaml_line(text, ('funding', 'count_date'))}, field 'funding.count_date': "
            f"'{config.funding.count_date}' is not a month-day like \"10-01\""
        )
    problems += growth_problems(config.growth, cal, text, path.name)
    if problems:
        raise ConfigError(problems)
    return config
