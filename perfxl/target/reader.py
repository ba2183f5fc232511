"""Reading one standard workbook into a Project, with the S findings met on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from perfxl.core.catalogue import finding
from perfxl.core.config import Config
from perfxl.core.layout import INDICATOR_NAMES, LAYOUT_LABEL, Column, FieldSpec, Layout
from perfxl.core.model import (
    BUDGET_LINES_HEADER,
    BUDGET_SHEET,
    INDICATOR_SHEET,
    INFO_SHEET,
    REQUIRED_SHEETS,
    SELFEVAL_SHEET,
    BudgetLine,
    BudgetTotal,
    Finding,
    Indicator,
    Project,
    column_letter,
)
from perfxl.core.quantity import parse_target, target_was_rewritten
from perfxl.core.values import (
    ParseError,
    clean_text,
    cut_to_excel_length,
    decimal_of,
    excel_length,
    is_blank,
    label_key,
    parse_amount,
    parse_date,
    parse_year,
    plain,
    text_key,
    to_text,
)
from perfxl.io.workbook import Grid, Limits, UnreadableWorkbook, load_grids

LABEL_ROWS = 200
TOTAL_ITEMS = ("合计", "小计", "总计")  # 预算明细 rows that state the table's total
SUBTOTAL = "小计"  # covers the lines since the previous 小计; 合计 and 总计 cover all lines
NOTE_LINE = re.compile(r"^(?:注|备注|说明|填表说明)\d*:")
SELFEVAL_TODO = "请放入“自评”文件夹，用 perfxl selfeval run（make selfeval）处理"
HEADER_ROWS = 20
PARSERS = {"year": parse_year, "date": parse_date, "amount": parse_amount}
MIN_RECOGNISED = 3  # labels and 一级 names a workbook without the 版式 mark must show of its layout
FORMAT_HINTS = {
    "year": "请填写四位年份，例如 2020",
    "date": "请填写日期，例如 2020-01-01 或 2020年1月1日",
    "amount": "请填写以元为单位的数字，例如 1338310",
}


@dataclass
class ReadResult:
    """A workbook's project (None when the file could not be opened) and its findings."""

    project: Project | None
    findings: list[Finding] = field(default_factory=list)
    failure: str = ""  # set when the file cannot be used at all: the ledger's explanation


def cell_name(row: int, col: int) -> str:
    """A1 address of 0-based (row, col)."""
    return f"{column_letter(col + 1)}{row + 1}"


