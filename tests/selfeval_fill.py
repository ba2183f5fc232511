"""Filling prepared self-evaluation workbooks in code, as a unit would in Excel."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl

from perfxl.core.quantity import parse_target

FIELD_ROWS = {"final_budget": "全年预算数（元）", "spent": "全年执行数（元）", "low_rate_reason": "执行率偏低原因",
              "goal_outcome": "年度总体目标（实际完成情况）", "initial_budget": "年初预算数（元）"}


def cents(number: float | Decimal | str) -> Decimal:
    """`number` to the cent, half up, computed here with `decimal` alone (the tests' own arithmetic)."""
    exact = number if isinstance(number, Decimal) else Decimal(repr(number) if isinstance(number, float) else number)
    return exact.quantize(Decimal("0.01"), ROUND_HALF_UP)


def shown(number: float | int | None) -> Decimal | None:
    """A number read back from a workbook as Excel shows it (its shortest repr), for exact comparing."""
    return None if number is None else Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def met_actual(target: str) -> tuple[str, str]:
    """(实际完成值, 完成程度) of an indicator that meets `target` exactly."""
    parsed = parse_target(target)
    if parsed.quantitative:  # a strict > or < target is met only past its value
        value = parsed.value * {">": Decimal("1.01"), "<": Decimal("0.99")}.get(parsed.operator, 1)
        return f"{value.normalize():f}{parsed.unit_of_measure}", ""
    return parsed.text, "达成"


def label_rows(sheet) -> dict[str, int]:
    return {sheet.cell(r, 1).value: r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value}


def indicator_rows(sheet) -> list[int]:
    head = label_rows(sheet)["一级指标"]
    return [r for r in range(head + 1, sheet.max_row + 1) if sheet.cell(r, 3).value]


def fill(path: Path, budget: tuple[float, float], plan: dict | None = None, fields: dict | None = None,
         edit=None) -> list[dict]:
    """Fill the workbook at `path`: 全年预算数/全年执行数 = `budget`, every indicator met except those in
    `plan` (三级 -> dict of actual/attainment/deviation/share). Returns each row with its 分值 and the share
    of it the test expects."""
    book = openpyxl.load_workbook(path)
    sheet = book["自评表"]
    labels = label_rows(sheet)
    values = {"final_budget": budget[0], "spent": budget[1], "goal_outcome": "全年目标均已完成。", **(fields or {})}
    for name, value in values.items():
        sheet.cell(labels[FIELD_ROWS[name]], 2).value = value
    rows = []
    for r in indicator_rows(sheet):
        level3, target = sheet.cell(r, 3).value, sheet.cell(r, 4).value
        actual, attainment = met_actual(target)
        row = {"row": r, "level1": sheet.cell(r, 1).value, "level3": level3, "target": target, "actual": actual,
               "attainment": attainment, "deviation": "", "share": Decimal(1), "points": shown(sheet.cell(r, 7).value)}
        row.update((plan or {}).get(level3, {}))
        for col, key in ((5, "actual"), (6, "attainment"), (8, "deviation")):
            sheet.cell(r, col).value = row[key] or None
        rows.append(row)
    if edit is not None:
        edit(sheet, labels, rows)
    book.save(path)
    return rows
