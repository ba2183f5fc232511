"""The blank standard workbook (绩效目标申报表.xlsx) that units fill in."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from perfxl.core.config import Config
from perfxl.core.layout import LAYOUT_LABEL, Layout
from perfxl.core.model import BUDGET_LINES_HEADER, BUDGET_SHEET, INDICATOR_SHEET, INFO_SHEET
from perfxl.io.xlsx import save_book

GUIDE_SHEET = "填表说明"
INDICATOR_ROWS = 300  # rows prepared with drop-downs and text format
BUDGET_LINE_ROWS = 30
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MARK_FILL = PatternFill("solid", fgColor="EDEDED")
REQUIRED_FONT = Font(bold=True, color="C00000")
WRAP = Alignment(wrap_text=True, vertical="top")


def _required(label: str, need: str) -> str:
    return f"*{label}" if need == "required" else label


LIST_SHEET = "列表"  # hidden; holds the drop-down lists too long for an inline list
INLINE_LIST_LIMIT = 255  # Excel refuses an inline list formula longer than this


def _list_source(sheet: Worksheet, choices: list[str]) -> str:
    """The list formula: inline when short and comma-free, else a range on the hidden list sheet."""
    inline = ",".join(choices)
    if len(inline) + 2 <= INLINE_LIST_LIMIT and not any("," in c or '"' in c for c in choices):
        return f'"{inline}"'
    book = sheet.parent
    if LIST_SHEET not in book.sheetnames:
        book.create_sheet(LIST_SHEET).sheet_state = "hidden"
    lists = book[LIST_SHEET]
    col = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value is not None else 1
    for row, choice in enumerate(choices, start=1):
        lists.cell(row, col).value = choice
        lists.cell(row, col).data_type = "s"
    letter = get_column_letter(col)
    return f"'{LIST_SHEET}'!${letter}$1:${letter}${len(choices)}"


def _list_validation(sheet: Worksheet, cells: str, choices: list[str], prompt: str) -> None:
    validation = DataValidation(type="list", formula1=_list_source(sheet, choices), allow_blank=True,
                                showErrorMessage=False, showInputMessage=True, promptTitle="请选择", prompt=prompt)
    validation.add(cells)
    sheet.add_data_validation(validation)


def _label_sheet(sheet: Worksheet, title: str, layout: Layout, sheet_name: str) -> dict[str, int]:
    """Title row, then one labelled row per field of `sheet_name`; returns field name -> row."""
    sheet.append([title, "（带 * 为必填）"])
    sheet["A1"].font = Font(bold=True, size=14)
    rows = {}
    for spec in layout.fields_on(sheet_name):
        sheet.append([_required(spec.label, spec.need), None])
        row = sheet.max_row
        rows[spec.name] = row
        label = sheet.cell(row, 1)
        label.font = REQUIRED_FONT if spec.need == "required" else Font(bold=True)
        label.fill = HEADER_FILL
        label.alignment = Alignment(vertical="top", wrap_text=True)
        value = sheet.cell(row, 2)
        value.alignment = WRAP
        value.number_format = {"date": "yyyy-mm-dd", "amount": "#,##0.00", "year": "0"}.get(spec.kind, "@")
        if spec.long:
            sheet.row_dimensions[row].height = 60
        if spec.kind == "choice":
            _list_validation(sheet, f"B{row}", layout.choices(spec), f"从列表中选择{spec.label}")
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 80
    return rows


def _info_sheet(book: Workbook, layout: Layout) -> None:
    sheet = book.create_sheet(INFO_SHEET)
    _label_sheet(sheet, "项目信息", layout, INFO_SHEET)
    sheet.append([LAYOUT_LABEL, layout.name])  # the mark the reader recognises the layout by
    for cell in sheet[sheet.max_row]:
        cell.fill = MARK_FILL
        cell.font = Font(color="808080")


def _budget_sheet(book: Workbook, layout: Layout) -> None:
    sheet = book.create_sheet(BUDGET_SHEET)
    _label_sheet(sheet, "预算（单位：元）", layout, BUDGET_SHEET)
    sheet.append([])
    sheet.append(list(BUDGET_LINES_HEADER))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in range(header_row + 1, header_row + 1 + BUDGET_LINE_ROWS):
        sheet.cell(row, 2).number_format = "#,##0.00"
        sheet.cell(row, 3).alignment = WRAP
    sheet.column_dimensions["C"].width = 40


def _indicator_sheet(book: Workbook, layout: Layout) -> None:
    sheet = book.create_sheet(INDICATOR_SHEET)
    sheet.append([c.header for c in layout.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    sheet.freeze_panes = "A2"
    previous = None
    for level3, spec in layout.profile.standard_indicators.items():
        sheet.append([spec.level1 if spec.level1 != previous else None, spec.level2, level3, spec.target])
        previous = spec.level1
    last = INDICATOR_ROWS + 1
    for row in range(2, last + 1):
        sheet.cell(row, 4).number_format = "@"  # keeps a typed =95% as text
        for col in range(3, len(layout.columns) + 1):
            sheet.cell(row, col).alignment = WRAP
    _list_validation(sheet, f"A2:A{last}", list(layout.hierarchy), f"{layout.columns[0].header}；与上一行相同时可留空")
    _list_validation(sheet, f"B2:B{last}", layout.level2_names(), f"{layout.columns[1].header}须属于本行的一级")
    for col, width in enumerate((14, 16, 36, 30, *[30] * (len(layout.columns) - 4)), start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width


def build_template(layout: Layout) -> Workbook:
    """The blank standard workbook of `layout`, with drop-downs from its lists."""
    book = Workbook()
    guide = book.active
    guide.title = GUIDE_SHEET
    for line in layout.guide:
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 110
    _info_sheet(book, layout)
    _budget_sheet(book, layout)
    _indicator_sheet(book, layout)
    book.active = 1
    return book


def write_template(path: Path, layout: Layout) -> None:
    save_book(build_template(layout), path)


def _row_of(sheet: Worksheet, label: str) -> int:
    from perfxl.core.values import label_key  # local: template writing needs it only when filling

    wanted = label_key(label)
    return next(row for row in range(1, sheet.max_row + 1) if label_key(sheet.cell(row, 1).value) == wanted)


def fill_template(
    config: Config,
    fields: dict[str, object],
    indicators: Sequence[Sequence[object]],
    budget_lines: Sequence[Sequence[object]] = (),
    layout: str = "上海2020",
) -> Workbook:
    """A standard workbook of `layout` holding `fields` (label -> value), indicator rows and 预算明细 rows.

    Runs of equal 一级目标 are merged as on the printed form; blank 一级/二级 cells stay blank.
    """
    chosen = config.layout(layout)
    book = build_template(chosen)
    for label, value in fields.items():
        spec = next(f for f in chosen.fields if f.label == label)
        sheet = book[spec.sheet]
        _set_text_or_value(sheet.cell(_row_of(sheet, label), 2), value)
    budget = book[BUDGET_SHEET]
    first_line = _row_of(budget, BUDGET_LINES_HEADER[0]) + 1
    for offset, line in enumerate(budget_lines):
        for col, value in enumerate(line, start=1):
            budget.cell(first_line + offset, col).value = value
    sheet = book[INDICATOR_SHEET]
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row, max_col=len(chosen.columns)):
        for cell in row:
            cell.value = None
    for offset, values in enumerate(indicators):
        for col, value in enumerate(values, start=1):
            _set_text_or_value(sheet.cell(2 + offset, col), value)
    _merge_level1_runs(sheet, 2, 1 + len(indicators))
    return book


def _set_text_or_value(cell, value: object) -> None:
    """Store `value`; text stays text even when it starts with `=` (as typed into a text-formatted cell)."""
    cell.value = None if value == "" else value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _merge_level1_runs(sheet: Worksheet, first: int, last: int) -> None:
    start = first
    for row in range(first + 1, last + 2):
        if row > last or sheet.cell(row, 1).value is not None:
            if row - 1 > start:
                sheet.merge_cells(start_row=start, start_column=1, end_row=row - 1, end_column=1)
            start = row
