"""Reading a self-evaluation workbook, and its checks E01–E10 (one function per rule, as in rules.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from perfxl.core.catalogue import finding
from perfxl.core.config import Config
from perfxl.core.errors import PerfxlError
from perfxl.core.model import INFO_SHEET, SELFEVAL_MARK, SELFEVAL_SHEET, Finding
from perfxl.core.quantity import parse_target
from perfxl.core.registry import Registry
from perfxl.core.values import ParseError, decimal_of, is_blank, parse_amount, plain, to_text, yuan
from perfxl.io.cells import CellReader
from perfxl.io.workbook import Grid, Limits, UnreadableWorkbook, load_grids
from perfxl.selfeval.book import FIELD_LABELS, FIELDS, FILED_SHEET, HEADERS, SelfEvaluation, read_sheet
from perfxl.selfeval.scoring import Score, execution_rate
from perfxl.target.rules import percent

SelfEvalCheck = Callable[[SelfEvaluation, Score, dict], Iterator[Finding]]
SELFEVAL_CHECKS: Registry[SelfEvalCheck] = Registry()  # filled by the checks below
selfeval_rule = SELFEVAL_CHECKS.rule
TARGET_TODO = "这是绩效目标申报表：请放入 input 文件夹，用 perfxl run（make）处理；自评表请用 perfxl selfeval prepare 生成"
NOT_PREPARED = "不是 perfxl selfeval prepare 生成的自评表"


class NotSelfEvaluation(PerfxlError):
    """The workbook opens but is not a self-evaluation workbook; the message says where it belongs."""


def _grids(path: Path, config: Config) -> dict:
    limits = Limits(config.limits["max_unzipped_mb"] * 2**20, config.limits["max_sheet_cells"])
    grids = load_grids(path, (SELFEVAL_SHEET, FILED_SHEET, INFO_SHEET), limits)
    if SELFEVAL_SHEET not in grids:
        raise NotSelfEvaluation(TARGET_TODO if INFO_SHEET in grids else f"{NOT_PREPARED}（缺少工作表「{SELFEVAL_SHEET}」）："
                                "请用 perfxl selfeval prepare 生成后填写")
    return grids


def read_evaluation(path: Path, file: str, config: Config) -> tuple[SelfEvaluation | None, list[Finding], str]:
    """The evaluation in the workbook at `path` (shown as `file`), the S findings of reading it, and the
    ledger's explanation when it cannot be used at all. Never raises for bad content."""
    try:
        grids = _grids(path, config)
    except UnreadableWorkbook as error:
        return None, [finding("S01", file, reason=error.reason, todo=error.todo)], f"{error.reason}：{error.todo}"
    except NotSelfEvaluation as error:
        reason, _, todo = str(error).partition("：")
        return None, [finding("S01", file, reason=reason, todo=todo)], str(error)
    cells = CellReader(file, config.limits["max_cell_chars"])
    evaluation = read_sheet(cells, grids[SELFEVAL_SHEET], grids.get(FILED_SHEET))
    if to_text(evaluation.values.get("mark")) != SELFEVAL_MARK[1] or not evaluation.filed:
        todo = f"第 2 行应为“{SELFEVAL_MARK[0]} | {SELFEVAL_MARK[1]}”；请用 perfxl selfeval prepare 重新生成后填写"
        return None, [finding("S01", file, reason=NOT_PREPARED, todo=todo)], f"{NOT_PREPARED}：{todo}"
    _read_amounts(cells, evaluation, grids[SELFEVAL_SHEET])
    findings = [replace(f, project_name=evaluation.project_name) for f in cells.findings]
    if not evaluation.rows:
        findings.append(finding("S03", file, SELFEVAL_SHEET, project_name=evaluation.project_name,
                                label=f"绩效指标（表头 {HEADERS[0]} 以下）", problem="为空"))
    return evaluation, findings, ""


