"""CSV files for staff (queue export, monthly report) that are safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a
formula by Excel or LibreOffice (OWASP: CSV injection); such cells get a leading apostrophe.
Files are UTF-8 with a byte-order mark so that Excel shows Chinese correctly.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Sequence

from flask import Response

from portal.core.redaction_marks import show_marks

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
