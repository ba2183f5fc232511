"""The published forms of shared/layout-sh2026.md and layout-sh2023.md, rebuilt as Word documents the way
they are printed: the whole form one bordered table, row headings (项目资金（元）, 项目绩效目标, 绩效指标)
merged down at the left, the two funding blocks side by side with 其中：财政资金 merged over two rows and
the two 其他资金 on one row, the goal headings in a row above their texts, 一级 and 二级 merged down.

`published_form(…, split=k)` continues the indicator table after its k-th row in a second table without a
header (Word's 拆分表格 at a page break); `rebuilt=True` gives that second table only the four indicator
columns, as a form rebuilt from the published PDF has it. Run this file to rewrite the fixtures under
tests/data/published/ (the Word forms, and each project's workbook as perfxl's template holds it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import docx

DATA = Path(__file__).resolve().parent / "data" / "published"
PUBLISHED = json.loads((DATA / "published.json").read_text(encoding="utf-8"))["forms"]
TITLES = {"上海2026": "财政项目支出绩效目标申报表", "上海2023": "财政项目支出绩效目标填报表"}
GOAL_HEADINGS = {"上海2026": "项目总体目标", "上海2023": "项目总目标"}
FUNDS = (("项目资金总额", "project_funds", "年度资金申请总额", "annual_funds"),
         ("其中：财政资金", "project_fiscal_funds", "其中：当年财政拨款", "annual_appropriation"),
         ("", "", "上年结转资金", "carryover"),
         ("其他资金", "project_other_funds", "其他资金", "annual_other_funds"))


def _put(cell, text: str) -> None:
    first, *more = text.split("\n")
    cell.text = first
    for line in more:
        cell.add_paragraph(line)


def _down(table, col: int, first: int, last: int, text: str) -> None:
    """`text` in column `col`, merged down over rows first … last."""
    cell = table.cell(first, col)
    if last > first:
        cell = cell.merge(table.cell(last, col))
    _put(cell, text)


def _across(table, row: int, first: int, last: int, text: str) -> None:
    _put(table.cell(row, first).merge(table.cell(row, last)), text)


def _header_rows(table, form: dict) -> None:
    values = form["fields"]
    table.cell(0, 0).text = "项目名称"
    _across(table, 0, 1, 4, values["project_name"])
    for row, (left, right) in enumerate((("项目性质", "项目类别"), ("主管部门", "实施单位"),
                                         ("计划开始日期", "计划完成日期")), start=1):
        names = {"项目性质": "nature", "项目类别": "category", "主管部门": "department", "实施单位": "unit",
                 "计划开始日期": "start_date", "计划完成日期": "end_date"}
        table.cell(row, 0).text, table.cell(row, 1).text = left, values[names[left]]
        table.cell(row, 2).text = right
        _across(table, row, 3, 4, values[names[right]])


def _funds_rows(table, form: dict, top: int) -> None:
    values = form["fields"]
    _down(table, 0, top, top + 3, "项目资金（元）")
    _down(table, 1, top + 1, top + 2, "其中：财政资金")
    _down(table, 2, top + 1, top + 2, values["project_fiscal_funds"])
    for offset, (left, left_name, right, right_name) in enumerate(FUNDS):
        if left and offset != 1:
            table.cell(top + offset, 1).text, table.cell(top + offset, 2).text = left, values[left_name]
        table.cell(top + offset, 3).text, table.cell(top + offset, 4).text = right, values[right_name]


def _goal_rows(table, form: dict, top: int) -> None:
    heading = GOAL_HEADINGS[form["layout"]] + (f"\n{form['span']}" if form["span"] else "")
    _down(table, 0, top, top + 1, "项目绩效目标")
    _across(table, top, 1, 2, heading)
    _across(table, top, 3, 4, "年度总体目标")
    _across(table, top + 1, 1, 2, form["fields"]["overall_goal"])
    _across(table, top + 1, 3, 4, form["fields"]["annual_goal"])


def _indicator_rows(table, indicators: list[list[str]], top: int, first_col: int) -> None:
    """The rows from `top`, 一级 and 二级 merged down over their runs (within this table)."""
    for offset, row in enumerate(indicators):
        table.cell(top + offset, first_col + 2).text = row[2]
        table.cell(top + offset, first_col + 3).text = row[3]
    for level in (0, 1):
        start = 0
        for end in range(1, len(indicators) + 1):
            if end == len(indicators) or indicators[end][: level + 1] != indicators[start][: level + 1]:
                _down(table, first_col + level, top + start, top + end - 1, indicators[start][level])
                start = end


def published_form(document, form: dict, split: int | None = None, rebuilt: bool = False) -> None:
    """Append `form` (an entry of published.json) to `document`, as printed."""
    indicators = form["indicators"]
    first, rest = (indicators, []) if split is None else (indicators[:split], indicators[split:])
    document.add_paragraph(TITLES[form["layout"]])
    document.add_paragraph(f"（{form['year']}年度）")
    table = document.add_table(rows=11 + len(first), cols=5)
    table.style = "Table Grid"
    _header_rows(table, form)
    _funds_rows(table, form, 4)
    _goal_rows(table, form, 8)
    _down(table, 0, 10, 10 + len(first), "绩效指标")
    for col, header in enumerate(("一级指标", "二级指标", "三级指标", "年度(/项目)指标值"), start=1):
        table.cell(10, col).text = header
    _indicator_rows(table, first, 11, 1)
    if rest:
        document.add_paragraph("")
        cols = 4 if rebuilt else 5
        more = document.add_table(rows=len(rest), cols=cols)
        more.style = "Table Grid"
        if not rebuilt:
            _down(more, 0, 0, len(rest) - 1, "")
        _indicator_rows(more, rest, 0, cols - 4)


def write_fixtures() -> None:
    """The Word form of each published project, and its workbook (perfxl's template, filled as printed)."""
    from perfxl.core.config import load_config
    from perfxl.io.xlsx import save_book
    from perfxl.target.template import fill_template

    config = load_config(None)
    for form in PUBLISHED:
        document = docx.Document()
        published_form(document, form)
        document.save(DATA / f"{form['name']}（{form['layout']}）.docx")
        layout = config.layout(form["layout"])
        fields = {layout.field(name).label: value for name, value in {**form["fields"], "year": form["year"]}.items()}
        save_book(fill_template(config, fields, form["indicators"], layout=layout.name),
                  DATA / f"{form['name']}（{form['layout']}）.xlsx")


if __name__ == "__main__":
    sys.exit(write_fixtures())