def _read_amounts(cells: CellReader, evaluation: SelfEvaluation, grid: Grid) -> None:
    """Budget cells as yuan, finite and not below 0, with S03 (empty) and S04 (unreadable, negative)."""
    for label, name, kind, _ in FIELDS:
        if kind != "amount":
            continue
        address = evaluation.cells.get(name, "")
        evaluation.values[name] = None
        if not address:
            continue
        r, c = int(address[1:]) - 1, 1
        if is_blank(grid.value(r, c)):
            cells.add("S03", SELFEVAL_SHEET, address, label=label, problem="为空")
            continue
        amount = cells.amount(grid, r, c, label)
        if amount is not None and amount < 0:
            cells.add("S04", SELFEVAL_SHEET, address, label=label, value=yuan(amount), problem="为负数",
                      todo="金额应为不小于 0 的数（元）")
            amount = None
        evaluation.values[name] = amount


def check_evaluation(evaluation: SelfEvaluation, result: Score, settings: dict, config: Config) -> list[Finding]:
    """All E rules not disabled in the configuration, in catalogue order."""
    disabled = set(config.rules["disabled"])
    found = [f for _, check in SELFEVAL_CHECKS.enabled(disabled) for f in check(evaluation, result, settings)]
    return [replace(f, project_name=evaluation.project_name) for f in found]


def _at(rule: str, evaluation: SelfEvaluation, cell: str, **values) -> Finding:
    return finding(rule, evaluation.file, SELFEVAL_SHEET, cell, evaluation.project_name, **values)


def _rows(evaluation: SelfEvaluation, result: Score) -> Iterator[tuple]:
    yield from zip(evaluation.rows, result.judgements, strict=True)


