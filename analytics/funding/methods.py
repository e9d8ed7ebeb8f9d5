"""Allocate by whichever method a formula configures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .formulas import TitleIFormula, WeightedStudentFormula
from .title_i import allocate_title_i
from .weighted import allocate_weighted

if TYPE_CHECKING:
    from .counts import Allocation


def allocate(counts: pd.DataFrame, formula: TitleIFormula | WeightedStudentFormula) -> Allocation:
    """Allocate by whichever method `formula` configures."""
    if isinstance(formula, TitleIFormula):
        return allocate_title_i(counts, formula)
    if isinstance(formula, WeightedStudentFormula):
        return allocate_weighted(counts, formula)
    raise TypeError(f"not a funding formula: {type(formula).__name__}")
