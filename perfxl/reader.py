"""Reading one standard workbook into a Project, with the S findings met on the way."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from .catalogue import finding
from .config import Config
from .model import (
    BUDGET_LINES_HEADER,
    BUDGET_SHEET,
    FIELDS,
    INDICATOR_HEADERS,
    INDICATOR_SHEET,
    INFO_SHEET,
    NOTE_HEADER,
    REQUIRED_SHEETS,
    SELFEVAL_SHEET,
    BudgetLine,
    Field,
    Finding,
    Indicator,
    Project,
    column_letter,
)
from .values import (
    ParseError,
    clean_text,
    cut_to_excel_length,
    excel_length,
    is_blank,
    label_key,
    parse_amount,
    parse_date,
    parse_target,
    parse_year,
    target_was_rewritten,
    to_text,
)
from .workbook import Grid, Limits, UnreadableWorkbook, load_grids

LABEL_ROWS = 200
SELFEVAL_TODO = "请放入“自评”文件夹，用 perfxl selfeval run（make selfeval）处理"
HEADER_ROWS = 20
PARSERS = {"year": parse_year, "date": parse_date, "amount": parse_amount}
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

    def __init__(self, file: str, config: Config):
        self.file = file
        self.config = config
        self.project = Project(file=file)
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

    def read_fields(self, grid: Grid, fields: list[Field]) -> None:
        rows = {}
        for r, row in enumerate(grid.rows[:LABEL_ROWS]):
            if row and not is_blank(row[0]):
                rows.setdefault(label_key(row[0]), r)
        for spec in fields:
            r = rows.get(label_key(spec.label))
            if r is None:
                self.missing(spec, "", "未找到（A 列中没有这个标签）")
                continue
            cell = cell_name(r, 1)
            self.project.cells[spec.name] = cell
            if (r, 1) in grid.formulas and is_blank(grid.value(r, 1)):
                self.cell_text(grid, r, 1)  # reports S06; the value stays unknown
                continue
            self.read_value(grid, spec, r, cell)

    def read_value(self, grid: Grid, spec: Field, r: int, cell: str) -> None:
        raw = grid.value(r, 1)
        if spec.kind == "text":
            text = self.cell_text(grid, r, 1)
            if text:
                setattr(self.project, spec.name, text)
            else:
                self.missing(spec, cell, "为空")
            return
        if is_blank(raw):
            self.missing(spec, cell, "为空")
            return
        try:
            setattr(self.project, spec.name, PARSERS[spec.kind](raw))
        except ParseError as error:
            self.add("S04", grid.name, cell, label=spec.label, value=_short(to_text(raw)), problem=str(error),
                     todo=FORMAT_HINTS[spec.kind])

    def missing(self, spec: Field, cell: str, problem: str) -> None:
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
            self.project.budget_lines.append(line)

    def read_indicators(self, grid: Grid) -> None:
        header = _find_header(grid)
        if header is None:
            self.add("S03", grid.name, "", label="表头（一级目标、二级目标、三级目标、指标目标值）",
                     problem=f"在前 {HEADER_ROWS} 行中未找到")
            return
        head_row, col = header
        has_note = label_key(grid.value(head_row, col + 4)) == NOTE_HEADER
        names = ("level1", "level2", "level3", "target") + (("note",) if has_note else ())
        self.project.indicator_columns = {n: column_letter(col + i + 1) for i, n in enumerate(names)}
        level1 = level2 = ""
        for r in range(head_row + 1, len(grid.rows)):
            if all(is_blank(grid.value(r, col + i)) for i in range(4)):
                continue
            own1 = self.level_text(grid, r, col)
            own2 = self.level_text(grid, r, col + 1)
            level2 = own2 or (level2 if not own1 or own1 == level1 else "")
            level1 = own1 or level1
            self.project.indicators.append(self.indicator(grid, r, col, level1, level2, has_note))

    def level_text(self, grid: Grid, r: int, c: int) -> str:
        text = self.cell_text(grid, r, c)
        synonym = self.config.profile["synonyms"].get(text)
        if synonym:
            self.add("S07", grid.name, cell_name(r, c), value=text, normalised=synonym,
                     todo=f"已按「{synonym}」处理，建议在工作簿中也改为「{synonym}」")
            return synonym
        return text

    def indicator(self, grid: Grid, r: int, col: int, level1: str, level2: str, has_note: bool) -> Indicator:
        formula = grid.formulas.get((r, col + 3))
        if formula is not None:
            written = self.fit(grid, r, col + 3, formula if formula.startswith("=") else f"={formula}")
            self.add("S07", grid.name, cell_name(r, col + 3), value=f"公式 {_short(written)}", normalised=_short(written),
                     todo="Excel 把输入的目标值当成了公式；请把该列设为“文本”格式后重新输入")
        elif _is_number(grid.value(r, col + 3)) and (r, col + 3) in (grid.percents or ()):
            number = grid.value(r, col + 3)
            written = f"{number * 100:.10g}%"
            self.add("S07", grid.name, cell_name(r, col + 3), value=f"数字 {number:g}（百分比格式）", normalised=written,
                     todo="该单元格是数字格式，Excel 把输入的百分数存成了小数；建议把该列设为“文本”格式后重新输入")
        else:
            written = self.cell_text(grid, r, col + 3)
        target = parse_target(written)
        if formula is None and target_was_rewritten(written, target):
            self.add("S07", grid.name, cell_name(r, col + 3), value=written, normalised=target.text,
                     todo=f"建议在工作簿中直接写作「{target.text}」")
        note = self.cell_text(grid, r, col + 4) if has_note else ""
        return Indicator(r + 1, level1, level2, self.cell_text(grid, r, col + 2), written, target.text,
                         target.operator, target.value, target.unit_of_measure, note)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_targets(grid: Grid | None) -> bool:
    """Whether a 指标目标值 cell holds a number: only then do number formats (e.g. `0%`) matter."""
    header = _find_header(grid) if grid is not None and grid.percents is None else None
    if header is None:
        return False
    head_row, col = header
    return any(_is_number(grid.value(r, col + 3)) for r in range(head_row + 1, len(grid.rows)))


def _find_header(grid: Grid) -> tuple[int, int] | None:
    wanted = [label_key(h) for h in INDICATOR_HEADERS]
    for r, row in enumerate(grid.rows[:HEADER_ROWS]):
        keys = [label_key(v) for v in row]
        for c in range(len(keys) - 3):
            if keys[c : c + 4] == wanted:
                return r, c
    return None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def read_project(path: Path, file: str, config: Config) -> ReadResult:
    """Read the workbook at `path` (shown to the user as `file`); never raises for bad content."""
    reader = _Reader(file, config)
    try:
        limits = Limits(config.limits["max_unzipped_mb"] * 2**20, config.limits["max_sheet_cells"])
        grids = load_grids(path, (*REQUIRED_SHEETS, SELFEVAL_SHEET), limits)
        if _numeric_targets(grids.get(INDICATOR_SHEET)):
            grids = load_grids(path, REQUIRED_SHEETS, limits, formats=True)
    except UnreadableWorkbook as error:
        reader.add("S01", "", reason=error.reason, todo=error.todo)
        return ReadResult(None, reader.findings, failure=f"{error.reason}：{error.todo}")
    missing = [name for name in REQUIRED_SHEETS if name not in grids]
    if missing and SELFEVAL_SHEET in grids:  # a year-end self-evaluation put among the target tables
        reader.add("S01", "", reason="这是绩效自评表，不是绩效目标申报表", todo=SELFEVAL_TODO)
        return ReadResult(None, reader.findings, failure=f"这是绩效自评表，不是绩效目标申报表：{SELFEVAL_TODO}")
    for name in missing:
        reader.add("S02", name, sheet_name=name)
    if INFO_SHEET in grids:
        reader.read_fields(grids[INFO_SHEET], [f for f in FIELDS if f.sheet == INFO_SHEET])
    if BUDGET_SHEET in grids:
        reader.read_fields(grids[BUDGET_SHEET], [f for f in FIELDS if f.sheet == BUDGET_SHEET])
        reader.read_budget_lines(grids[BUDGET_SHEET])
    if INDICATOR_SHEET in grids:
        reader.read_indicators(grids[INDICATOR_SHEET])
    project = reader.project
    findings = [replace(f, project_name=project.name) for f in reader.findings]
    failure = f"缺少工作表：{'、'.join(missing)}（不是标准申报表，请使用模板）" if missing else ""
    return ReadResult(project, findings, failure)