@selfeval_rule("E01")
def actual_empty(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    for row, _ in _rows(evaluation, result):
        if not row.actual:
            yield _at("E01", evaluation, evaluation.cell(row, "actual"), level3=row.level3)


@selfeval_rule("E02")
def actual_not_a_number(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    for row, judged in _rows(evaluation, result):
        if judged.quantitative and row.actual and judged.actual_value is None:
            yield _at("E02", evaluation, evaluation.cell(row, "actual"), level3=row.level3, target=row.target,
                      value=row.actual)


@selfeval_rule("E03")
def unit_not_convertible(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    for row, judged in _rows(evaluation, result):
        target, actual = parse_target(row.target), parse_target(row.actual)
        if judged.unconverted:
            yield _at("E03", evaluation, evaluation.cell(row, "actual"), level3=row.level3, value=row.actual,
                      target_unit=target.unit_of_measure, problem=f"的单位「{actual.unit_of_measure}」无法换算",
                      todo="请按目标值的单位填写实际完成值；本次按数值直接比较评分")
        elif judged.assumed_unit:
            yield _at("E03", evaluation, evaluation.cell(row, "actual"), level3=row.level3, value=row.actual,
                      target_unit=target.unit_of_measure, problem=f"没有单位，已按「{target.unit_of_measure}」读取",
                      todo=f"请写明单位，例如「{row.actual}{target.unit_of_measure}」；如单位不是"
                           f"「{target.unit_of_measure}」，请按实际单位填写（如 元、万元）")


@selfeval_rule("E04")
def shortfall_without_reason(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    for row, judged in _rows(evaluation, result):
        if judged.met is False and not row.deviation:
            shown = row.actual if judged.quantitative else "，".join(filter(None, (row.actual, row.attainment)))
            yield _at("E04", evaluation, evaluation.cell(row, "deviation"), level3=row.level3, target=row.target,
                      value=shown)


@selfeval_rule("E05")
def low_execution_without_reason(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    rate, floor = execution_rate(evaluation), decimal_of(settings["execution_rate_floor"])
    if rate is not None and rate < floor and not to_text(evaluation.values.get("low_rate_reason")):
        yield _at("E05", evaluation, evaluation.cells.get("low_rate_reason", ""), rate=percent(rate),
                  floor=percent(floor))


@selfeval_rule("E06")
def spent_over_budget(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    budget, spent = evaluation.values.get("final_budget"), evaluation.values.get("spent")
    if isinstance(budget, Decimal) and isinstance(spent, Decimal) and spent > budget:  # also a budget of 0
        yield _at("E06", evaluation, evaluation.cells.get("spent", ""), spent=yuan(spent), budget=yuan(budget))


@selfeval_rule("E07")
def points_do_not_add_up(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    if not evaluation.rows:
        return
    total = sum((row.points or Decimal(0) for row in evaluation.rows), Decimal(0))
    expected = decimal_of(settings["indicator_points"])
    unreadable = [row for row in evaluation.rows if row.points is None]
    if abs(total - expected) > 0.005 or unreadable:
        row = unreadable[0] if unreadable else evaluation.rows[-1]
        yield _at("E07", evaluation, evaluation.cell(row, "points"), total=plain(total), expected=plain(expected))


@selfeval_rule("E08")
def differs_from_filed(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    """The prefilled fields cell by cell; the indicator table row by row against the filed one, so that a
    removed, added or reordered indicator is named as such (not as a shift of every row below it)."""
    for name, cell in evaluation.cells.items():
        filed = evaluation.filed.get(cell)
        value = to_text(evaluation.values.get(name))
        if filed is not None and not _same(value, filed):
            yield _at("E08", evaluation, cell, label=FIELD_LABELS[name], value=value, filed=filed)
    yield from _indicator_table_differs(evaluation)


def _indicator_table_differs(evaluation: SelfEvaluation) -> Iterator[Finding]:
    filed = {row[3]: row for row in evaluation.filed_rows}  # 三级 -> (row, 一级, 二级, 三级, 指标值)
    present = {row.level3 for row in evaluation.rows}
    for number, *_, level3, _ in evaluation.filed_rows:
        if level3 not in present:
            yield _at("E08", evaluation, f"C{number}", label=f"三级指标（申报时第 {number} 行）", value="（已删除）",
                      filed=level3)
    order = [name for name in (row[3] for row in evaluation.filed_rows) if name in present]
    position = 0
    for row in evaluation.rows:
        before = filed.get(row.level3)
        if before is None:
            yield _at("E08", evaluation, evaluation.cell(row, "level3"), label=f"三级指标（第 {row.row} 行）",
                      value=row.level3, filed="（申报时没有该指标）")
            continue
        if position < len(order) and order[position] != row.level3:
            yield _at("E08", evaluation, evaluation.cell(row, "level3"), label=f"指标顺序（第 {row.row} 行）",
                      value=row.level3, filed=order[position])
        position += 1
        for column, header, filed_text in zip(("level1", "level2", "target"), (HEADERS[0], HEADERS[1], HEADERS[3]),
                                              (before[1], before[2], before[4]), strict=True):
            if not _same(getattr(row, column), filed_text):
                yield _at("E08", evaluation, evaluation.cell(row, column), label=f"{header}（第 {row.row} 行）",
                          value=getattr(row, column), filed=filed_text)


def _same(value: str, filed: str) -> bool:
    if value == filed:
        return True
    try:
        return abs(parse_amount(value) - parse_amount(filed)) < 0.005
    except ParseError:
        return False


@selfeval_rule("E09")
def far_above_target(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    for row, judged in _rows(evaluation, result):
        target = parse_target(row.target)
        if judged.actual_value is None or target.operator not in ("≥", ">") or not target.value or target.value <= 0:
            continue
        ratio = judged.actual_value / target.value
        if ratio >= decimal_of(settings["overshoot_ratio"]):
            yield _at("E09", evaluation, evaluation.cell(row, "actual"), level3=row.level3, target=row.target,
                      value=row.actual, ratio=percent(ratio))


@selfeval_rule("E10")
def attainment_missing(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    choices = settings["attainment"]
    for row, judged in _rows(evaluation, result):
        if judged.quantitative or row.attainment in choices:
            continue
        problem = f"「{row.attainment}」不在可选范围内" if row.attainment else "为空"
        yield _at("E10", evaluation, evaluation.cell(row, "attainment"), level3=row.level3, problem=problem,
                  allowed="、".join(choices))

