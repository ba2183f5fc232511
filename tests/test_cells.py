"""The shared cell reader (perfxl/io/cells.py) on target workbooks: number formats, 1904 dates, hidden rows
and columns; and the target rules that read quantities through the grammar (T08, T10, T12, T13, T17)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from click.testing import CliRunner
from conftest import read_sheet

from perfxl.cli.main import cli
from perfxl.target.reader import read_project

SATISFACTION_ROW = 10  # 用户满意度 (≥95%) on the 绩效指标 sheet of the clean project


def _read(path, config):
    return read_project(path, path.name, config)


def test_an_amount_in_a_wan_formatted_cell_is_read_in_wan(make_workbook, config):
    """1030.8 in a `#,##0.00"万元"` cell shows as 1,030.80万元: 10,308,000 yuan, and B02 sees it."""
    def edit(book):
        sheet = book["预算"]
        cell = sheet["B3"]  # *项目当年预算（元）
        cell.value, cell.number_format = 1030.8, '#,##0.00"万元"'

    read = _read(make_workbook(edit=edit), config)
    assert read.project.annual_budget == D(10308000)
    assert any(f.rule == "S07" and "万元" in f.message for f in read.findings)


@pytest.mark.parametrize(("number_format", "number", "written"), [
    ("0.0%", 0.995, "99.5%"), ('0"%"', 95, "95%"), ('0.00"万元"', 91.43, "91.43万元"),
])
def test_a_target_number_reads_as_its_format_shows_it(make_workbook, config, number_format, number, written):
    def edit(book):
        cell = book["绩效指标"][f"D{SATISFACTION_ROW}"]
        cell.value, cell.number_format = number, number_format

    assert _read(make_workbook(edit=edit), config).project.indicators[8].written == written


def test_dates_of_a_1904_workbook(make_workbook, config):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    def edit(book):
        book.epoch = CALENDAR_MAC_1904

    project = _read(make_workbook(edit=edit), config).project
    assert (project.start_date, project.end_date) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31))


def test_a_hidden_indicator_row_is_s07_and_not_read(make_workbook, config):
    def edit(book):
        book["绩效指标"].row_dimensions[SATISFACTION_ROW].hidden = True

    read = _read(make_workbook(edit=edit), config)
    assert "用户满意度" not in [i.level3 for i in read.project.indicators]
    assert ("S07", f"A{SATISFACTION_ROW}") in [(f.rule, f.cell) for f in read.findings]


def test_a_hidden_target_column_before_the_visible_one_is_not_read(make_workbook, config):
    """A hidden 指标目标值 column D (old values) before the visible one E: E is the table's."""
    def edit(book):
        sheet = book["绩效指标"]
        sheet.insert_cols(4)
        sheet["D1"] = "指标目标值"
        for r in range(2, sheet.max_row + 1):
            if sheet.cell(r, 3).value:
                sheet.cell(r, 4).value = "≥1%"
        sheet.column_dimensions["D"].hidden = True

    read = _read(make_workbook(edit=edit), config)
    assert [i.written for i in read.project.indicators][4:6] == ["≥30000条", "≥99%"]
    assert read.project.indicator_columns["target"] == "E"
    assert ("S07", "D1") in [(f.rule, f.cell) for f in read.findings]


def _run(tmp_path, make_workbook, indicators=None, layout="上海2020", fields=None):
    make_workbook("项目.xlsx", fields=fields, indicators=indicators, layout=layout)
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "input"), str(tmp_path / "output")])
    assert "Traceback" not in result.output
    return [(f["规则"], f["单元格"]) for f in read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "校验结果")]


def _with_target(row: int, target: str, name: str | None = None):
    from conftest import CLEAN_INDICATORS

    rows = [list(r) for r in CLEAN_INDICATORS]
    rows[row][3] = target
    if name is not None:
        rows[row][2] = name
    return rows


@pytest.mark.parametrize("target", ["至少95%", "满意度≥95%", "≥95%以上", "95%以上（含）", "≥95%。", "≥95％", "不低于95％"])
def test_t08_reads_every_spelling_of_at_least_95_percent(tmp_path, make_workbook, target):
    assert "T08" not in {rule for rule, _ in _run(tmp_path, make_workbook, _with_target(8, target))}


@pytest.mark.parametrize("target", ["≥120％", "≥1200‰"])
def test_t17_sees_a_full_width_or_permille_percentage(tmp_path, make_workbook, target):
    assert ("T17", f"D{SATISFACTION_ROW}") in _run(tmp_path, make_workbook, _with_target(8, target))


@pytest.mark.parametrize("target", ["≥××册", "××人次", "≥ＸＸ%", "≥xx个", "＊＊次", "某"])
def test_t13_knows_placeholders_in_any_width(tmp_path, make_workbook, target):
    assert ("T13", "D6") in _run(tmp_path, make_workbook, _with_target(4, target))


def test_t10_sees_a_name_repeated_with_other_brackets(tmp_path, make_workbook):
    rows = _with_target(4, "≥30000条", "新增文献记录（一）")
    rows[5][2] = "新增文献记录(一)"
    assert ("T10", "C7") in _run(tmp_path, make_workbook, rows)


def test_a_range_is_s04_not_a_misreading(tmp_path, make_workbook):
    assert ("S04", "D6") in _run(tmp_path, make_workbook, _with_target(4, "30000-40000条"))


def test_scientific_notation_is_a_number(tmp_path, make_workbook):
    found = _run(tmp_path, make_workbook, _with_target(4, "≥3e4条"))
    rows = read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "绩效指标")
    assert (rows[4]["数值"], rows[4]["单位"]) == (30000, "条")
    assert "T11" not in {rule for rule, _ in found}


def test_only_formats_that_change_a_number_make_the_reader_read_formats():
    from perfxl.io.numfmt import has_meaningful_formats

    excel = (b'<styleSheet><numFmts><numFmt numFmtId="176" formatCode="_ \\&#165;* #,##0.00_ ;_ \\&#165;* '
             b'\\-#,##0.00_ ;_ \\&#165;* &quot;-&quot;??_ ;_ @_ "/></numFmts>'
             b'<cellStyleXfs><xf numFmtId="9"/></cellStyleXfs><cellXfs><xf numFmtId="0"/><xf numFmtId="4"/>'
             b'</cellXfs></styleSheet>')  # a currency format and the 百分比 style every Excel workbook defines
    assert not has_meaningful_formats(excel)
    assert has_meaningful_formats(excel.replace(b'<xf numFmtId="4"/>', b'<xf numFmtId="9"/>'))
    wan = '<numFmt numFmtId="177" formatCode="#,##0.00&quot;万元&quot;"/></numFmts>'.encode()
    assert has_meaningful_formats(excel.replace(b"</numFmts>", wan))


def test_an_amount_in_a_currency_formatted_cell_is_yuan(make_workbook, config):
    def edit(book):
        cell = book["预算"]["B3"]
        cell.value, cell.number_format = 1000000, '"¥"#,##0.00'

    read = _read(make_workbook(edit=edit), config)
    assert read.project.annual_budget == D(1000000) and read.findings == []


def test_a_date_serial_of_a_1904_workbook_counts_from_1904(make_workbook, config):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    def edit(book):
        book.epoch = CALENDAR_MAC_1904
        sheet = book["项目信息"]
        cell = next(row[1] for row in sheet.iter_rows() if str(row[0].value).strip("*") == "计划开始日期")
        cell.value, cell.number_format = 42735, "General"  # 2021-01-01 in the 1904 system (44197 in 1900's)

    assert _read(make_workbook(edit=edit), config).project.start_date == dt.date(2021, 1, 1)
