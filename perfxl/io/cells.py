"""One way to read a cell, shared by every workbook kind (target tables, self-evaluations, last year's
summary, migrate's input): its text as the user meant it (pasted markup removed, S07), a formula without a
saved value (S06), a text longer than a cell holds (cut, S07), a number with the meaning its format gives
it (`0.0%` shows 0.995 as 99.5 %, `#,##0.00"万元"` shows 1030.8 as 1030.8 万元), hidden rows and columns
(S07). The findings gathered are the reader's to pass on."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from perfxl.core.catalogue import finding
from perfxl.core.model import Finding, column_letter
from perfxl.core.values import (
    ParseError,
    clean_text,
    cut_to_excel_length,
    decimal_of,
    excel_length,
    is_blank,
    parse_amount,
    plain,
    to_text,
)
from perfxl.io.numfmt import is_percent_format, literal_unit
from perfxl.io.workbook import Grid

AMOUNT_HINT = "请填写以元为单位的数字，例如 1338310"
HIDDEN_ROW_TODO = "该行在 Excel 中被隐藏，审核人看不到，未读取；请取消隐藏并核对，或删除该行"
HIDDEN_COLUMN_TODO = "该列在 Excel 中被隐藏，审核人看不到，未读取；请取消隐藏并核对，或删除该列"


def cell_name(row: int, col: int) -> str:
    """A1 address of 0-based (row, col)."""
    return f"{column_letter(col + 1)}{row + 1}"


def short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@dataclass
class CellReader:
    """Reads the cells of one workbook (shown to the user as `file`) and gathers the S findings met."""

    file: str
    max_chars: int = 32767
    findings: list[Finding] = field(default_factory=list)

    def add(self, rule: str, sheet: str, cell: str = "", **values) -> None:
        self.findings.append(finding(rule, self.file, sheet, cell, **values))

    def text(self, grid: Grid, row: int, col: int) -> str:
        """The text of a cell as the user meant it: markup stripped (S07), formulas flagged (S06)."""
        formula = grid.formulas.get((row, col))
        value = grid.value(row, col)
        if formula is not None and is_blank(value):
            self.add("S06", grid.name, cell_name(row, col), formula=short(formula))
        text = to_text(value)
        cleaned = clean_text(text)
        if cleaned != text:
            self.add("S07", grid.name, cell_name(row, col), value=short(text), normalised=short(cleaned),
                     todo="已去除从网页复制带入的标记（如 <p>），建议在工作簿中也删去")
        return self.fit(grid, row, col, cleaned)

    def fit(self, grid: Grid, row: int, col: int, text: str) -> str:
        """`text` cut to what one Excel cell holds, with an S07 提示 when it had to be cut."""
        limit = self.max_chars
        cut = cut_to_excel_length(text, limit)
        if cut != text:
            self.add("S07", grid.name, cell_name(row, col), value=f"{short(text)}（共 {excel_length(text)} 字）",
                     normalised=f"前 {limit} 字",
                     todo=f"Excel 一个单元格最多容纳 {limit} 字，汇总表中只保留前 {limit} 字；请精简该内容")
        return cut

    def shown_number(self, grid: Grid, row: int, col: int) -> str | None:
        """A number as its format shows it, when the format changes its meaning (S07 saying so): `99.5%` for
        0.995 in a `0.0%` cell, `1030.8万元` for 1030.8 in a `#,##0.00"万元"` cell; None otherwise."""
        value, number_format = grid.value(row, col), (grid.formats or {}).get((row, col))
        if not isinstance(value, int | float | Decimal) or isinstance(value, bool) or number_format is None:
            return None
        number = decimal_of(value)
        if is_percent_format(number_format):
            shown, why = f"{plain(number * 100)}%", "百分比格式：Excel 把输入的百分数存成了小数"
        elif unit := literal_unit(number_format):
            shown, why = f"{plain(number)}{unit}", f"单元格格式显示单位「{unit}」"
        else:
            return None
        self.add("S07", grid.name, cell_name(row, col), value=f"数字 {plain(number)}（{why}）", normalised=shown,
                 todo="已按 Excel 显示的内容读取；建议把该单元格设为“文本”格式后直接输入数值和单位")
        return shown

    def quantity_text(self, grid: Grid, row: int, col: int) -> str:
        """A cell meant as a quantity (指标值, 实际完成值): the number as shown, else the cell's text."""
        return self.shown_number(grid, row, col) or self.text(grid, row, col)

    def amount(self, grid: Grid, row: int, col: int, label: str, hint: str = AMOUNT_HINT) -> Decimal | None:
        """An amount in yuan; a number shown with a unit (万元) read in it; S04 when unreadable, None when blank."""
        raw = grid.value(row, col)
        if (row, col) in grid.formulas and is_blank(raw):
            self.text(grid, row, col)  # reports S06; the amount stays unknown
            return None
        if is_blank(raw):
            return None
        try:
            return parse_amount(self.shown_number(grid, row, col) or raw)
        except ParseError as error:
            self.add("S04", grid.name, cell_name(row, col), label=label, value=short(to_text(raw)),
                     problem=str(error), todo=hint)
            return None

    def skip_hidden_row(self, grid: Grid, row: int, what: str) -> bool:
        """True (with an S07 提示) when `row` is hidden: its content is not read as if a reviewer saw it."""
        if row not in grid.hidden_rows:
            return False
        self.add("S07", grid.name, cell_name(row, 0), value=f"隐藏的第 {row + 1} 行（{short(what)}）",
                 normalised="未读取", todo=HIDDEN_ROW_TODO)
        return True

    def report_hidden_column(self, grid: Grid, row: int, col: int) -> None:
        """S07 for a hidden column of a table, named by its header at (`row`, `col`)."""
        header = to_text(grid.value(row, col)) or f"{column_letter(col + 1)} 列"
        self.add("S07", grid.name, cell_name(row, col), value=f"隐藏的 {column_letter(col + 1)} 列（{short(header)}）",
                 normalised="未读取", todo=HIDDEN_COLUMN_TODO)

    def report_hidden_sheets(self, grids: dict[str, Grid]) -> None:
        """S07 when a hidden sheet is read for a missing visible one, or lost to a visible namesake."""
        for grid in grids.values():
            if grid.hidden:
                self.add("S07", grid.name, value=f"隐藏的工作表「{grid.name}」", normalised="该工作表的内容",
                         todo="没有可见的同名工作表，已读取隐藏的工作表；请在 Excel 中取消隐藏并核对内容")
            for name in grid.passed_over:
                self.add("S07", grid.name, value=f"隐藏的工作表「{name}」", normalised=f"可见的工作表「{grid.name}」",
                         todo="隐藏工作表中的内容未读取；如已不再需要，请删除该工作表")
