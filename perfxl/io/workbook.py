"""Opening a workbook safely and turning its sheets into plain grids of cell values.

Two engines: python-calamine (fast, values only) for the usual workbook, openpyxl for a workbook that
holds formulas, since only openpyxl tells a formula's text apart from its cached value.
"""

from __future__ import annotations

import io
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine

from perfxl.core.values import label_key
from perfxl.io.container import Limits, Scan, UnreadableWorkbook, check_container
from perfxl.io.numfmt import changes_meaning

__all__ = ["Grid", "Limits", "UnreadableWorkbook", "load_grids"]


@dataclass
class Grid:
    """One sheet: `rows[r][c]` is the value of the cell at row r+1, column c+1 (cached value for formulas)."""

    name: str
    rows: list[list[Any]]  # cell values: str, int, float, bool, date, datetime, time, timedelta or None
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # The number format of each number whose format changes its meaning (a percentage, a literal unit
    # such as "万元"); None when the engine did not read formats (the workbook has no such format).
    formats: dict[tuple[int, int], str] | None = None
    hidden: bool = False  # the sheet is hidden or very hidden in Excel
    hidden_rows: frozenset[int] = frozenset()  # 0-based rows hidden in Excel
    hidden_cols: frozenset[int] = frozenset()  # 0-based columns hidden in Excel
    date1904: bool = False  # the workbook counts dates from 1904 (Excel for Mac's old default)
    passed_over: tuple[str, ...] = ()  # hidden sheets of the same name, not read since this one is visible

    def value(self, row: int, col: int) -> object:
        if row < len(self.rows) and col < len(self.rows[row]):
            value = self.rows[row][col]
            return None if value == "" else value
        return None


def _match_sheets(available: list[str], wanted: tuple[str, ...], hidden: set[str]) -> dict[str, str]:
    """Wanted name -> the sheet read for it: a visible one before a hidden one, the exact name first."""
    by_key = defaultdict(list)
    for name in available:
        by_key[label_key(name)].append(name)
    return {name: min(by_key[label_key(name)], key=lambda n: (n in hidden, n != name))
            for name in wanted if label_key(name) in by_key}


def _mark_hidden(grids: dict[str, Grid], found: dict[str, str], scan: Scan) -> dict[str, Grid]:
    """Tell each grid whether its sheet and which of its rows are hidden, and which hidden namesakes lost."""
    for name, grid in grids.items():
        actual = found[name]
        grid.hidden = actual in scan.hidden_sheets
        grid.hidden_rows = frozenset(scan.hidden_rows.get(scan.parts.get(actual, ""), ()))
        grid.hidden_cols = frozenset(scan.hidden_cols.get(scan.parts.get(actual, ""), ()))
        grid.date1904 = scan.date1904
        grid.passed_over = tuple(n for n in scan.parts if n != actual and n in scan.hidden_sheets
                                 and label_key(n) == label_key(name))
    return grids


def _calamine_grids(data: bytes, found: dict[str, str]) -> dict[str, Grid]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        return {
            name: Grid(name, book.get_sheet_by_name(actual).to_python(skip_empty_area=False))
            for name, actual in found.items()
        }
    finally:
        book.close()


def _openpyxl_grids(data: bytes, found: dict[str, str]) -> dict[str, Grid]:
    # openpyxl warns on stderr about what the reader reports as findings anyway (e.g. dates out of range)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return _openpyxl_grids_quietly(data, found)


def _openpyxl_grids_quietly(data: bytes, found: dict[str, str]) -> dict[str, Grid]:
    import openpyxl  # only for the rare workbook with formulas: keeps start-up ~0.15 s shorter

    formulas_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    values_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        grids = {}
        for name, actual in found.items():
            rows = [list(row) for row in values_book[actual].iter_rows(values_only=True)]
            formulas, formats = {}, {}
            for r, row in enumerate(formulas_book[actual].iter_rows()):
                for c, cell in enumerate(row):
                    kind = getattr(cell, "data_type", None)
                    if kind == "f":
                        formulas[(r, c)] = str(getattr(cell.value, "text", cell.value))
                    elif kind == "n" and changes_meaning(cell.number_format):
                        formats[(r, c)] = cell.number_format
            grids[name] = Grid(name, rows, formulas, formats)
        return grids
    finally:
        formulas_book.close()
        values_book.close()


def _fast_grids(data: bytes, found: dict[str, str]) -> dict[str, Grid]:
    """calamine's grids; openpyxl's when calamine panics (e.g. on a huge number in a date-formatted cell)."""
    try:
        return _calamine_grids(data, found)
    except BaseException as error:  # a Rust panic arrives as pyo3's PanicException, a BaseException
        if type(error).__name__ != "PanicException":
            raise
    return _openpyxl_grids(data, found)


def load_grids(path: Path, wanted: tuple[str, ...], limits: Limits, formats: bool = False) -> dict[str, Grid]:
    """The sheets named in `wanted` (matched ignoring spaces; visible before hidden) as grids.

    `formats`: read with openpyxl, which also tells each number's format; done anyway when the workbook
    defines a format that changes what a number means (a percentage, a literal unit)."""
    try:
        scan = check_container(path, limits)
        found = _match_sheets(list(scan.parts), wanted, scan.hidden_sheets)
        engine = _openpyxl_grids if scan.has_formulas or formats or scan.meaningful_formats else _fast_grids
        return _mark_hidden(engine(scan.data, found), found, scan)
    except python_calamine.PasswordError as error:
        raise UnreadableWorkbook("工作簿设置了密码，无法读取", "请取消密码后另存为 .xlsx") from error
    except PermissionError as error:
        raise UnreadableWorkbook("无法读取该文件（没有读取权限）", "请检查文件权限") from error
    except UnreadableWorkbook:
        raise
    except Exception as error:  # noqa: BLE001 - any parser failure on a damaged file is the user's S01
        raise UnreadableWorkbook(f"文件内容已损坏，无法读取（{type(error).__name__}）",
                                 "请用 Excel 打开并另存为 .xlsx，或请填报人重新发送") from error
