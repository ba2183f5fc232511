"""The project model: what one standard workbook says, and where it says it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

INFO_SHEET = "项目信息"
BUDGET_SHEET = "预算"
INDICATOR_SHEET = "绩效指标"
REQUIRED_SHEETS = (INFO_SHEET, BUDGET_SHEET, INDICATOR_SHEET)
# The year-end self-evaluation workbook (perfxl selfeval): its sheet, and the marker row on it.
SELFEVAL_SHEET = "自评表"
SELFEVAL_MARK = ("表格类型", "绩效自评表")
PREPARED_DIR = "自评"  # where `selfeval prepare` writes the workbooks the units fill in
FORMS_DIR = "目标表"  # the Word target tables under the output folder
SELFEVAL_FORMS_DIR = "自评表"  # the Word 自评表 under the output folder

ERROR, WARNING, INFO = "错误", "警告", "提示"
SEVERITIES = (ERROR, WARNING, INFO)


BUDGET_LINES_HEADER = ("明细项目", "金额（元）", "说明")


@dataclass(frozen=True)
class Finding:
    """One rule broken at one place."""

    severity: str
    rule: str
    file: str
    sheet: str
    cell: str
    project_name: str
    message: str
    hint: str


@dataclass
class Indicator:
    row: int
    level1: str
    level2: str
    level3: str
    written: str  # 指标目标值 as written (after markup removal)
    target: str  # normalised for display
    operator: str
    value: Decimal | None
    unit_of_measure: str
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # a layout's own columns (e.g. 指标解释)

    @property
    def quantitative(self) -> bool:
        return self.value is not None


@dataclass
class BudgetLine:
    row: int
    item: str
    amount: Decimal | None
    note: str


@dataclass
class BudgetTotal:
    """A 合计/小计/总计 row of 预算明细: its stated amount and the lines it covers (`budget_lines[first:last]`)."""

    line: BudgetLine
    first: int
    last: int


@dataclass
class Project:
    """One workbook's target table. Field values are None when missing or unreadable; amounts are exact
    Decimals in yuan.

    The attributes are the glossary's names of every built-in layout's fields; a layout of one's own
    may name others, which live in `other`. `layout` names the layout the workbook follows.
    """

    file: str
    layout: str = ""
    year: int | None = None
    unit: str | None = None
    project_name: str | None = None
    category: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    # 上海2020
    gov_procurement: str | None = None
    performance_type: str | None = None
    overview: str | None = None
    basis: str | None = None
    necessity: str | None = None
    safeguards: str | None = None
    plan: str | None = None
    goals: str | None = None
    total_budget: Decimal | None = None
    annual_budget: Decimal | None = None
    prior_budget: Decimal | None = None
    prior_spent: Decimal | None = None
    # 上海2026
    nature: str | None = None
    department: str | None = None
    overall_goal: str | None = None
    annual_goal: str | None = None
    implementer: str | None = None
    budget_arrangement: str | None = None
    project_funds: Decimal | None = None
    project_fiscal_funds: Decimal | None = None
    project_other_funds: Decimal | None = None
    annual_funds: Decimal | None = None
    annual_appropriation: Decimal | None = None
    carryover: Decimal | None = None
    annual_other_funds: Decimal | None = None
    other: dict[str, object] = field(default_factory=dict)  # fields of a layout's own, by name
    budget_lines: list[BudgetLine] = field(default_factory=list)
    budget_totals: list[BudgetTotal] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # field name -> A1 address of its value
    indicator_columns: dict[str, str] = field(default_factory=dict)  # level1…target -> column letter
    budget_line_columns: dict[str, str] = field(default_factory=dict)  # item/amount/note -> column

    def get(self, name: str) -> object:
        """The value of field `name`, a model attribute or a layout's own field."""
        return getattr(self, name) if name in PROJECT_FIELDS else self.other.get(name)

    def set(self, name: str, value: object) -> None:
        if name in PROJECT_FIELDS:
            setattr(self, name, value)
        else:
            self.other[name] = value

    @property
    def name(self) -> str:
        return self.project_name or ""

    @property
    def plan_span(self) -> str:
        """The plan period as the 2026 form heads 项目总体目标: `(2024 年-2026 年)`."""
        if self.start_date is None or self.end_date is None:
            return ""
        return f"({self.start_date.year} 年-{self.end_date.year} 年)"

    @property
    def prior_execution_rate(self) -> Decimal | None:
        if self.prior_budget and self.prior_spent is not None:
            return self.prior_spent / self.prior_budget
        return None

    @property
    def budget_change(self) -> Decimal | None:
        if self.prior_budget and self.annual_budget is not None:
            return self.annual_budget / self.prior_budget - 1
        return None

    def indicator_cell(self, indicator: Indicator, column: str) -> str:
        letter = self.indicator_columns.get(column, "")
        return f"{letter}{indicator.row}" if letter else ""


PROJECT_FIELDS = {f for f in Project.__dataclass_fields__} - {
    "file", "layout", "other", "budget_lines", "budget_totals", "indicators", "cells", "indicator_columns",
    "budget_line_columns"}

PROCESSED, SKIPPED, FAILED = "已处理", "已跳过", "失败"
REPORT_NAME = "绩效目标汇总.xlsx"
PROJECT_SHEET = "项目汇总"  # the consolidated workbook's first sheet; --previous reads it back


def column_letter(index: int) -> str:
    """Excel's letters for 1-based column `index`: 1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """The 1-based column of Excel's `letters`: A -> 1, AA -> 27."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


@dataclass(frozen=True)
class LedgerEntry:
    """What became of one file found under the input folder."""

    file: str
    status: str
    message: str
