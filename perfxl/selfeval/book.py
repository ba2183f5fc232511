"""The self-evaluation workbook (自评/{年度}_{项目名称}.xlsx): written by `perfxl selfeval prepare`, read back
by `perfxl selfeval run`.

One visible sheet 自评表 (a marker row, the project's fields, the budget block, the indicator table), a
填表说明 sheet, and a very hidden sheet holding the filed values at the same addresses, so that E08 can tell
an edited target from the one filed. The filed cells are locked (sheet protection without a password);
the cells to fill are unlocked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from perfxl.core.model import SELFEVAL_MARK, SELFEVAL_SHEET, Project
from perfxl.core.values import decimal_of, is_blank, label_key, to_text
from perfxl.io.cells import CellReader, cell_name, short
from perfxl.io.workbook import Grid
from perfxl.io.xlsx import save_book

GUIDE_SHEET = "填表说明"
MAX_POINTS = Decimal(1000)  # no 分值 comes near: the points of a whole project are 100
FILED_SHEET = "申报值"  # very hidden: the filed values, at the addresses they have on 自评表
TITLE = "项目支出绩效自评表"
# (label, field name, kind, filled in by the unit?) in the order of the sheet, from row 2.
FIELDS = (
    (SELFEVAL_MARK[0], "mark", "text", False),
    ("年度", "year", "text", False),
    ("项目名称", "project_name", "text", False),
    ("主管部门/申报单位", "department", "text", False),
    ("实施单位", "unit", "text", True),
    ("年度总体目标（预期目标）", "annual_goal", "text", False),
    ("年度总体目标（实际完成情况）", "goal_outcome", "text", True),
    ("年初预算数（元）", "initial_budget", "amount", False),
    ("全年预算数（元）", "final_budget", "amount", True),
    ("全年执行数（元）", "spent", "amount", True),
    ("执行率偏低原因", "low_rate_reason", "text", True),
)
FIELD_LABELS = {name: label for label, name, _, _ in FIELDS}
HEADERS = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "完成程度", "分值",
           "偏差原因分析及改进措施")
COLUMNS = ("level1", "level2", "level3", "target", "actual", "attainment", "points", "deviation")
FILED_COLUMNS = ("level1", "level2", "level3", "target")
LETTER = {name: "ABCDEFGH"[i] for i, name in enumerate(COLUMNS)}
GUIDE = (
    "项目支出绩效自评表 · 填表说明",
    "1. 本工作簿由 perfxl selfeval prepare 根据申报的绩效目标生成。灰色单元格是申报时的内容，已锁定，请勿修改；"
    "白色单元格请填写。填好后放入“自评”文件夹，运行 make selfeval。",
    "2. 实施单位、年度总体目标（实际完成情况）：按实际情况填写。",
    "3. 全年预算数：年初预算加减年中调整后的全年预算（元）；全年执行数：全年实际支出（元）。"
    "执行率 = 全年执行数 ÷ 全年预算数，低于 {floor} 时须填写“执行率偏低原因”。",
    "4. 实际完成值：每个指标都要填写。定量指标填写数值和单位，例如 95%、3200条、3.2万元，"
    "单位与年度指标值不同时按相同单位换算（万元与元、% 等）。",
    "5. 完成程度：只有定性指标（年度指标值是文字，如“合规”）需要从下拉列表选择：{attainment}。",
    "6. 偏差原因分析及改进措施：未完成年度指标值的指标必须填写。",
    "7. 分值：按一级指标预先分配，合计 {indicator_points} 分；如需调整，请在“审阅”中撤销工作表保护（无密码）后修改，"
    "合计仍须为 {indicator_points} 分。",
    "8. 评分：预算执行 {budget_points} 分，得分 = {budget_points} × 执行率（最高 100%）。"
    "指标：≥/> 目标未达到时得分 = 分值 × 实际 ÷ 目标；≤/< 目标超出时得分 = 分值 × 目标 ÷ 实际；"
    "= 目标不等时按两者之比；定性指标按完成程度计分（{shares}）。",
    "9. 总分 = 预算执行得分 + 指标得分；等级：{grades}。",
)


@dataclass
class Row:
    """One indicator row of a self-evaluation workbook, as typed."""

    row: int
    level1: str
    level2: str
    level3: str
    target: str
    actual: str = ""
    attainment: str = ""
    points: Decimal | None = None
    deviation: str = ""
    points_text: str = ""  # 分值 as typed, when it is not a number


@dataclass
class SelfEvaluation:
    """One project's self-evaluation workbook: its fields, rows and what was filed, with cell addresses."""

    file: str
    values: dict[str, object] = field(default_factory=dict)  # field name -> value as read
    rows: list[Row] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # field name -> A1 address
    filed: dict[str, str] = field(default_factory=dict)  # A1 address -> filed text
    filed_rows: list[tuple] = field(default_factory=list)  # (row, 一级, 二级, 三级, 指标值) as filed

    @property
    def project_name(self) -> str:
        return to_text(self.values.get("project_name"))

    @property
    def year(self) -> str:
        return to_text(self.values.get("year"))

    def cell(self, row: Row, column: str) -> str:
        return f"{LETTER[column]}{row.row}"


