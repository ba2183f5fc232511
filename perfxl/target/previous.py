"""Last year's consolidated workbook (the output of an earlier run), read for rule X03."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from perfxl.core.errors import PerfxlError
from perfxl.core.model import PROJECT_SHEET
from perfxl.core.values import ParseError, is_blank, label_key, parse_amount, to_text
from perfxl.io.workbook import Limits, UnreadableWorkbook, check_container

# 项目汇总's columns that identify a project and give its 项目当年预算 (上海2020's labels)
KEY_COLUMNS = ("申报单位名称", "项目名称", "项目当年预算（元）")


class PreviousError(PerfxlError):
    """Last year's consolidated workbook cannot be used; the message says why and what to do."""


def _open_rows(path: Path) -> list[tuple]:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as error:
        raise PreviousError(f"找不到上年汇总表 {path}：请检查路径") from error
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as error:
        raise PreviousError(f"上年汇总表 {path} 无法读取（不是 .xlsx 工作簿或已损坏）："
                            "请指定上一次运行写出的 绩效目标汇总.xlsx") from error
    try:
        if PROJECT_SHEET not in book.sheetnames:
            raise PreviousError(f"上年汇总表 {path} 中没有工作表「{PROJECT_SHEET}」："
                                "请指定上一次运行写出的 绩效目标汇总.xlsx")
        return list(book[PROJECT_SHEET].iter_rows(values_only=True))
    finally:
        book.close()


def _column_positions(header: tuple, path: Path) -> list[int]:
    keys = [label_key(value) for value in header]
    positions = []
    for label in KEY_COLUMNS:
        if label_key(label) not in keys:
            raise PreviousError(f"上年汇总表 {path} 的「{PROJECT_SHEET}」中没有「{label}」列")
        positions.append(keys.index(label_key(label)))
    return positions


def read_previous(path: Path, limits: Limits) -> dict[tuple[str, str], float]:
    """Last year's 项目当年预算 by (申报单位名称, 项目名称), from the 项目汇总 sheet of `path`; refused
    like an input workbook when it would expand past `limits`."""
    if not Path(path).is_file():
        raise PreviousError(f"找不到上年汇总表 {path}：请检查路径")
    try:
        check_container(Path(path), limits)
    except UnreadableWorkbook as error:
        raise PreviousError(f"上年汇总表 {path} 无法读取（{error.reason}）：请指定上一次运行写出的 绩效目标汇总.xlsx") from error
    rows = _open_rows(Path(path))
    if not rows:
        raise PreviousError(f"上年汇总表 {path} 的「{PROJECT_SHEET}」是空的")
    unit_at, name_at, budget_at = _column_positions(rows[0], path)
    budgets = {}
    for row in rows[1:]:
        cells = [row[i] if i < len(row) else None for i in (unit_at, name_at, budget_at)]
        if any(is_blank(cell) for cell in cells):  # the totals row, or a project without a budget
            continue
        try:
            budgets[(to_text(cells[0]), to_text(cells[1]))] = parse_amount(cells[2])
        except ParseError:
            continue
    return budgets
