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


class Percent(float):
    """A rate: shown as "66.7%", exported as a number (Excel: percent format)."""

    number_format = "0.0%"

    def __str__(self) -> str:
        return f"{self * 100:.1f}%"


class Days(float):
    """Working days with one decimal: shown as "2.5", exported as a number."""

    number_format = "0.0"

    def __str__(self) -> str:
        return f"{self:.1f}"


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: None as empty, numbers as they are shown, formula-like text behind an
    apostrophe."""
    if value is None:
        return ""
    if isinstance(value, Percent | Days):
        return str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def append_row(sheet, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet: every str a string cell (never a formula), rates and working days
    numbers with their display format."""
    values = list(values)
    sheet.append([float(v) if isinstance(v, Percent | Days) else v for v in values])
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"
        elif isinstance(value, Percent | Days):
            cell.number_format = value.number_format
