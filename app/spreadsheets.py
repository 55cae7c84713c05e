"""Writing user-typed text into CSV and Excel files without it turning into formulas; reading an uploaded .xlsx
within limits.

A cell that starts with "=", "+", "-" or "@" (or a tab or carriage return) is run as a formula by
spreadsheet programs: text a clerk typed (a reason, a description) could then compute or fetch things on
the reader's machine. In .xlsx such text is stored as a string cell; in CSV, which has no types, it gets a
leading apostrophe, which spreadsheet programs show as "text follows".
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from zipfile import BadZipFile, ZipFile

from lxml import etree
from openpyxl.utils.exceptions import InvalidFileException

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


# --- reading an uploaded workbook within limits ----------------------------------------------------------------
# Checked before any row is read (a small .xlsx can hold rows as wide as column XFD and pin a worker): the file,
# the XML inside it once unpacked, the declared size of each sheet; then rows and time while reading. Each
# importer gives its own limits and the exception that refuses a file (`refuse(message)`).

# What openpyxl raises for a file that is no workbook, or whose XML is broken or refused (a DTD, an entity):
# in read-only mode the sheets are parsed lazily, while their rows are read, so the whole reading is guarded.
NOT_A_WORKBOOK = (
    InvalidFileException,
    BadZipFile,
    OSError,
    KeyError,
    ValueError,
    SyntaxError,
    etree.LxmlError,
)

Refuse = Callable[[str], Exception]


@dataclass(frozen=True)
class WorkbookLimits:
    """How much of an uploaded workbook an importer reads."""

    file_bytes: int
    unpacked_bytes: int
    rows: int
    columns: int
    seconds: float


def check_package(content: bytes, limits: WorkbookLimits, refuse: Refuse) -> None:
    """The file and its unpacked XML within the limits, and a zip at all."""
    if len(content) > limits.file_bytes:
        raise refuse(f"文件过大：{len(content) // 1024} KB，上限 {limits.file_bytes // 1024 // 1024} MB")
    try:
        with ZipFile(io.BytesIO(content)) as package:
            unpacked = sum(info.file_size for info in package.infolist())
    except (BadZipFile, OSError):
        raise refuse("不是有效的 .xlsx 文件（BadZipFile）") from None
    if unpacked > limits.unpacked_bytes:
        raise refuse(
            f"文件解压后过大：{unpacked // 1024 // 1024} MB，上限 {limits.unpacked_bytes // 1024 // 1024} MB"
        )


def check_sheet(sheet, limits: WorkbookLimits, refuse: Refuse) -> None:
    """The sheet's declared dimensions within the limits (read-only sheets declare them up front)."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > limits.rows + 1:
        raise refuse(f"工作表“{sheet.title}”有 {rows} 行，上限 {limits.rows} 行（不含表头）")
    if columns > limits.columns:
        raise refuse(f"工作表“{sheet.title}”有 {columns} 列，上限 {limits.columns} 列")


def header_row(sheet, limits: WorkbookLimits) -> tuple:
    """The first row, at most `limits.columns` cells."""
    return next(sheet.iter_rows(min_row=1, max_row=1, max_col=limits.columns, values_only=True), ())


def limited_rows(sheet, limits: WorkbookLimits, refuse: Refuse, started: float) -> Iterator[tuple]:
    """The data rows (from row 2), at most `limits.columns` cells each; past `limits.rows` rows or
    `limits.seconds` since `started` (time.monotonic), refused (a sheet whose declared size was false is caught
    here)."""
    for count, row in enumerate(
        sheet.iter_rows(min_row=2, max_col=limits.columns, values_only=True), start=1
    ):
        if count > limits.rows:
            raise refuse(f"工作表“{sheet.title}”超过 {limits.rows} 行（不含表头）")
        if time.monotonic() - started > limits.seconds:
            raise refuse(f"读取超过 {limits.seconds:g} 秒，请拆分文件后分批导入")
        yield row
