"""perfxl import of 上海2026 forms: perfxl's own Word form and a differently arranged (WPS-like, re-typed)
one built here with python-docx import back to the same project; a document mixing layouts; --year."""

from __future__ import annotations

import copy
import datetime as dt
import re

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SAMPLE_2026, SAMPLES, SEED
from test_import import official_form

from perfxl.cli.main import cli
from perfxl.convert.importer import import_document
from perfxl.core.config import shipped_layout
from perfxl.io.form_template import document_xml
from perfxl.target.pipeline import run
from perfxl.target.reader import read_project
from perfxl.target.template import fill_template

LAYOUT = shipped_layout("上海2026")
# The fields perfxl's Word form shows (its placeholders); the optional narratives are not on the form.
ON_FORM = [spec.name for spec in LAYOUT.fields if f"{{{{ {spec.name} }}}}" in document_xml(LAYOUT)]
SAMPLE_FILE = SAMPLES / SAMPLE_2026["file"]
# Funds in both blocks, with fen: tells the two 其他资金 rows apart.
FUNDS = {"项目资金总额（元）": "10308000.50", "其中：财政资金（元）": "10000000", "其中：其他资金（元）": "308000.50",
         "年度资金申请总额（元）": "3498000", "其中：当年财政拨款（元）": "3000000",
         "其中：上年结转资金（元）": "400000", "其中：年度其他资金（元）": "98000"}


def _project(path, config) -> dict:
    project = read_project(path, "x.xlsx", config).project
    return {"fields": {name: project.get(name) for name in ON_FORM},
            "indicators": [(i.level1, i.level2, i.level3, i.target, i.operator, i.value, i.unit_of_measure)
                           for i in project.indicators]}


def _workbook(tmp_path, config, fields: dict, name: str = "项目.xlsx"):
    folder = tmp_path / "input"
    folder.mkdir(exist_ok=True)
    book = fill_template(config, fields, copy.deepcopy(SAMPLE_2026["indicators"]), layout="上海2026")
    book.save(folder / name)
    return folder / name


def wps_form(document, fields: dict, indicators: list[list[str]]) -> None:
    """A 2026 form as WPS or a re-typist lays it out: 2-column label/value tables, the funds blocks one
    under the other, 项目总目标 with its span beside its text, amounts without .00 (or with separators),
    一级/二级 repeated on every row, short 二级 names, the header 年度(/项目)指标值."""
    def amount(label):
        value = float(fields[label])
        return f"{value:,.2f}".removesuffix(".00") if "财政" in label else f"{value:.0f}" if value.is_integer() else str(value)

    document.add_paragraph("财政项目支出绩效目标申报表")
    document.add_paragraph(f"（{fields['年度']}年度）")
    info = document.add_table(rows=0, cols=2)
    for label in ("项目名称", "项目性质", "项目类别", "主管部门", "实施单位", "计划开始日期", "计划完成日期"):
        cells = info.add_row().cells
        cells[0].text = label
        cells[1].text = fields[label].replace("-", "/") if label == "计划完成日期" else fields[label]
    funds = document.add_table(rows=0, cols=2)
    for block, labels in (("项目资金", list(FUNDS)[:3]), ("年度资金", list(FUNDS)[3:])):
        row = funds.add_row().cells
        row[0].merge(row[1]).text = block
        for label in labels:
            cells = funds.add_row().cells
            cells[0].text = re.sub("（元）|^其中：(?=其他|上年)", "", label).replace("年度其他", "其他")
            cells[1].text = amount(label)
    goals = document.add_table(rows=0, cols=2)
    start, end = fields["计划开始日期"][:4], fields["计划完成日期"][:4]
    for label, text in ((f"项目总目标\n({start} 年-{end} 年)", fields["项目总体目标"]), ("年度总体目标", fields["年度总体目标"])):
        cells = goals.add_row().cells
        cells[0].text = label
        first, *more = text.split("\n")
        cells[1].text = first
        for line in more:
            cells[1].add_paragraph(line)
    table = document.add_table(rows=1, cols=4)
    for cell, header in zip(table.rows[0].cells, ("一级指标", "二级指标", "三级指标", "年度(/项目)指标值"), strict=True):
        cell.text = header
    level1 = ""
    for own1, level2, level3, target in indicators:
        level1 = own1 or level1
        cells = table.add_row().cells
        for cell, text in zip(cells, (level1, level2.removesuffix("指标"), level3, target), strict=True):
            cell.text = text


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _own_form(tmp_path, config, workbook):
    batch = run(workbook.parent, tmp_path / "output", config)
    return tmp_path / "output" / batch.forms[workbook.name]


