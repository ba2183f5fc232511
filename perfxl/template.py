"""The blank standard workbook (绩效目标申报表.xlsx) that units fill in."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .config import Config
from .model import (
    BUDGET_LINES_HEADER,
    BUDGET_SHEET,
    FIELDS,
    INDICATOR_HEADERS,
    INDICATOR_SHEET,
    INFO_SHEET,
    NOTE_HEADER,
)

GUIDE_SHEET = "填表说明"
INDICATOR_ROWS = 300  # rows prepared with drop-downs and text format
BUDGET_LINE_ROWS = 30
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
WRAP = Alignment(wrap_text=True, vertical="top")
GUIDE = [
    "财政项目支出绩效目标表 · 填表说明",
    "1. 每个项目填写一个工作簿，文件名建议为“项目名称.xlsx”，填好后放入 input 文件夹，运行 make。",
    "2. 标 * 的为必填项；A 列的标签请勿修改，可以插入行，perfxl 按标签查找内容。",
    "3. 项目信息：日期请写成 2020-01-01 或 2020年1月1日；项目类别、是否含有政府购买服务请从下拉列表选择。",
    "4. 预算：金额以元为单位填写数字，例如 1338310；新项目的上年预算额和执行数留空。",
    "5. 预算明细（可选）：在“明细项目”表头下逐行填写，合计应等于项目当年预算。",
    "6. 绩效指标：一级目标、二级目标从下拉列表选择；与上一行相同时可以留空或合并单元格。",
    "7. 指标目标值按常用写法填写，例如 ≥98%、=1300册、≤1%、合规；定量指标请写明单位。",
    "8. 投入与管理的四项标准指标已预先填好，请勿改动名称和目标值。",
    "9. 满意度指标通常写作“≥90%”或更高。",
]


def _required(label: str, need: str) -> str:
    return f"*{label}" if need == "required" else label


def _list_validation(sheet: Worksheet, cells: str, choices: list[str], prompt: str) -> None:
    validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                showErrorMessage=False, showInputMessage=True, promptTitle="请选择", prompt=prompt)
    validation.add(cells)
    sheet.add_data_validation(validation)


def _label_sheet(sheet: Worksheet, title: str, sheet_name: str) -> dict[str, int]:
    """Title row, then one labelled row per field of `sheet_name`; returns field name -> row."""
    sheet.append([title, "（带 * 为必填）"])
    sheet["A1"].font = Font(bold=True, size=14)
    rows = {}
    for spec in (f for f in FIELDS if f.sheet == sheet_name):
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
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 80
    return rows


def _info_sheet(book: Workbook, config: Config) -> None:
    sheet = book.create_sheet(INFO_SHEET)
    rows = _label_sheet(sheet, "项目信息", INFO_SHEET)
    for name in ("overview", "basis", "necessity", "safeguards", "plan", "goals"):
        sheet.row_dimensions[rows[name]].height = 60
    _list_validation(sheet, f"B{rows['category']}", config.profile["categories"], "从列表中选择项目类别")
    _list_validation(sheet, f"B{rows['gov_procurement']}", config.profile["gov_procurement_choices"], "是 / 否")


def _budget_sheet(book: Workbook) -> None:
    sheet = book.create_sheet(BUDGET_SHEET)
    _label_sheet(sheet, "预算（单位：元）", BUDGET_SHEET)
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


def _indicator_sheet(book: Workbook, config: Config) -> None:
    sheet = book.create_sheet(INDICATOR_SHEET)
    sheet.append([*INDICATOR_HEADERS, NOTE_HEADER])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    sheet.freeze_panes = "A2"
    previous = {"level1": None, "level2": None}
    for level3, spec in config.profile["standard_indicators"].items():
        level1 = spec["level1"] if spec["level1"] != previous["level1"] else None
        sheet.append([level1, spec["level2"], level3, spec["target"]])
        previous["level1"] = spec["level1"]
    last = INDICATOR_ROWS + 1
    for row in range(2, last + 1):
        sheet.cell(row, 4).number_format = "@"  # keeps a typed =95% as text
        for col in (3, 4, 5):
            sheet.cell(row, col).alignment = WRAP
    level2_choices = list(dict.fromkeys(n for names in config.hierarchy.values() for n in names))
    _list_validation(sheet, f"A2:A{last}", list(config.hierarchy), "一级目标；与上一行相同时可留空")
    _list_validation(sheet, f"B2:B{last}", level2_choices, "二级目标须属于本行的一级目标")
    for letter, width in zip("ABCDE", (14, 14, 36, 30, 20), strict=True):
        sheet.column_dimensions[letter].width = width


def build_template(config: Config) -> Workbook:
    """The blank standard workbook, with drop-downs from the configured lists."""
    book = Workbook()
    guide = book.active
    guide.title = GUIDE_SHEET
    for line in GUIDE:
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 110
    _info_sheet(book, config)
    _budget_sheet(book)
    _indicator_sheet(book, config)
    book.active = 1
    return book


def write_template(path: Path, config: Config) -> None:
    build_template(config).save(path)


def _row_of(sheet: Worksheet, label: str) -> int:
    from .values import label_key  # local: template writing needs it only when filling

    wanted = label_key(label)
    return next(row for row in range(1, sheet.max_row + 1) if label_key(sheet.cell(row, 1).value) == wanted)


def fill_template(
    config: Config,
    fields: dict[str, object],
    indicators: list[list[object]],
    budget_lines: list[list[object]] = (),
) -> Workbook:
    """A standard workbook holding `fields` (label -> value), indicator rows and 预算明细 rows.

    Runs of equal 一级目标 are merged as on the printed form; blank 一级/二级 cells stay blank.
    """
    book = build_template(config)
    for label, value in fields.items():
        spec = next(f for f in FIELDS if f.label == label)
        sheet = book[spec.sheet]
        _set_text_or_value(sheet.cell(_row_of(sheet, label), 2), value)
    budget = book[BUDGET_SHEET]
    first_line = _row_of(budget, BUDGET_LINES_HEADER[0]) + 1
    for offset, line in enumerate(budget_lines):
        for col, value in enumerate(line, start=1):
            budget.cell(first_line + offset, col).value = value
    sheet = book[INDICATOR_SHEET]
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row, max_col=5):
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
