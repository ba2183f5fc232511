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
from perfxl.core.values import ParseError, decimal_of, parse_amount, plain, to_text, yuan
from perfxl.io.workbook import Limits, UnreadableWorkbook, load_grids
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
    values, cells, rows, filed = read_sheet(grids[SELFEVAL_SHEET], grids.get(FILED_SHEET))
    if to_text(values.get("mark")) != SELFEVAL_MARK[1] or not filed:
        todo = f"第 2 行应为“{SELFEVAL_MARK[0]} | {SELFEVAL_MARK[1]}”；请用 perfxl selfeval prepare 重新生成后填写"
        return None, [finding("S01", file, reason=NOT_PREPARED, todo=todo)], f"{NOT_PREPARED}：{todo}"
    evaluation = SelfEvaluation(file, values, rows, cells, filed)
    findings = list(_read_amounts(evaluation))
    if not rows:
        findings.append(finding("S03", file, SELFEVAL_SHEET, project_name=evaluation.project_name,
                                label=f"绩效指标（表头 {HEADERS[0]} 以下）", problem="为空"))
    return evaluation, findings, ""


def _read_amounts(evaluation: SelfEvaluation) -> Iterator[Finding]:
    """Budget cells as yuan, with S03 (empty) and S04 (unreadable) at their cells."""
    for label, name, kind, _ in FIELDS:
        if kind != "amount":
            continue
        raw = evaluation.values.get(name)
        where = dict(file=evaluation.file, sheet=SELFEVAL_SHEET, cell=evaluation.cells.get(name, ""),
                     project_name=evaluation.project_name)
        if raw is None or to_text(raw) == "":
            evaluation.values[name] = None
            yield finding("S03", **where, label=label, problem="为空")
            continue
        try:
            evaluation.values[name] = parse_amount(raw)
        except ParseError as error:
            evaluation.values[name] = None
            yield finding("S04", **where, label=label, value=to_text(raw)[:40], problem=str(error),
                          todo="请填写以元为单位的数字，例如 1338310")


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
    if rate is not None and rate < floor and not to_text(evaluation.values.get("budget_deviation")):
        yield _at("E05", evaluation, evaluation.cells.get("budget_deviation", ""), rate=percent(rate),
                  floor=percent(floor))


@selfeval_rule("E06")
def spent_over_budget(evaluation: SelfEvaluation, result: Score, settings: dict) -> Iterator[Finding]:
    rate = execution_rate(evaluation)
    if rate is not None and rate > 1:
        yield _at("E06", evaluation, evaluation.cells.get("spent", ""), spent=yuan(evaluation.values["spent"]),
                  budget=yuan(evaluation.values["final_budget"]))


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
    labels = {cell: FIELD_LABELS[name] for name, cell in evaluation.cells.items()}
    shown = {cell: to_text(evaluation.values.get(name)) for name, cell in evaluation.cells.items()}
    for row in evaluation.rows:
        for column, header in zip(("level1", "level2", "level3", "target"), HEADERS, strict=False):
            cell = evaluation.cell(row, column)
            labels[cell], shown[cell] = f"{header}（第 {row.row} 行）", getattr(row, column)
    for cell, filed in evaluation.filed.items():
        value = shown.get(cell, "")
        if cell in labels and not _same(value, filed):
            yield _at("E08", evaluation, cell, label=labels[cell], value=value, filed=filed)


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

