"""The project model: what one standard workbook says, and where it says it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

INFO_SHEET = "项目信息"
BUDGET_SHEET = "预算"
INDICATOR_SHEET = "绩效指标"
REQUIRED_SHEETS = (INFO_SHEET, BUDGET_SHEET, INDICATOR_SHEET)
# The year-end self-evaluation workbook (perfxl selfeval): its sheet, and the marker row on it.
SELFEVAL_SHEET = "自评表"
SELFEVAL_MARK = ("表格类型", "绩效自评表")

ERROR, WARNING, INFO = "错误", "警告", "提示"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Field:
    """One labelled field of the contract: where it lives and how it is read."""

    name: str
    label: str
    sheet: str
    kind: str  # year | text | date | amount
    need: str  # required | recommended | optional


FIELDS = (
    Field("year", "年度", INFO_SHEET, "year", "required"),
    Field("unit", "申报单位名称", INFO_SHEET, "text", "required"),
    Field("project_name", "项目名称", INFO_SHEET, "text", "required"),
    Field("category", "项目类别", INFO_SHEET, "text", "required"),
    Field("start_date", "计划开始日期", INFO_SHEET, "date", "required"),
    Field("end_date", "计划完成日期", INFO_SHEET, "date", "required"),
    Field("gov_procurement", "是否含有政府购买服务", INFO_SHEET, "text", "required"),
    Field("performance_type", "绩效类型", INFO_SHEET, "text", "required"),
    Field("overview", "项目概况", INFO_SHEET, "text", "recommended"),
    Field("basis", "立项依据", INFO_SHEET, "text", "recommended"),
    Field("necessity", "项目设立的必要性", INFO_SHEET, "text", "recommended"),
    Field("safeguards", "保证项目实施的制度、措施", INFO_SHEET, "text", "recommended"),
    Field("plan", "项目实施计划", INFO_SHEET, "text", "recommended"),
    Field("goals", "总目标及阶段性目标", INFO_SHEET, "text", "recommended"),
    Field("total_budget", "项目总预算（元）", BUDGET_SHEET, "amount", "required"),
    Field("annual_budget", "项目当年预算（元）", BUDGET_SHEET, "amount", "required"),
    Field("prior_budget", "同名项目上年预算额（元）", BUDGET_SHEET, "amount", "optional"),
    Field("prior_spent", "同名项目上年预算执行数（元）", BUDGET_SHEET, "amount", "optional"),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
TEXT_FIELDS = tuple(f.name for f in FIELDS if f.need == "recommended")

INDICATOR_HEADERS = ("一级目标", "二级目标", "三级目标", "指标目标值")
NOTE_HEADER = "备注"
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
    value: float | None
    unit_of_measure: str
    note: str = ""

    @property
    def quantitative(self) -> bool:
        return self.value is not None


@dataclass
class BudgetLine:
    row: int
    item: str
    amount: float | None
    note: str


@dataclass
class Project:
    """One workbook's target table. Field values are None when missing or unreadable."""

    file: str
    year: int | None = None
    unit: str | None = None
    project_name: str | None = None
    category: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    gov_procurement: str | None = None
    performance_type: str | None = None
    overview: str | None = None
    basis: str | None = None
    necessity: str | None = None
    safeguards: str | None = None
    plan: str | None = None
    goals: str | None = None
    total_budget: float | None = None
    annual_budget: float | None = None
    prior_budget: float | None = None
    prior_spent: float | None = None
    budget_lines: list[BudgetLine] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # field name -> A1 address of its value
    indicator_columns: dict[str, str] = field(default_factory=dict)  # level1…target -> column letter
    budget_line_columns: dict[str, str] = field(default_factory=dict)  # item/amount/note -> column

    @property
    def name(self) -> str:
        return self.project_name or ""

    @property
    def prior_execution_rate(self) -> float | None:
        if self.prior_budget and self.prior_spent is not None:
            return self.prior_spent / self.prior_budget
        return None

    @property
    def budget_change(self) -> float | None:
        if self.prior_budget and self.annual_budget is not None:
            return self.annual_budget / self.prior_budget - 1
        return None

    def indicator_cell(self, indicator: Indicator, column: str) -> str:
        letter = self.indicator_columns.get(column, "")
        return f"{letter}{indicator.row}" if letter else ""


PROCESSED, SKIPPED, FAILED = "已处理", "已跳过", "失败"
REPORT_NAME = "绩效目标汇总.xlsx"


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
