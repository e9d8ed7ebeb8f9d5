"""What every definition shares: the error naming file, line and field, the strict model base,
and the readers of YAML locations and CSV rows."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ingestion.grades import GRADE_LEVELS

ALL_GRADES = list(GRADE_LEVELS)


class ConfigError(Exception):
    """One or more problems in the district's definitions; each message names file, line and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def parse_month_day(value: str) -> tuple[int, int]:
    month, day = (int(part) for part in value.split("-"))
    date(2001, month, day)  # raises for an impossible day
    return month, day


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def yaml_line(text: str, loc: tuple) -> int | None:
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


def field_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def read_csv_rows(path: Path, model: type[BaseModel], problems: list[str]) -> list[BaseModel]:
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
                    field_name = field_path(item["loc"])
                    value = record.get(field_name, "")
                    problems.append(f"{path.name} line {line_number}, field '{field_name}': {item['msg']} (got '{value}')")
    return rows
