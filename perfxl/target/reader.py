"""Reading one standard workbook into a Project through the shared cell reader (io/cells.py), with the S
findings met on the way."""

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
    is_blank,
    label_key,
    parse_amount,
    parse_date,
    parse_year,
    text_key,
    to_text,
)
from perfxl.io.cells import CellReader, cell_name, short
from perfxl.io.workbook import Grid, Limits, UnreadableWorkbook, load_grids

LABEL_ROWS = 200
TOTAL_ITEMS = ("合计", "小计", "总计")  # 预算明细 rows that state the table's total
SUBTOTAL = "小计"  # covers the lines since the previous 小计; 合计 and 总计 cover all lines
NOTE_LINE = re.compile(r"^(?:注|备注|说明|填表说明)\d*:")
SELFEVAL_TODO = "请放入“自评”文件夹，用 perfxl selfeval run（make selfeval）处理"
HEADER_ROWS = 20
PARSERS = {"year": parse_year, "date": parse_date, "amount": parse_amount}
MIN_RECOGNISED = 3  # labels and 一级 names a workbook without the 版式 mark must show of its layout
DAYS_1904 = 1462  # from 1900-01-00 (Excel's 1900 system) to 1904-01-01
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


def read_fields(cells: CellReader, project: Project, grid: Grid, fields: list[FieldSpec]) -> None:
    """The value of each field in `fields`, right of its label in column A, into `project`."""
    rows: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for r, row in enumerate(grid.rows[:LABEL_ROWS]):
        if row and not is_blank(row[0]):
            (hidden if r in grid.hidden_rows else rows).setdefault(label_key(row[0]), r)
    if 1 in grid.hidden_cols:
        cells.report_hidden_column(grid, 0, 1)
    for spec in fields:
        found = _visible_label_row(cells, grid, spec, rows, hidden)
        if found is None:
            _missing(cells, spec, "", "未找到（A 列中没有这个标签）")
            continue
        r = found
        cell = cell_name(r, 1)
        project.cells[spec.name] = cell
        if (r, 1) in grid.formulas and is_blank(grid.value(r, 1)):
            cells.text(grid, r, 1)  # reports S06; the value stays unknown
            if spec.need == "required":
                _missing(cells, spec, cell, "的值未知：单元格中的公式没有保存计算结果")
            continue
        _read_value(cells, project, grid, spec, r)


def _visible_label_row(cells: CellReader, grid: Grid, spec: FieldSpec, rows: dict[str, int],
                       hidden: dict[str, int]) -> int | None:
    """The row of `spec`'s label a person sees; a hidden row only when no visible one has it (S07 both ways)."""
    keys = spec.label_keys()
    r = min((rows[k] for k in keys if k in rows), default=None)
    h = min((hidden[k] for k in keys if k in hidden), default=None)
    if h is None:
        return r
    where = f"隐藏的第 {h + 1} 行（{spec.label}）"
    if r is None:
        cells.add("S07", grid.name, cell_name(h, 1), value=where, normalised="该行的内容",
                  todo="该行在 Excel 中被隐藏，审核人看不到；请取消隐藏并核对内容")
        return h
    cells.add("S07", grid.name, cell_name(h, 1), value=where, normalised=f"可见的第 {r + 1} 行",
              todo="隐藏行中的内容未读取；如已不再需要，请删除该行")
    return r


def _read_value(cells: CellReader, project: Project, grid: Grid, spec: FieldSpec, r: int) -> None:
    cell = cell_name(r, 1)
    raw = grid.value(r, 1)
    if spec.kind in ("text", "choice"):
        text = cells.text(grid, r, 1)
        if text:
            project.set(spec.name, text)
        else:
            _missing(cells, spec, cell, "为空")
        return
    if is_blank(raw):
        _missing(cells, spec, cell, "为空")
        return
    if spec.kind == "amount":
        amount = cells.amount(grid, r, 1, spec.label, FORMAT_HINTS["amount"])
        if amount is not None:
            project.set(spec.name, amount)
        return
    if spec.kind == "date" and isinstance(raw, int | float) and not isinstance(raw, bool) and grid.date1904:
        raw = raw + DAYS_1904  # a serial of the 1904 system, as the 1900 system counts it
    try:
        project.set(spec.name, PARSERS[spec.kind](raw))
    except ParseError as error:
        cells.add("S04", grid.name, cell, label=spec.label, value=short(to_text(raw)), problem=str(error),
                  todo=FORMAT_HINTS[spec.kind])


