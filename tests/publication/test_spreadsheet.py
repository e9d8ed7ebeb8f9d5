"""Exports a teacher opens in a spreadsheet never run a formula hidden in a name or a note."""

import openpyxl
import pandas as pd

from publication.spreadsheet import neutralise_formulas, write_csv, write_xlsx

FRAME = pd.DataFrame(
    {
        "last_name": ["=HYPERLINK(\"http://x\",\"click\")", "O'Brien", "+1+1", "@SUM(A1)", "-2+3", None],
        "sample_order": [1, 2, 3, 4, 5, 6],
        "score": [-5.0, 1.5, 2.0, 3.0, 4.0, 5.0],
    }
)


def test_text_that_starts_a_formula_is_kept_as_text():
    safe = neutralise_formulas(FRAME)
    assert safe["last_name"].tolist()[:5] == ["'=HYPERLINK(\"http://x\",\"click\")", "O'Brien", "'+1+1", "'@SUM(A1)", "'-2+3"]
    assert pd.isna(safe["last_name"].iloc[5])
    assert safe["score"].tolist() == FRAME["score"].tolist()  # numbers, negative ones included, are untouched


def test_csv_and_xlsx_files_hold_no_formula(tmp_path):
    write_csv(FRAME, tmp_path / "roster.csv")
    assert "\n=HYPERLINK" not in (tmp_path / "roster.csv").read_text()
    write_xlsx({"Fall grade 1": FRAME}, tmp_path / "roster.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "roster.xlsx")["Fall grade 1"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert sheet["A2"].value == "'=HYPERLINK(\"http://x\",\"click\")"
