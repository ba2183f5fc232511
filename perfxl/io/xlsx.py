"""Saving the workbooks perfxl builds with openpyxl (prepared 自评 workbooks, imported and migrated
workbooks, blank templates): the one place where a text that came from input is kept as text."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook


def keep_texts(book: Workbook) -> int:
    """Store every cell openpyxl took for a formula as the text it is; returns how many there were.

    openpyxl makes any string that starts with `=` a formula, so `=HYPERLINK(...)` typed as a project
    name would become a live link in the unit's Excel. perfxl writes no formula of its own into these
    workbooks, so no formula may remain."""
    kept = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    kept += 1
    return kept


def save_book(book: Workbook, path: Path) -> None:
    """`book` zipped in memory, texts kept as texts, and written to `path` in one go."""
    keep_texts(book)
    data = io.BytesIO()
    book.save(data)
    path.write_bytes(data.getvalue())