def _missing(cells: CellReader, spec: FieldSpec, cell: str, problem: str) -> None:
    if spec.need == "required":
        cells.add("S03", spec.sheet, cell, label=spec.label, problem=problem)
    elif spec.need == "recommended":
        cells.add("S05", spec.sheet, cell, label=spec.label)


def read_budget_lines(cells: CellReader, project: Project, grid: Grid) -> None:
    """The 预算明细 rows under their header, and the table's own 合计/小计/总计 rows; hidden rows skipped (S07)."""
    start = next((r for r, row in enumerate(grid.rows[:LABEL_ROWS])
                  if row and label_key(row[0]) == label_key(BUDGET_LINES_HEADER[0])), None)
    if start is None:
        return
    project.budget_line_columns = {"item": "A", "amount": "B", "note": "C"}
    subtotal_from = 0
    for r in range(start + 1, len(grid.rows)):
        if is_blank(grid.value(r, 0)):
            break
        if cells.skip_hidden_row(grid, r, to_text(grid.value(r, 0))):
            continue
        amount = cells.amount(grid, r, 1, "金额（元）", FORMAT_HINTS["amount"])
        line = BudgetLine(r + 1, cells.text(grid, r, 0), amount, cells.text(grid, r, 2))
        kind = label_key(line.item)
        if kind in TOTAL_ITEMS:  # the table's own total: checked against the lines it covers, not added
            first = subtotal_from if kind == SUBTOTAL else 0
            project.budget_totals.append(BudgetTotal(line, first, len(project.budget_lines)))
            subtotal_from = len(project.budget_lines) if kind == SUBTOTAL else subtotal_from
        else:
            project.budget_lines.append(line)


def read_indicators(cells: CellReader, project: Project, grid: Grid, layout: Layout) -> None:
    """The indicator table under its header: 一级/二级 carried down merged cells; hidden rows skipped (S07)."""
    header = find_header(grid, layout.columns)
    if header is None:
        headers = "、".join(c.header for c in layout.columns if not c.optional)
        cells.add("S03", grid.name, "", label=f"表头（{headers}）", problem=f"在前 {HEADER_ROWS} 行中未找到")
        return
    head_row, columns = header
    for c in sorted(grid.hidden_cols):
        if c < len(grid.rows[head_row]) and not is_blank(grid.value(head_row, c)):
            cells.report_hidden_column(grid, head_row, c)
    project.indicator_columns = {name: column_letter(c + 1) for name, c in columns.items()}
    main = [columns[name] for name in INDICATOR_NAMES]
    level1 = level2 = ""
    for r in range(head_row + 1, len(grid.rows)):
        if all(is_blank(grid.value(r, c)) for c in main) or _is_note(grid, r, columns["level1"]):
            continue
        if cells.skip_hidden_row(grid, r, to_text(grid.value(r, columns["level3"]))):
            continue
        own1 = _level_text(cells, grid, r, columns["level1"], layout)
        own2 = _level_text(cells, grid, r, columns["level2"], layout)
        level2 = own2 or (level2 if not own1 or own1 == level1 else "")
        level1 = own1 or level1
        project.indicators.append(_indicator(cells, grid, r, columns, level1, level2, layout))


def _level_text(cells: CellReader, grid: Grid, r: int, c: int, layout: Layout) -> str:
    text = cells.text(grid, r, c)
    synonym = layout.profile.synonyms.get(text)
    if synonym:
        cells.add("S07", grid.name, cell_name(r, c), value=text, normalised=synonym,
                  todo=f"已按「{synonym}」处理，建议在工作簿中也改为「{synonym}」")
        return synonym
    return text