def prefilled(project: Project) -> dict[str, object]:
    """The fields `prepare` writes for `project`; layout-neutral: 2026 names are used when the project has them."""
    department = getattr(project, "department", None) or project.unit
    goal = getattr(project, "annual_goal", None) or project.goals
    budget = getattr(project, "annual_funds", None)
    return {"mark": SELFEVAL_MARK[1], "year": project.year, "project_name": project.project_name,
            "department": department, "unit": project.unit, "annual_goal": goal,
            "initial_budget": budget if budget is not None else project.annual_budget}


def header_row() -> int:
    """The row of the indicator table's header: after the title, the fields and one blank row."""
    return len(FIELDS) + 3


def read_sheet(cells: CellReader, grid: Grid, filed_grid: Grid | None) -> SelfEvaluation:
    """The evaluation on 自评表 (`grid`) with what was filed (`filed_grid`), read with the shared cell reader.

    Labels are found in column A wherever they are; the indicator table starts below the header row whose
    column A reads 一级指标. Hidden rows and columns get an S07 and are not read."""
    labels: dict[str, int] = {}
    for r, row in enumerate(grid.rows):
        if row and not is_blank(row[0]) and r not in grid.hidden_rows:
            labels.setdefault(label_key(row[0]), r)
    evaluation = SelfEvaluation(cells.file)
    for label, name, kind, _ in FIELDS:
        at = labels.get(label_key(label))
        if at is not None:
            evaluation.values[name] = grid.value(at, 1) if kind == "amount" else cells.text(grid, at, 1)
            evaluation.cells[name] = f"B{at + 1}"
    head = labels.get(label_key(HEADERS[0]))
    if head is not None:
        for c in sorted(c for c in grid.hidden_cols if c < len(COLUMNS)):
            cells.report_hidden_column(grid, head, c)
        evaluation.rows = _rows(cells, grid, head + 1)
    if filed_grid is not None:
        evaluation.filed, evaluation.filed_rows = _filed(filed_grid, head)
    return evaluation


def _filed(grid: Grid, head: int | None) -> tuple[dict[str, str], list[tuple]]:
    """The filed texts by address, and the filed indicator rows (row, 一级, 二级, 三级, 指标值) below `head`."""
    filed = {}
    for r, row in enumerate(grid.rows):
        for c, value in enumerate(row):
            if not is_blank(value):
                filed[f"{'ABCDEFGH'[c] if c < 8 else '?'}{r + 1}"] = to_text(value)
    rows = []
    for r in range(head + 1 if head is not None else len(grid.rows), len(grid.rows)):
        texts = tuple(to_text(grid.value(r, c)) for c in range(len(FILED_COLUMNS)))
        if any(texts):
            rows.append((r + 1, *texts))
    return filed, rows


def _rows(cells: CellReader, grid: Grid, first: int) -> list[Row]:
    rows = []
    for r in range(first, len(grid.rows)):
        if all(is_blank(grid.value(r, c)) for c in range(len(COLUMNS))):
            continue
        if cells.skip_hidden_row(grid, r, to_text(grid.value(r, 2))):
            continue
        texts = [cells.text(grid, r, c) if c not in grid.hidden_cols else "" for c in range(len(COLUMNS))]
        texts[4] = cells.quantity_text(grid, r, 4) if 4 not in grid.hidden_cols else ""
        points = _points(cells, grid, r, COLUMNS.index("points"))
        level1, level2, level3, target = texts[:4]
        rows.append(Row(r + 1, level1, level2, level3, target, actual=texts[4], attainment=texts[5], points=points,
                        deviation=texts[7], points_text=texts[6] if points is None else ""))
    return rows


def _points(cells: CellReader, grid: Grid, r: int, c: int) -> Decimal | None:
    """分值: a finite number not below 0; S04 for anything else (nan, inf, a negative number), None when blank."""
    value = grid.value(r, c)
    if is_blank(value):
        return None
    try:
        number = value if isinstance(value, int | float | Decimal) and not isinstance(value, bool) else to_text(value)
        points = decimal_of(number)
    except ArithmeticError:
        points = None
    if points is not None and points.is_finite() and 0 <= points <= MAX_POINTS:
        return points
    problem = "不是有限的数值" if points is None or not points.is_finite() else "为负数" if points < 0 else "超出分值的合理范围"
    cells.add("S04", SELFEVAL_SHEET, cell_name(r, c), label="分值", value=short(to_text(value)), problem=problem,
              todo="分值应为不小于 0 的数，各指标分值合计为规定总分")
    return None


