"""Synthetic files of this source family for the demo district."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .context import District, SourceFile, YearPlan


def write_year(district: District, plan: YearPlan, landing: Path, rng: np.random.Generator) -> list[SourceFile]:
    return []