def _indicator(cells: CellReader, grid: Grid, r: int, columns: dict[str, int], level1: str, level2: str,
               layout: Layout) -> Indicator:
    column = columns["target"]
    written = _target_text(cells, grid, r, column)
    target = parse_target(written)
    if target.problem:
        header = layout.column("target")
        cells.add("S04", grid.name, cell_name(r, column), label=header.header if header else "指标目标值",
                  value=short(written), problem=target.problem,
                  todo="小数请写作 1.5%；千位分隔符每三位一个，例如 1,500条；范围请写成一个目标，例如 ≥90%")
    elif (r, column) not in grid.formulas and target_was_rewritten(written, target):
        cells.add("S07", grid.name, cell_name(r, column), value=written, normalised=target.text,
                  todo=f"建议在工作簿中直接写作「{target.text}」")
    others = {name: cells.text(grid, r, c) for name, c in columns.items() if name not in INDICATOR_NAMES}
    note = others.pop("note", "")
    return Indicator(r + 1, level1, level2, cells.text(grid, r, columns["level3"]), written, target.text,
                     target.operator, target.value, target.unit_of_measure, note, others)


def _target_text(cells: CellReader, grid: Grid, r: int, c: int) -> str:
    """The 指标值 as typed: a formula Excel made of `=95%` (S07), or a number as its format shows it (S07)."""
    formula = grid.formulas.get((r, c))
    if formula is not None:
        written = cells.fit(grid, r, c, formula if formula.startswith("=") else f"={formula}")
        cells.add("S07", grid.name, cell_name(r, c), value=f"公式 {short(written)}", normalised=short(written),
                  todo="Excel 把输入的目标值当成了公式；请把该列设为“文本”格式后重新输入")
        return written
    return cells.quantity_text(grid, r, c)


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


def find_header(grid: Grid, columns: list[Column]) -> tuple[int, dict[str, int]] | None:
    """(row, column name -> index) of the indicator table's header: the required columns side by side,
    in order, in the first HEADER_ROWS rows; the optional columns anywhere right of them. Hidden columns
    are passed over: a hidden 指标值 column before the visible one is not the table's."""
    required = [c for c in columns if not c.optional]
    for r, row in enumerate(grid.rows[:HEADER_ROWS]):
        shown = [c for c in range(len(row)) if c not in grid.hidden_cols]
        keys = [label_key(row[c]) for c in shown]
        for i in range(len(keys) - len(required) + 1):
            if all(keys[i + j] in column.label_keys() for j, column in enumerate(required)):
                found = {column.name: shown[i + j] for j, column in enumerate(required)}
                for column in columns:
                    if column.optional:
                        at = next((k for k in range(i + len(required), len(keys)) if keys[k] in column.label_keys()),
                                  None)
                        if at is not None:
                            found[column.name] = shown[at]
                return r, found
    return None


def recognise(grids: dict[str, Grid], config: Config) -> tuple[Layout | None, str]:
    """The layout a workbook follows: the one its 版式 row names, else the one whose labels and 一级 names
    it shows most clearly. (None, what was tried) when neither says."""
    info = grids.get(INFO_SHEET)
    rows = label_rows(info) if info is not None else {}
    at = rows.get(label_key(LAYOUT_LABEL))
    marked = to_text(info.value(at, 1)) if info is not None and at is not None else ""
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
    cells = CellReader(file, config.limits["max_cell_chars"])
    project = Project(file=file, layout=layout.name)
    for name in missing:
        cells.add("S02", name, **_missing_sheet(name))
    cells.report_hidden_sheets(grids)
    for sheet in (INFO_SHEET, BUDGET_SHEET):
        if sheet in grids:
            read_fields(cells, project, grids[sheet], layout.fields_on(sheet))
    if BUDGET_SHEET in grids:
        read_budget_lines(cells, project, grids[BUDGET_SHEET])
    if INDICATOR_SHEET in grids:
        read_indicators(cells, project, grids[INDICATOR_SHEET], layout)
    findings = [replace(f, project_name=project.name) for f in cells.findings]
    explanation = f"缺少工作表：{'、'.join(missing)}（不是标准申报表，请使用模板）" if missing else ""
    return ReadResult(project, findings, explanation)


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