# Writing (prepare) --------------------------------------------------------------------------------

GREY = PatternFill("solid", fgColor="F2F2F2")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)
NUMBER_FORMATS = {"amount": "#,##0.00", "text": "@"}


def guide_lines(settings: dict) -> list[str]:
    """The 填表说明, with the configured numbers."""
    numbers = {
        "floor": f"{settings['execution_rate_floor']:.0%}", "indicator_points": settings["indicator_points"],
        "budget_points": settings["budget_points"], "attainment": "、".join(settings["attainment"]),
        "shares": "，".join(f"{k} {v:.0%}" for k, v in settings["attainment"].items()),
        "grades": "，".join(f"{k} ≥ {v}" if v else f"其余为{k}" for k, v in settings["grades"].items()),
    }
    return [line.format(**numbers) for line in GUIDE]


def build_workbook(project: Project, points: list[Decimal], settings: dict) -> Workbook:
    """The self-evaluation workbook of `project`, its rows' 分值 `points` pre-filled."""
    book = Workbook()
    sheet = book.active
    sheet.title = SELFEVAL_SHEET
    filed = book.create_sheet(FILED_SHEET)
    filed.sheet_state = "veryHidden"
    sheet["A1"] = TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    _write_fields(sheet, filed, prefilled(project))
    _write_indicators(sheet, filed, project, points, settings)
    guide = book.create_sheet(GUIDE_SHEET)
    for line in guide_lines(settings):
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 120
    for name in (SELFEVAL_SHEET, FILED_SHEET):
        book[name].protection.sheet = True  # no password: the unit may still unprotect on purpose
    return book


def _write_fields(sheet, filed, values: dict[str, object]) -> None:
    for offset, (label, name, kind, to_fill) in enumerate(FIELDS):
        r = offset + 2
        label_cell = sheet.cell(r, 1, label)
        label_cell.font, label_cell.fill = Font(bold=True), HEADER_FILL
        value = sheet.cell(r, 2, values.get(name))
        value.number_format = NUMBER_FORMATS[kind]
        value.alignment = WRAP
        if to_fill:
            value.protection = UNLOCKED
        else:
            value.fill = GREY
            filed.cell(r, 2, values.get(name))
        sheet.merge_cells(start_row=r, start_column=2, end_row=r, end_column=len(COLUMNS))
    sheet.column_dimensions["A"].width = 24


def _write_indicators(sheet, filed, project: Project, points: list[Decimal], settings: dict) -> None:
    head = header_row()
    for c, title in enumerate(HEADERS, start=1):
        cell = sheet.cell(head, c, title)
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEADER_FILL, WRAP
    choices = DataValidation(type="list", formula1='"' + ",".join(settings["attainment"]) + '"', allow_blank=True,
                             showInputMessage=True, promptTitle="完成程度", prompt="定性指标：请选择完成程度")
    sheet.add_data_validation(choices)
    for offset, (indicator, share) in enumerate(zip(project.indicators, points, strict=True)):
        r = head + 1 + offset
        filed_values = (indicator.level1, indicator.level2, indicator.level3, indicator.written)
        for c, value in enumerate(filed_values, start=1):
            sheet.cell(r, c, value).fill = GREY
            sheet.cell(r, c).data_type = "s"
            filed.cell(r, c, value).data_type = "s"
        for name in ("actual", "attainment", "deviation"):
            cell = sheet.cell(r, COLUMNS.index(name) + 1)
            cell.number_format, cell.alignment, cell.protection = "@", WRAP, UNLOCKED
        sheet.cell(r, COLUMNS.index("points") + 1, share).fill = GREY
        if indicator.quantitative:
            sheet.cell(r, COLUMNS.index("attainment") + 1).fill = GREY
        else:
            choices.add(f"{LETTER['attainment']}{r}")
        for c in range(1, len(COLUMNS) + 1):
            sheet.cell(r, c).alignment = WRAP
    sheet.freeze_panes = f"A{head + 1}"
    for letter, width in zip("ABCDEFGH", (14, 14, 30, 16, 16, 12, 8, 40), strict=True):
        sheet.column_dimensions[letter].width = max(width, sheet.column_dimensions[letter].width or 0)


def write_workbook(path: Path, project: Project, points: list[Decimal], settings: dict) -> None:
    """Write the self-evaluation workbook of `project` to `path`; `points` are the rows' 分值."""
    save_book(build_workbook(project, points, settings), path)
