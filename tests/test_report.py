"""The consolidated workbook read back with openpyxl: sheets, header order, formats, totals, text safety."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN_FIELDS, SAMPLES, SEED, read_sheet

from perfxl.target.pipeline import run

HEADERS = {
    "项目汇总": ["文件", "版式", "年度", "申报单位名称", "项目名称", "项目类别", "计划开始日期", "计划完成日期",
             "是否含有政府购买服务", "绩效类型",
             "项目总预算（元）", "项目当年预算（元）", "同名项目上年预算额（元）", "同名项目上年预算执行数（元）",
             "上年预算执行率", "较上年增减", "指标数", "定量指标占比", "错误数", "警告数", "状态"],
    "绩效指标": ["文件", "项目名称", "一级目标", "二级目标", "三级目标", "指标目标值", "比较符", "数值", "单位", "性质",
             "备注"],
    "预算明细": ["文件", "项目名称", "明细项目", "金额（元）", "说明"],
    "项目说明": ["文件", "项目名称", "项目概况", "立项依据", "项目设立的必要性", "保证项目实施的制度、措施", "项目实施计划",
             "总目标及阶段性目标"],
    "校验结果": ["级别", "规则", "文件", "工作表", "单元格", "项目名称", "说明", "修改建议"],
    "处理清单": ["文件", "状态", "说明"],
}
AMOUNT_FORMATS = {"#,##0", "#,##0.00"}


@pytest.fixture
def report(make_workbook, config, clean_project, tmp_path):
    """Two projects, one clean and one with an error (an unreadable date), plus a file that is not a workbook."""
    fields, _ = clean_project
    make_workbook("a_通过.xlsx", budget_lines=[["开发", 600000, "合同"], ["运维", 400000, None]])
    fields.update({"项目名称": '=HYPERLINK("http://x")', "项目当年预算（元）": 1200000, "计划开始日期": "明年一月"})
    make_workbook("b_未通过.xlsx", fields=fields)
    (tmp_path / "input" / "说明.txt").write_text("不是工作簿", encoding="utf-8")
    batch = run(tmp_path / "input", tmp_path / "output", config)
    return batch, tmp_path / "output" / "绩效目标汇总.xlsx"


def test_six_sheets_in_order(report):
    assert openpyxl.load_workbook(report[1]).sheetnames == list(HEADERS)


@pytest.mark.parametrize("sheet", list(HEADERS))
def test_header_order(report, sheet):
    header = [c.value for c in openpyxl.load_workbook(report[1])[sheet][1]]
    assert header[: len(HEADERS[sheet])] == HEADERS[sheet]


@pytest.mark.parametrize("sheet", list(HEADERS))
def test_header_is_bold_filled_frozen_and_filtered(report, sheet):
    ws = openpyxl.load_workbook(report[1])[sheet]
    assert all(c.font.b and c.fill.fill_type == "solid" for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")


def test_summary_formats(report):
    ws = openpyxl.load_workbook(report[1])["项目汇总"]
    column = {c.value: c.column for c in ws[1]}
    row = {name: ws.cell(2, col) for name, col in column.items()}
    for name in ("项目总预算（元）", "项目当年预算（元）", "同名项目上年预算额（元）", "同名项目上年预算执行数（元）"):
        assert row[name].number_format in AMOUNT_FORMATS, name
    for name in ("上年预算执行率", "较上年增减", "定量指标占比"):
        assert row[name].number_format == "0.0%", name
    assert row["计划开始日期"].is_date and row["计划开始日期"].value == dt.datetime(2021, 1, 1)
    assert row["上年预算执行率"].value == pytest.approx(940000 / 950000)


def test_budget_line_amounts_are_amounts(report):
    ws = openpyxl.load_workbook(report[1])["预算明细"]
    assert [(ws.cell(r, 4).value, ws.cell(r, 4).number_format in AMOUNT_FORMATS) for r in (2, 3)] == [
        (600000, True), (400000, True)]


def test_status_and_totals_row(report):
    rows = read_sheet(report[1], "项目汇总")
    projects, totals = rows[:-1], rows[-1]
    assert [(r["文件"], r["状态"]) for r in projects] == [("a_通过.xlsx", "通过"), ("b_未通过.xlsx", "未通过")]
    assert projects[1]["错误数"] >= 1
    assert "合计" in totals["文件"]
    assert totals["项目总预算（元）"] == 2 * CLEAN_FIELDS["项目总预算（元）"]
    assert totals["项目当年预算（元）"] == 1000000 + 1200000
    assert totals["指标数"] == sum(r["指标数"] for r in projects)
    assert totals["错误数"] == sum(r["错误数"] for r in projects)


def test_totals_of_counts_are_shown_as_whole_numbers(report):
    ws = openpyxl.load_workbook(report[1])["项目汇总"]
    column = {c.value: c.column for c in ws[1]}
    totals = ws.max_row
    for name in ("指标数", "错误数", "警告数"):
        assert "." not in ws.cell(totals, column[name]).number_format, name
    assert ws.cell(totals, column["项目总预算（元）"]).number_format in AMOUNT_FORMATS


def test_failed_status_is_highlighted(report):
    ws = openpyxl.load_workbook(report[1])["项目汇总"]
    status = [c.column for c in ws[1] if c.value == "状态"][0]
    passed, failed = ws.cell(2, status), ws.cell(3, status)
    assert failed.value == "未通过" and failed.fill.fgColor.rgb != passed.fill.fgColor.rgb


@pytest.mark.parametrize(("sheet", "column"), [("项目汇总", "项目名称"), ("绩效指标", "项目名称"), ("校验结果", "项目名称")])
def test_text_beginning_with_equals_stays_text(report, sheet, column):
    ws = openpyxl.load_workbook(report[1])[sheet]
    col = [c.column for c in ws[1] if c.value == column][0]
    cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == '=HYPERLINK("http://x")']
    assert cells and {c.data_type for c in cells} == {"s"}


def test_findings_carry_rule_sheet_and_cell(report):
    findings = [(r["级别"], r["规则"], r["文件"], r["工作表"], r["单元格"]) for r in read_sheet(report[1], "校验结果")]
    assert ("错误", "S04", "b_未通过.xlsx", "项目信息", "B6") in findings
    assert [f for f in findings if f[2] == "a_通过.xlsx"] == []


def test_ledger_lists_every_file(report):
    ledger = {r["文件"]: r["状态"] for r in read_sheet(report[1], "处理清单")}
    assert ledger == {"a_通过.xlsx": "已处理", "b_未通过.xlsx": "已处理", "说明.txt": "已跳过"}


def test_empty_input_folder_still_writes_all_sheets(tmp_path, config):
    (tmp_path / "input").mkdir()
    run(tmp_path / "input", tmp_path / "output", config)
    book = openpyxl.load_workbook(tmp_path / "output" / "绩效目标汇总.xlsx")
    assert book.sheetnames == list(HEADERS)
    assert [c.value for c in book["处理清单"][1]] == HEADERS["处理清单"]


def test_streamed_and_in_memory_workbooks_hold_the_same_cells(tmp_path, config, monkeypatch):
    """Large batches are streamed row by row (constant memory), small ones kept in memory: same content."""
    import perfxl.target.report

    written = {}
    for mode, limit in (("memory", 10**12), ("stream", 0)):
        monkeypatch.setattr(perfxl.target.report, "STREAM_ABOVE_CELLS", limit)
        run(SAMPLES, tmp_path / mode, config)
        book = openpyxl.load_workbook(tmp_path / mode / "绩效目标汇总.xlsx")
        written[mode] = {sheet.title: [[(c.value, c.data_type, c.number_format) for c in row]
                                       for row in sheet.iter_rows()] for sheet in book}
    assert written["memory"] == written["stream"]
    assert len(written["memory"]["绩效指标"]) == 1 + sum(len(s["indicators"]) for s in SEED) + 8  # and 2026's 8


@pytest.mark.parametrize("stream", [False, True], ids=["memory", "stream"])
def test_every_sheet_prints_on_a4_legibly(tmp_path, config, monkeypatch, stream):
    import perfxl.target.report

    monkeypatch.setattr(perfxl.target.report, "STREAM_ABOVE_CELLS", 0 if stream else 10**12)
    run(SAMPLES, tmp_path, config)
    book = openpyxl.load_workbook(tmp_path / "绩效目标汇总.xlsx")
    fitted = {}
    for sheet in book:
        setup = sheet.page_setup
        # a <col> element covers neighbouring columns of one width (openpyxl keys it by its first letter)
        widths = [d.width for d in sheet.column_dimensions.values() for _ in range(d.min, d.max + 1)]
        width = sum(widths)
        assert setup.paperSize == 9, sheet.title
        assert setup.orientation == ("landscape" if width > 90 else "portrait"), sheet.title
        fitted[sheet.title] = bool(sheet.sheet_properties.pageSetUpPr and sheet.sheet_properties.pageSetUpPr.fitToPage)
        if fitted[sheet.title]:  # one page wide only where that prints at 60 % or more
            assert 130 / width >= 0.6, sheet.title
            assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0), sheet.title  # absent: 1, as OOXML says
        else:  # across pages at 100 %, 文件 (to 项目名称 when they take at most half a page) on every page
            name_col = [c.value for c in sheet[1]].index("项目名称") + 1
            last = openpyxl.utils.get_column_letter(name_col if sum(widths[:name_col]) <= 65 else 1)
            repeated = f"$A:${last}"
            assert 130 / width < 0.6 and sheet.print_title_cols == repeated, sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert (sheet.oddFooter.left.text, sheet.oddFooter.right.text) == ("&A", "第 &P 页 共 &N 页")
    assert fitted == {"项目汇总": False, "绩效指标": True, "预算明细": True, "项目说明": False, "校验结果": True,
                      "处理清单": True}


def test_long_texts_wrap_in_columns_of_sensible_width(tmp_path, config):
    run(SAMPLES, tmp_path, config)
    book = openpyxl.load_workbook(tmp_path / "绩效目标汇总.xlsx")
    findings = book["校验结果"]
    headers = [c.value for c in findings[1]]
    message = headers.index("说明") + 1
    letter = openpyxl.utils.get_column_letter(message)
    assert findings.column_dimensions[letter].width <= 31
    long_cells = [row[message - 1] for row in findings.iter_rows(min_row=2) if len(row[message - 1].value or "") > 40]
    assert long_cells and all(c.alignment.wrap_text for c in long_cells)
    summary = book["项目汇总"]
    widths = [summary.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
              for i in range(summary.max_column)]
    assert max(widths) <= 31 and sum(widths) < 15 * len(widths)  # both layouts' columns, none wide


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _has_calc() -> bool:
    command = shutil.which("soffice")
    return bool(command) and (Path(command).resolve().parent / "libsclo.so").exists()


@pytest.mark.skipif(not (_has_calc() and shutil.which("pdftotext") and shutil.which("pdfinfo")),
                    reason="LibreOffice Calc (soffice) or poppler-utils (pdftotext, pdfinfo) not installed: apt-get "
                           "install libreoffice-calc-nogui poppler-utils (.ci/run does this)")
def test_libreoffice_prints_the_project_summary_landscape_across_pages_at_full_scale(tmp_path, config):
    from perfxl.io.forms import convert_to_pdf

    run(SAMPLES, tmp_path, config)
    (pdf,) = convert_to_pdf([tmp_path / "绩效目标汇总.xlsx"])
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    width, height = map(float, re.search(r"Page\s+1 size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height and round(width) == 842  # A4 landscape, in points
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    summary = [re.sub(r"\s+", "", page) for page in pages if "项目汇总" in page]
    # 31 columns do not fit one page at a legible scale: they print across pages at 100 %, and every
    # page repeats the header row and the 文件/项目名称 columns
    assert len(summary) > 1, len(summary)
    assert all("文件" in page and all(_squash(p) in page for p in ["上海科技网站群运维", "上海科技音像资料库运行"])
               for page in summary)
    assert "状态" in "".join(summary) and "目标表" in "".join(summary)  # the first and the last columns print
    assert re.search(r"第1页共\d+页$", summary[0])


@pytest.mark.skipif(not (_has_calc() and shutil.which("pdftotext")),
                    reason="LibreOffice Calc (soffice) or poppler-utils (pdftotext) not installed: apt-get "
                           "install libreoffice-calc-nogui poppler-utils (.ci/run does this)")
def test_libreoffice_prints_every_wrapped_text_whole(tmp_path, config):
    """Rows of wrapped text are as high as their text: the printed PDF holds every cell's whole text (before
    the heights, 47 texts of the samples were cut to their first line)."""
    from perfxl.io.forms import convert_to_pdf

    run(SAMPLES, tmp_path, config)
    (pdf,) = convert_to_pdf([tmp_path / "绩效目标汇总.xlsx"])
    printed = _squash(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                     check=True).stdout)
    book = openpyxl.load_workbook(tmp_path / "绩效目标汇总.xlsx")
    texts = [value for name in ("绩效指标", "预算明细", "项目说明", "校验结果")
             for row in book[name].iter_rows(min_row=2, values_only=True) for value in row
             if isinstance(value, str) and len(value) > 20]
    assert len(texts) > 60
    assert [text for text in texts if _squash(text) not in printed] == []


@pytest.mark.parametrize("stream", [False, True], ids=["memory", "stream"])
def test_every_value_sits_at_the_top_of_its_row(tmp_path, config, monkeypatch, stream):
    """A row as high as its longest text: a short text or a number at the bottom would print a line
    apart from the rest of its row (版式 and 年度 did)."""
    import perfxl.target.report

    monkeypatch.setattr(perfxl.target.report, "STREAM_ABOVE_CELLS", 0 if stream else 10**12)
    run(SAMPLES, tmp_path, config)
    book = openpyxl.load_workbook(tmp_path / "绩效目标汇总.xlsx")
    low = [f"{sheet.title}!{cell.coordinate}" for sheet in book
           for row in sheet.iter_rows(min_row=2) for cell in row
           if cell.value is not None and not str(cell.value).startswith("合计") and cell.alignment.vertical != "top"
           and not (sheet.title == "项目汇总" and cell.row == sheet.max_row)]  # the 合计 row
    assert low == []
    assert book["项目汇总"]["B2"].value == "上海2020"  # a short text column, among the checked
