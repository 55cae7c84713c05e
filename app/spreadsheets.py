"""Writing user-typed text into CSV and Excel files without it turning into formulas.

A cell that starts with "=", "+", "-" or "@" (or a tab or carriage return) is run as a formula by
spreadsheet programs: text a clerk typed (a reason, a description) could then compute or fetch things on
the reader's machine. In .xlsx such text is stored as a string cell; in CSV, which has no types, it gets a
leading apostrophe, which spreadsheet programs show as "text follows".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: None as empty, formula-like text behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def append_row(sheet, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet, every str as a string cell (never a formula)."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"