def test_perfxl_own_form_of_the_published_sample_imports_back(tmp_path, out, config):
    (tmp_path / "input").mkdir()
    workbook = tmp_path / "input" / SAMPLE_FILE.name
    workbook.write_bytes(SAMPLE_FILE.read_bytes())
    [form] = import_document(_own_form(tmp_path, config, workbook), out, config).forms
    assert (form.layout.name, form.missing, form.notes) == ("上海2026", [], [])
    assert _project(form.output, config) == _project(SAMPLE_FILE, config)
    assert [f.rule for f in read_project(form.output, "x.xlsx", config).findings if f.severity == "错误"] == []


def test_round_trip_2026_workbook_to_word_and_back(tmp_path, out, config):
    """Funds in both blocks (the two 其他资金 told apart by their block), fen, multi-line goals."""
    workbook = _workbook(tmp_path, config, dict(SAMPLE_2026["fields"], **FUNDS))
    [form] = import_document(_own_form(tmp_path, config, workbook), out, config).forms
    assert form.missing == []
    imported = _project(form.output, config)
    assert imported == _project(workbook, config)
    assert (imported["fields"]["project_other_funds"], imported["fields"]["annual_other_funds"]) == (308000.5, 98000)


@pytest.mark.parametrize("funds", [{}, FUNDS], ids=["published", "other funds in both blocks"])
def test_a_wps_like_form_imports_to_the_same_project(tmp_path, out, config, funds):
    fields = dict(SAMPLE_2026["fields"], **funds)
    document = docx.Document()
    wps_form(document, fields, SAMPLE_2026["indicators"])
    document.save(tmp_path / "wps.docx")
    [form] = import_document(tmp_path / "wps.docx", out, config).forms
    assert (form.layout.name, form.missing) == ("上海2026", [])
    assert _project(form.output, config) == _project(_workbook(tmp_path, config, fields), config)


def test_a_document_mixing_layouts_gives_a_workbook_of_each(tmp_path, out, config):
    document = docx.Document()
    seed = SEED[0]
    official_form(document, seed["info"], seed["budget"], seed["indicators"])
    wps_form(document, SAMPLE_2026["fields"], SAMPLE_2026["indicators"])
    document.save(tmp_path / "both.docx")
    forms = import_document(tmp_path / "both.docx", out, config).forms
    assert [(f.layout.name, f.project_name, f.missing) for f in forms] == [
        ("上海2020", seed["info"]["项目名称"], []), ("上海2026", "拆违经费", [])]
    assert [read_project(f.output, "x.xlsx", config).project.layout for f in forms] == ["上海2020", "上海2026"]


def test_year_rolls_a_2026_form_forward(tmp_path, out, config):
    document = docx.Document()
    wps_form(document, SAMPLE_2026["fields"], SAMPLE_2026["indicators"])
    document.save(tmp_path / "wps.docx")
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "wps.docx"), "--out", str(out), "--year", "2027"])
    assert result.exit_code == 0, result.output
    assert "已滚动到 2027 年度" in result.output and "年度资金申请总额" in result.output
    [path] = out.glob("*.xlsx")
    project = read_project(path, "x.xlsx", config).project
    assert (project.year, project.start_date, project.end_date) == (2027, dt.date(2025, 1, 1), dt.date(2027, 12, 31))
    assert project.get("project_funds") == 10308000
    cleared = LAYOUT.roll.clear
    assert [project.get(name) for name in cleared] == [None] * len(cleared)
    sheet = openpyxl.load_workbook(path)["预算"]
    for name in cleared:
        cell = sheet[project.cells[name]]
        assert cell.value is None and "新年度的资金" in cell.comment.text