class _Reader:
    """Holds the state of one reading: the file's name, the project so far, the findings so far."""

    def __init__(self, file: str, config: Config, layout: Layout):
        self.file = file
        self.config = config
        self.layout = layout
        self.project = Project(file=file, layout=layout.name)
        self.findings: list[Finding] = []

    def add(self, rule: str, sheet: str, cell: str = "", **values) -> None:
        self.findings.append(finding(rule, self.file, sheet, cell, **values))

    def cell_text(self, grid: Grid, row: int, col: int) -> str:
        """The text of a cell as the user meant it: markup stripped (S07), formulas flagged (S06)."""
        formula = grid.formulas.get((row, col))
        value = grid.value(row, col)
        if formula is not None and is_blank(value):
            self.add("S06", grid.name, cell_name(row, col), formula=_short(formula))
        text = to_text(value)
        cleaned = clean_text(text)
        if cleaned != text:
            self.add("S07", grid.name, cell_name(row, col), value=_short(text), normalised=_short(cleaned),
                     todo="已去除从网页复制带入的标记（如 <p>），建议在工作簿中也删去")
        return self.fit(grid, row, col, cleaned)

    def fit(self, grid: Grid, row: int, col: int, text: str) -> str:
        """`text` cut to what one Excel cell holds, with an S07 提示 when it had to be cut."""
        limit = self.config.limits["max_cell_chars"]
        cut = cut_to_excel_length(text, limit)
        if cut != text:
            self.add("S07", grid.name, cell_name(row, col), value=f"{_short(text)}（共 {excel_length(text)} 字）",
                     normalised=f"前 {limit} 字",
                     todo=f"Excel 一个单元格最多容纳 {limit} 字，汇总表中只保留前 {limit} 字；请精简该内容")
        return cut

    def read_fields(self, grid: Grid, fields: list[FieldSpec]) -> None:
        rows: dict[str, int] = {}
        hidden: dict[str, int] = {}
        for r, row in enumerate(grid.rows[:LABEL_ROWS]):
            if row and not is_blank(row[0]):
                (hidden if r in grid.hidden_rows else rows).setdefault(label_key(row[0]), r)
        for spec in fields:
            r = self.visible_label_row(grid, spec, rows, hidden)
            if r is None:
                self.missing(spec, "", "未找到（A 列中没有这个标签）")
                continue
            cell = cell_name(r, 1)
            self.project.cells[spec.name] = cell
            if (r, 1) in grid.formulas and is_blank(grid.value(r, 1)):
                self.cell_text(grid, r, 1)  # reports S06; the value stays unknown
                if spec.need == "required":
                    self.missing(spec, cell, "的值未知：单元格中的公式没有保存计算结果")
                continue
            self.read_value(grid, spec, r, cell)

    def visible_label_row(self, grid: Grid, spec: FieldSpec, rows: dict[str, int], hidden: dict[str, int]) -> int | None:
        """The row of `spec`'s label a person sees; a hidden row only when no visible one has it (S07 both ways)."""
        keys = spec.label_keys()
        r = min((rows[k] for k in keys if k in rows), default=None)
        h = min((hidden[k] for k in keys if k in hidden), default=None)
        if h is None:
            return r
        where = f"隐藏的第 {h + 1} 行（{spec.label}）"
        if r is None:
            self.add("S07", grid.name, cell_name(h, 1), value=where, normalised="该行的内容",
                     todo="该行在 Excel 中被隐藏，审核人看不到；请取消隐藏并核对内容")
            return h
        self.add("S07", grid.name, cell_name(h, 1), value=where, normalised=f"可见的第 {r + 1} 行",
                 todo="隐藏行中的内容未读取；如已不再需要，请删除该行")
        return r

    def read_value(self, grid: Grid, spec: FieldSpec, r: int, cell: str) -> None:
        raw = grid.value(r, 1)
        if spec.kind in ("text", "choice"):
            text = self.cell_text(grid, r, 1)
            if text:
                self.project.set(spec.name, text)
            else:
                self.missing(spec, cell, "为空")
            return
        if is_blank(raw):
            self.missing(spec, cell, "为空")
            return
        try:
            self.project.set(spec.name, PARSERS[spec.kind](raw))
        except ParseError as error:
            self.add("S04", grid.name, cell, label=spec.label, value=_short(to_text(raw)), problem=str(error),
                     todo=FORMAT_HINTS[spec.kind])

    def report_hidden_sheets(self, grids: dict[str, Grid]) -> None:
        """S07 when a hidden sheet is read for a missing visible one, or lost to a visible namesake."""
        for grid in grids.values():
            if grid.hidden:
                self.add("S07", grid.name, value=f"隐藏的工作表「{grid.name}」", normalised="该工作表的内容",
                         todo="没有可见的同名工作表，已读取隐藏的工作表；请在 Excel 中取消隐藏并核对内容")
            for name in grid.passed_over:
                self.add("S07", grid.name, value=f"隐藏的工作表「{name}」", normalised=f"可见的工作表「{grid.name}」",
                         todo="隐藏工作表中的内容未读取；如已不再需要，请删除该工作表")

    def missing(self, spec: FieldSpec, cell: str, problem: str) -> None:
        if spec.need == "required":
            self.add("S03", spec.sheet, cell, label=spec.label, problem=problem)
        elif spec.need == "recommended":
            self.add("S05", spec.sheet, cell, label=spec.label)

    def read_budget_lines(self, grid: Grid) -> None:
        start = next((r for r, row in enumerate(grid.rows[:LABEL_ROWS])
                      if row and label_key(row[0]) == label_key(BUDGET_LINES_HEADER[0])), None)
        if start is None:
            return
        self.project.budget_line_columns = {"item": "A", "amount": "B", "note": "C"}
        subtotal_from = 0
        for r in range(start + 1, len(grid.rows)):
            if is_blank(grid.value(r, 0)):
                break
            amount = None
            raw = grid.value(r, 1)
            if (r, 1) in grid.formulas and is_blank(raw):
                self.cell_text(grid, r, 1)  # reports S06; the amount stays unknown
            elif not is_blank(raw):
                try:
                    amount = parse_amount(raw)
                except ParseError as error:
                    self.add("S04", grid.name, cell_name(r, 1), label="金额（元）", value=_short(to_text(raw)),
                             problem=str(error), todo=FORMAT_HINTS["amount"])
            line = BudgetLine(r + 1, self.cell_text(grid, r, 0), amount, self.cell_text(grid, r, 2))
            kind = label_key(line.item)
            if kind in TOTAL_ITEMS:  # the table's own total: checked against the lines it covers, not added
                first = subtotal_from if kind == SUBTOTAL else 0
                self.project.budget_totals.append(BudgetTotal(line, first, len(self.project.budget_lines)))
                subtotal_from = len(self.project.budget_lines) if kind == SUBTOTAL else subtotal_from
            else:
                self.project.budget_lines.append(line)

    def read_indicators(self, grid: Grid) -> None:
        header = find_header(grid, self.layout.columns)
        if header is None:
            headers = "、".join(c.header for c in self.layout.columns if not c.optional)
            self.add("S03", grid.name, "", label=f"表头（{headers}）", problem=f"在前 {HEADER_ROWS} 行中未找到")
            return
        head_row, columns = header
        self.project.indicator_columns = {name: column_letter(c + 1) for name, c in columns.items()}
        main = [columns[name] for name in INDICATOR_NAMES]
        level1 = level2 = ""
        for r in range(head_row + 1, len(grid.rows)):
            if all(is_blank(grid.value(r, c)) for c in main) or _is_note(grid, r, columns["level1"]):
                continue
            own1 = self.level_text(grid, r, columns["level1"])
            own2 = self.level_text(grid, r, columns["level2"])
            level2 = own2 or (level2 if not own1 or own1 == level1 else "")
            level1 = own1 or level1
            self.project.indicators.append(self.indicator(grid, r, columns, level1, level2))

    def level_text(self, grid: Grid, r: int, c: int) -> str:
        text = self.cell_text(grid, r, c)
        synonym = self.layout.profile.synonyms.get(text)
        if synonym:
            self.add("S07", grid.name, cell_name(r, c), value=text, normalised=synonym,
                     todo=f"已按「{synonym}」处理，建议在工作簿中也改为「{synonym}」")
            return synonym
        return text

    def indicator(self, grid: Grid, r: int, columns: dict[str, int], level1: str, level2: str) -> Indicator:
        written = self.target_text(grid, r, columns["target"])
        target = parse_target(written)
        if target.problem:
            self.add("S04", grid.name, cell_name(r, columns["target"]), label=self.layout.column("target").header,
                     value=_short(written), problem=target.problem,
                     todo="小数请写作 1.5%；千位分隔符每三位一个，例如 1,500条")
        elif (r, columns["target"]) not in grid.formulas and target_was_rewritten(written, target):
            self.add("S07", grid.name, cell_name(r, columns["target"]), value=written, normalised=target.text,
                     todo=f"建议在工作簿中直接写作「{target.text}」")
        others = {name: self.cell_text(grid, r, c) for name, c in columns.items() if name not in INDICATOR_NAMES}
        note = others.pop("note", "")
        return Indicator(r + 1, level1, level2, self.cell_text(grid, r, columns["level3"]), written, target.text,
                         target.operator, target.value, target.unit_of_measure, note, others)

    def target_text(self, grid: Grid, r: int, c: int) -> str:
        """The 指标值 as typed: a formula Excel made of `=95%`, or a percentage stored as a number (S07)."""
        formula = grid.formulas.get((r, c))
        if formula is not None:
            written = self.fit(grid, r, c, formula if formula.startswith("=") else f"={formula}")
            self.add("S07", grid.name, cell_name(r, c), value=f"公式 {_short(written)}", normalised=_short(written),
                     todo="Excel 把输入的目标值当成了公式；请把该列设为“文本”格式后重新输入")
            return written
        number = grid.value(r, c)
        if _is_number(number) and (r, c) in (grid.percents or ()):
            written = f"{plain(decimal_of(number) * 100)}%"
            self.add("S07", grid.name, cell_name(r, c), value=f"数字 {plain(decimal_of(number))}（百分比格式）",
                     normalised=written,
                     todo="该单元格是数字格式，Excel 把输入的百分数存成了小数；建议把该列设为“文本”格式后重新输入")
            return written
        return self.cell_text(grid, r, c)


