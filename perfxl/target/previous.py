"""Last year's consolidated workbook (the output of an earlier run), read for rule X03 with the cell reader
every workbook kind shares."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from perfxl.core.errors import PerfxlError
from perfxl.core.model import PROJECT_SHEET
from perfxl.core.values import label_key, to_text
from perfxl.io.cells import CellReader
from perfxl.io.workbook import Grid, Limits, UnreadableWorkbook, load_grids

# 项目汇总's columns that identify a project and give its 项目当年预算 (上海2020's labels; a batch of several
# layouts heads a column with each layout's label, e.g. 申报单位名称／实施单位)
KEY_COLUMNS = ("申报单位名称", "项目名称", "项目当年预算（元）")
LABEL_SEPARATOR = "／"
TODO = "请指定上一次运行写出的 绩效目标汇总.xlsx"


class PreviousError(PerfxlError):
    """Last year's consolidated workbook cannot be used; the message says why and what to do."""


def _grid(path: Path, limits: Limits) -> Grid:
    try:
        grids = load_grids(path, (PROJECT_SHEET,), limits)
    except UnreadableWorkbook as error:
        raise PreviousError(f"上年汇总表 {path} 无法读取（{error.reason}）：{TODO}") from error
    if PROJECT_SHEET not in grids:
        raise PreviousError(f"上年汇总表 {path} 中没有工作表「{PROJECT_SHEET}」：{TODO}")
    if not grids[PROJECT_SHEET].rows:
        raise PreviousError(f"上年汇总表 {path} 的「{PROJECT_SHEET}」是空的")
    return grids[PROJECT_SHEET]


def _column_positions(header: list, path: Path) -> list[int]:
    keys = [{label_key(part) for part in to_text(value).split(LABEL_SEPARATOR)} for value in header]
    positions = []
    for label in KEY_COLUMNS:
        found = [at for at, labels in enumerate(keys) if label_key(label) in labels]
        if not found:
            raise PreviousError(f"上年汇总表 {path} 的「{PROJECT_SHEET}」中没有「{label}」列")
        positions.append(found[0])
    return positions


def read_previous(path: Path, limits: Limits) -> dict[tuple[str, str], Decimal]:
    """Last year's 项目当年预算 by (申报单位名称, 项目名称), from the 项目汇总 sheet of `path`; refused
    like an input workbook when it would expand past `limits`."""
    if not Path(path).is_file():
        raise PreviousError(f"找不到上年汇总表 {path}：请检查路径")
    grid = _grid(Path(path), limits)
    unit_at, name_at, budget_at = _column_positions(grid.rows[0], path)
    cells = CellReader(Path(path).name)
    budgets = {}
    for r in range(1, len(grid.rows)):
        unit, name = to_text(grid.value(r, unit_at)), to_text(grid.value(r, name_at))
        amount = cells.amount(grid, r, budget_at, KEY_COLUMNS[2]) if unit and name else None
        if amount is not None:  # not the totals row, nor a project without a readable budget
            budgets[(unit, name)] = amount
    return budgets
