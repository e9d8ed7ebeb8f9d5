"""Spreadsheet-safe exports: text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which every text cell that a spreadsheet would evaluate starts with an apostrophe."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype("string")
            risky = text.str.startswith(FORMULA_STARTS).fillna(False)
            if risky.any():
                out[column] = out[column].where(~risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    neutralise_formulas(frame).to_csv(path, index=False)
    return path


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """One worksheet per frame (names cut to Excel's 31 characters), header row frozen."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet = name[:31]
            neutralise_formulas(frame).to_excel(writer, sheet_name=sheet, index=False)
            writer.sheets[sheet].freeze_panes = "A2"
    return path