def label_rows(grid: Grid) -> dict[str, int]:
    """label key of each column-A label in the first LABEL_ROWS rows -> its first row."""
    rows: dict[str, int] = {}
    for r, row in enumerate(grid.rows[:LABEL_ROWS]):
        if row and not is_blank(row[0]):
            rows.setdefault(label_key(row[0]), r)
    return rows


def _is_note(grid: Grid, r: int, col: int) -> bool:
    """A `注：…` line under the table (in the 一级目标 column, the rest of the row empty): not an indicator."""
    first = grid.value(r, col)
    return (isinstance(first, str) and NOTE_LINE.match(text_key(first)) is not None
            and all(is_blank(grid.value(r, col + i)) for i in range(1, 4)))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_targets(grid: Grid | None, layouts: list[Layout]) -> bool:
    """Whether a 指标值 cell holds a number: only then do number formats (e.g. `0%`) matter."""
    if grid is None or grid.percents is not None:
        return False
    for layout in layouts:
        header = find_header(grid, layout.columns)
        if header is not None:
            head_row, columns = header
            return any(_is_number(grid.value(r, columns["target"])) for r in range(head_row + 1, len(grid.rows)))
    return False


def find_header(grid: Grid, columns: list[Column]) -> tuple[int, dict[str, int]] | None:
    """(row, column name -> index) of the indicator table's header: the required columns side by side,
    in order, in the first HEADER_ROWS rows; the optional columns anywhere right of them."""
    required = [c for c in columns if not c.optional]
    for r, row in enumerate(grid.rows[:HEADER_ROWS]):
        keys = [label_key(v) for v in row]
        for c in range(len(keys) - len(required) + 1):
            if all(keys[c + i] in column.label_keys() for i, column in enumerate(required)):
                found = {column.name: c + i for i, column in enumerate(required)}
                for column in columns:
                    if column.optional:
                        at = next((i for i in range(c + len(required), len(keys)) if keys[i] in column.label_keys()), None)
                        if at is not None:
                            found[column.name] = at
                return r, found
    return None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def recognise(grids: dict[str, Grid], config: Config) -> tuple[Layout | None, str]:
    """The layout a workbook follows: the one its 版式 row names, else the one whose labels and 一级 names
    it shows most clearly. (None, what was tried) when neither says."""
    info = grids.get(INFO_SHEET)
    rows = label_rows(info) if info is not None else {}
    marked = to_text(info.value(rows[label_key(LAYOUT_LABEL)], 1)) if label_key(LAYOUT_LABEL) in rows else ""
    if marked in config.layouts:
        return config.layout(marked), ""
    seen = set(rows)
    for name in (BUDGET_SHEET, INDICATOR_SHEET):
        if name in grids:
            seen |= {label_key(v) for row in grids[name].rows[:LABEL_ROWS] for v in row[:8] if not is_blank(v)}
    scores = sorted(((len(layout.recognition_keys() & seen), layout.name) for layout in config.layouts.values()),
                    reverse=True)
    if scores[0][0] >= MIN_RECOGNISED and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return config.layout(scores[0][1]), ""
    tried = "、".join(f"{name}（找到 {score} 项）" for score, name in scores)
    return None, tried


