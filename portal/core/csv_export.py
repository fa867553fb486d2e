"""Files for staff (queue export, monthly report) that are safe to open in a spreadsheet: CSV,
and Excel workbooks (.xlsx, written with openpyxl) holding the same cells.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a
formula by Excel or LibreOffice (OWASP: CSV injection); such cells get a leading apostrophe, in
both formats (`safe_cell`). In a workbook every text cell is also stored as text, never as a
formula (openpyxl would otherwise write a string starting with `=` as one), and numbers as numbers.
CSV files are UTF-8 with a byte-order mark so that Excel shows Chinese correctly.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable, Sequence

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.core.redaction_marks import show_marks

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters XML 1.0 cannot hold (openpyxl refuses them): dropped from workbook cells.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Column widths in characters (a Chinese character counts as two), between these bounds.
_MIN_WIDTH, _MAX_WIDTH = 8, 50


def safe_cell(value: Any) -> str:
    """`value` as text, with a leading apostrophe when a spreadsheet would read it as a formula, and
    a removed passage's mark shown in the current language."""
    text = "" if value is None else show_marks(str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The CSV document (with BOM) for `header` and `rows`, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download of the CSV document, never cached."""
    return Response(
        csv_text(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _width(value: Any) -> int:
    """About how many characters wide `value` shows (full-width characters count as two)."""
    text = str(value)
    return len(text) + sum(1 for ch in text if ord(ch) >= 0x1100)


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet_title: str) -> bytes:
    """An Excel workbook of one sheet named `sheet_title`: the header row in bold and frozen (it
    stays in view when scrolling), a filter on every column, each column as wide as its widest
    cell (within 8 and 50 characters).

    Text cells get `safe_cell` and are stored as text; ints and floats are stored as numbers.
    """
    header = [safe_cell(h) for h in header]
    body = [[cell if isinstance(cell, (int, float)) and not isinstance(cell, bool) else safe_cell(cell)
             for cell in row] for row in rows]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_NOT_IN_XML.sub("", sheet_title)[:31] or "Sheet1")  # Excel's limit
    sheet.freeze_panes = "A2"
    for index, _name in enumerate(header):
        widest = max([_width(header[index])] + [_width(row[index]) for row in body if index < len(row)])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(widest + 2, _MIN_WIDTH), _MAX_WIDTH)
    if header:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(body) + 1}"
    bold = Font(bold=True)
    sheet.append([_xlsx_cell(sheet, name, font=bold) for name in header])
    for row in body:
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any, font: Font | None = None) -> WriteOnlyCell:
    """One cell: a number as a number, anything else as text (never a formula)."""
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_NOT_IN_XML.sub("", value))
        cell.data_type = "s"
    else:
        cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    return cell


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet_title: str) -> Response:
    """A download of the workbook (`xlsx_bytes`), never cached."""
    return Response(
        xlsx_bytes(header, rows, sheet_title=sheet_title),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def table_response(file_format: str, stem: str, header: Sequence[str], rows: Sequence[Sequence[Any]], *,
                   sheet_title: str) -> Response:
    """The table as a download named `stem` plus `.csv` or `.xlsx` (`file_format`: "csv" or
    "xlsx"; ValueError for anything else). Both hold the same cells."""
    if file_format == "csv":
        return csv_response(f"{stem}.csv", header, rows)
    if file_format == "xlsx":
        return xlsx_response(f"{stem}.xlsx", header, rows, sheet_title=sheet_title)
    raise ValueError(f"unknown export format {file_format!r}")
