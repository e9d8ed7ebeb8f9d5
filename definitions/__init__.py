"""The district's own definitions (config/): loaded and validated, then written to the `config`
schema dbt reads. Every error names the file, the line and the field, so a district data engineer
can fix a definition without reading code.

One module per domain: `district` (district.yml), `calendar` (school years and windows),
`measures` (measures, descriptor sets, cut scores), `growth`, `mtss`, `seb`, `grade12` (the
sampling design), `funding`; `loader` reads a whole config folder and writes the schema.
"""

from .base import ConfigError
from .calendar import assessment_windows, calendar_days
from .district import DistrictConfig, ReaderAccessConfig, load_district_yml
from .loader import DistrictDefinitions, load_definitions, write_config_schema

__all__ = [
    "ConfigError",
    "DistrictConfig",
    "DistrictDefinitions",
    "ReaderAccessConfig",
    "assessment_windows",
    "calendar_days",
    "load_definitions",
    "load_district_yml",
    "write_config_schema",
]