def read_project(path: Path, file: str, config: Config) -> ReadResult:
    """Read the workbook at `path` (shown to the user as `file`); never raises for bad content."""
    try:
        limits = Limits.of(config.limits)
        grids = load_grids(path, (*REQUIRED_SHEETS, SELFEVAL_SHEET), limits)
        if _numeric_targets(grids.get(INDICATOR_SHEET), list(config.layouts.values())):
            grids = load_grids(path, REQUIRED_SHEETS, limits, formats=True)
    except UnreadableWorkbook as error:
        failure = finding("S01", file, "", reason=error.reason, todo=error.todo)
        return ReadResult(None, [failure], failure=f"{error.reason}：{error.todo}")
    missing = [name for name in REQUIRED_SHEETS if name not in grids]
    if missing and SELFEVAL_SHEET in grids:  # a year-end self-evaluation put among the target tables
        failure = finding("S01", file, "", reason="这是绩效自评表，不是绩效目标申报表", todo=SELFEVAL_TODO)
        return ReadResult(None, [failure], failure=f"这是绩效自评表，不是绩效目标申报表：{SELFEVAL_TODO}")
    layout, tried = recognise(grids, config)
    if layout is None:
        return _unrecognised(file, missing, tried)
    reader = _Reader(file, config, layout)
    for name in missing:
        reader.add("S02", name, **_missing_sheet(name))
    reader.report_hidden_sheets(grids)
    for sheet in (INFO_SHEET, BUDGET_SHEET):
        if sheet in grids:
            reader.read_fields(grids[sheet], layout.fields_on(sheet))
    if BUDGET_SHEET in grids:
        reader.read_budget_lines(grids[BUDGET_SHEET])
    if INDICATOR_SHEET in grids:
        reader.read_indicators(grids[INDICATOR_SHEET])
    project = reader.project
    findings = [replace(f, project_name=project.name) for f in reader.findings]
    failure = f"缺少工作表：{'、'.join(missing)}（不是标准申报表，请使用模板）" if missing else ""
    return ReadResult(project, findings, failure)


def _unrecognised(file: str, missing: list[str], tried: str) -> ReadResult:
    """S02 for a workbook that follows no known layout: its missing sheets, or the layouts tried."""
    if missing:
        findings = [finding("S02", file, name, **_missing_sheet(name)) for name in missing]
        return ReadResult(None, findings, f"缺少工作表：{'、'.join(missing)}（不是标准申报表，请使用模板）")
    problem = f"无法判断版式：已尝试 {tried}"
    todo = f"请使用 perfxl template 写出的空白申报表，或在「项目信息」A 列加一行「{LAYOUT_LABEL}」并在 B 列填写版式名称"
    return ReadResult(None, [finding("S02", file, INFO_SHEET, problem=problem, todo=todo)], f"{problem}：{todo}")


def _missing_sheet(name: str) -> dict[str, str]:
    return {"problem": f"缺少工作表「{name}」",
            "todo": f"请从模板复制工作表「{name}」，或把改名的工作表改回「{name}」"}
