"""Layouts (版式): the 上海2026 rules, the published 2026 sample, recognition, mixed batches, a third
layout defined in test data only, and layout configuration."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import CLEAN_FIELDS_2026, CLEAN_INDICATORS_2026, ROOT, SAMPLE_2026, SAMPLES, flatten, read_sheet
from rule_cases import cell, dates, drop, target
from test_forms import NEEDS_SOFFICE, _merges, _squash
from test_parallel import _forms, _sheets

from perfxl.cli.main import cli
from perfxl.core.config import load_config, shipped_layout
from perfxl.core.model import REPORT_NAME
from perfxl.io.form_template import FUNDS_ROWS_2026, INFO_PAIRS_2026
from perfxl.io.forms import FORMS_DIR, convert_to_pdf
from perfxl.target.pipeline import run, validate
from perfxl.target.reader import read_project
from perfxl.target.template import fill_template

INFO, BUDGET, INDICATORS = "项目信息", "预算", "绩效指标"
# Rows of the clean 2026 project's indicators: CLEAN_INDICATORS_2026[i] sits on row i + 2.
COST, QUANTITY, QUALITY, TIMELINESS, BENEFIT, SATISFACTION = range(6)
D = dt.date
# The sample's text fields the form shows (the optional ones go into the consolidated workbook only).
TEXT_LABELS_2026 = ("项目名称", "项目性质", "项目类别", "主管部门", "实施单位", "计划开始日期", "计划完成日期",
                    "项目总体目标", "年度总体目标")


def annual(total: int, appropriation: int) -> dict:
    """年度资金申请总额 `total`, of which 当年财政拨款 `appropriation` (上年结转 and 其他 as in the clean project)."""
    return {"年度资金申请总额（元）": total, "其中：当年财政拨款（元）": appropriation}


# (id, rule, fields, edit, budget lines, the rule's findings as (rule, sheet, cell)) on a 上海2026 workbook
FIRES_2026 = [
    ("I05-after", "I05", {"年度": 2027}, None, (), [("I05", INFO, "B2")]),
    ("I05-before", "I05", dates(D(2026, 3, 1), D(2027, 6, 30), **{"年度": 2025}), None, (), [("I05", INFO, "B2")]),
    ("B10", "B10", {"其中：其他资金（元）": 300000}, None, (), [("B10", BUDGET, "B2")]),
    ("B10-empty-part", "B10", {"其中：其他资金（元）": None}, None, (), [("B10", BUDGET, "B2")]),
    ("B11", "B11", {"其中：上年结转资金（元）": 400000}, None, (), [("B11", BUDGET, "B5")]),
    ("B12", "B12", annual(2500000, 2000000), None, (), [("B12", BUDGET, "B5")]),
    ("B13", "B13", annual(1500000, 1000000), target(COST, "≤150万元"), (), [("B13", BUDGET, "B5")]),
    ("T14", "T14", {}, drop(COST), (), [("T14", INDICATORS, "")]),
    ("T15", "T15", {}, target(COST, "合理"), (), [("T15", INDICATORS, "D2")]),
    ("T15-controlled", "T15", {}, target(COST, "可控"), (), [("T15", INDICATORS, "D2")]),
    ("T16", "T16", {}, target(COST, "≥200万元"), (), [("T16", INDICATORS, "D2")]),
    ("T16-greater", "T16", {}, target(COST, "> 150万元"), (), [("T16", INDICATORS, "D2")]),
    ("T17", "T17", {}, target(QUALITY, "≥120%"), (), [("T17", INDICATORS, "D4")]),
    ("T17-published", "T17", {}, target(QUALITY, "=120.00(%)"), (), [("T17", INDICATORS, "D4")]),
    ("T18", "T18", {}, drop(SATISFACTION), (), [("T18", INDICATORS, "")]),
]

# (id, rule, fields, edit, budget lines): the rule must not fire on a 上海2026 workbook.
NEAR_MISSES_2026 = [
    ("I05-last-year-of-plan", "I05", dates(D(2024, 1, 1), D(2026, 12, 31)), None, ()),
    ("I05-first-year-of-plan", "I05", dates(D(2026, 7, 1), D(2028, 6, 30)), None, ()),
    ("I05-reversed-plan", "I05", dates(D(2026, 12, 31), D(2026, 1, 1), **{"年度": 2027}), None, ()),
    ("B10", "B10", {"其中：财政资金（元）": 2000000, "其中：其他资金（元）": None}, None, ()),
    ("B10-rounding", "B10", {"其中：其他资金（元）": 200000.004}, None, ()),
    ("B11", "B11", {"其中：当年财政拨款（元）": 2000000, "其中：上年结转资金（元）": None,
                    "其中：年度其他资金（元）": None}, None, ()),
    ("B12", "B12", dates(D(2025, 1, 1), D(2026, 12, 31), **annual(1500000, 1000000)), target(COST, "≤150万元"), ()),
    ("B13", "B13", dates(D(2025, 7, 1), D(2026, 6, 30), **annual(1500000, 1000000)), target(COST, "≤150万元"), ()),
    ("T14", "T14", {}, cell(COST, 1, "社会成本指标"), ()),
    ("T14-short-level1", "T14", {}, cell(COST, 0, "成本"), ()),
    ("T15", "T15", {}, target(COST, "≤5%"), ()),
    ("T16", "T16", {}, target(COST, "<200万元"), ()),
    ("T17", "T17", {}, target(QUALITY, "=100.00(%)"), ()),
    ("T17-not-a-percentage", "T17", {}, target(QUANTITY, "≥120万平方米"), ()),
    ("T18", "T18", {}, cell(SATISFACTION, 0, "满意度"), ()),
]


# The cases above run in test_rules.py beside the 上海2020 ones (test_rule_fires_at_the_cell_to_fix,
# test_rule_does_not_fire_on_a_near_miss), which also checks that every rule has a case.


def test_clean_2026_project_has_no_findings(check_2026, make_workbook_2026, tmp_path, config):
    assert check_2026() == []
    (project,) = validate(tmp_path / "input", config).projects
    assert (project.layout, project.unit, project.annual_funds) == ("上海2026", CLEAN_FIELDS_2026["实施单位"], 2000000)


def test_2020_only_rules_do_not_apply_to_a_2026_project(check_2026):
    # A 阶段性项目 over three years, with 年度资金 below 项目资金 and no 上年 figures: I02, B03, B06 in 2020.
    fields = dates(D(2024, 1, 1), D(2026, 12, 31), **annual(1500000, 1000000), **{"项目性质": "阶段性项目"})
    assert check_2026(fields, target(COST, "≤150万元")) == []


@pytest.mark.parametrize("rule, fields, edit, words", [
    ("I05", {"年度": 2027}, None, ["2027", "(2026 年-2026 年)"]),
    ("B10", {"其中：其他资金（元）": 300000}, None, ["2,000,000", "财政资金 1,800,000", "其他资金 300,000"]),
    ("B12", annual(2500000, 2000000), None, ["年度资金申请总额", "2,500,000", "项目资金总额", "2,000,000"]),
    ("T15", {}, target(COST, "合理"), ["道路保洁总成本", "合理", "≤349.8万元"]),
    ("T16", {}, target(COST, "≥200万元"), ["道路保洁总成本", "≥"]),
    ("T17", {}, target(QUALITY, "≥120%"), ["道路保洁达标率", "≥120%", "100"]),
    ("T14", {}, drop(COST), ["成本指标"]),
    ("T18", {}, drop(SATISFACTION), ["满意度指标"]),
])
def test_2026_message_names_the_offending_value(check_2026, rule, fields, edit, words):
    (found,) = [f for f in check_2026(fields, edit) if f.rule == rule]
    text = found.message + found.hint
    assert all(word in text for word in words), text


# The published 2026 sample (layout-sh2026.md) ---------------------------------------------------

SAMPLE_FILE = SAMPLE_2026["file"]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The published sample alone (the samples folder mixes years, hence X02): (batch, its form)."""
    folder = tmp_path_factory.mktemp("sample")
    (folder / "input").mkdir()
    shutil.copy(SAMPLES / SAMPLE_FILE, folder / "input" / SAMPLE_FILE)
    batch = run(folder / "input", folder / "output", load_config(ROOT / "perfxl" / "defaults.toml"),
                templates=ROOT / "templates")
    return batch, folder / "output" / batch.forms[SAMPLE_FILE]


def _yuan(text: str) -> str:
    return f"{float(text):,.2f}"


def _cell_texts(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_sample_passes_with_the_expected_findings(sample_run):
    batch, _ = sample_run
    assert [(f.severity, f.rule, f.sheet, f.cell) for f in batch.findings] == [("警告", "T15", INDICATORS, "D2")]
    assert "成本控制合理性" in batch.findings[0].message
    (project,) = batch.projects
    assert (project.layout, project.project_funds, project.annual_funds) == ("上海2026", 10308000, 3498000)


def test_sample_form_shows_every_field_and_amount(sample_run):
    _, form = sample_run
    document = docx.Document(form)
    fields = SAMPLE_2026["fields"]
    assert [p.text for p in document.paragraphs[:2]] == ["财政项目支出绩效目标申报表", "（2026年度）"]
    header, funds, goals = document.tables[:3]
    values = {"project_name": fields["项目名称"], "nature": fields["项目性质"], "category": fields["项目类别"],
              "department": fields["主管部门"], "unit": fields["实施单位"],
              "start_date": fields["计划开始日期"], "end_date": fields["计划完成日期"]}
    rows = _cell_texts(header)
    assert rows[0][:2] == ["项目名称：", values["project_name"]]
    assert rows[1:] == [[f"{a}：", values[x], f"{b}：", values[y]] for a, x, b, y in INFO_PAIRS_2026]
    amounts = {spec.name: _yuan(fields[spec.label]) for spec in shipped_layout("上海2026").fields_on(BUDGET)}
    assert amounts["project_funds"] == "10,308,000.00" and amounts["carryover"] == "0.00"
    assert _cell_texts(funds)[2:] == [[f"{a}：" if a else "", amounts.get(x, ""), f"{b}：", amounts[y]]
                                      for a, x, b, y in FUNDS_ROWS_2026]
    span_cell, annual_cell = goals.rows[1].cells
    assert [p.text for p in span_cell.paragraphs] == ["项目总体目标", "(2024 年-2026 年)"]
    assert annual_cell.text == "年度总体目标"
    overall, annual_goal = goals.rows[2].cells
    assert [p.text for p in overall.paragraphs] == fields["项目总体目标"].split("\n")
    assert [p.text for p in annual_goal.paragraphs] == fields["年度总体目标"].split("\n")


def _filled_down(rows: list[list[str]]) -> list[tuple[str, ...]]:
    level1 = ""
    filled = []
    for row in rows:
        level1 = row[0] or level1
        filled.append((level1, *row[1:]))
    return filled


def test_sample_form_shows_every_indicator_with_level1_merged(sample_run):
    _, form = sample_run
    table = docx.Document(form).tables[3]
    rows = [tuple(c.text for c in row.cells) for row in table.rows]
    assert rows[0] == ("一级指标", "二级指标", "三级指标", "年度(/项目)指标值")  # as the published form heads it
    assert rows[1:] == _filled_down(SAMPLE_2026["indicators"])
    assert [_merges(row._tr) for row in table.rows[1:]] == [
        ["", ""], ["restart", ""], ["continue", ""], ["continue", ""],
        ["restart", ""], ["continue", ""], ["continue", ""], ["", ""]]


def test_2026_form_merges_level2_runs_within_level1(make_workbook_2026, tmp_path, config):
    rows = [*CLEAN_INDICATORS_2026[:2], ["", "数量指标", "保洁车辆", "≥40辆"], *CLEAN_INDICATORS_2026[2:]]
    make_workbook_2026(indicators=rows)
    batch = run(tmp_path / "input", tmp_path / "output", config, templates=ROOT / "templates")
    table = docx.Document(tmp_path / "output" / batch.forms["项目.xlsx"]).tables[3]
    assert [_merges(row._tr) for row in table.rows[1:4]] == [["", ""], ["restart", "restart"], ["continue", "continue"]]
    assert [c.text for c in table.rows[3].cells] == ["产出指标", "数量指标", "保洁车辆", "≥40辆"]


@NEEDS_SOFFICE
def test_sample_form_renders_in_libreoffice(sample_run, tmp_path):
    _, form = sample_run
    (pdf,) = convert_to_pdf([Path(shutil.copy(form, tmp_path / "sample.docx"))])
    # -raw: text in the order it was drawn, so a table cell's lines stay together
    text = _squash(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout)
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                              check=True).stdout).group(1))
    fields = SAMPLE_2026["fields"]
    expected = ["财政项目支出绩效目标申报表", "（2026年度）", "(2024年-2026年)", "项目资金（元）", "10,308,000.00",
                "3,498,000.00", "0.00", f"第{pages}页共{pages}页"]
    expected += [v for label, v in fields.items() if label in TEXT_LABELS_2026 for v in v.split("\n")]
    expected += [cell for row in SAMPLE_2026["indicators"] for cell in row if cell]
    missing = [word for word in expected if _squash(word) not in text]
    assert missing == [], text


# Recognising a workbook's layout ------------------------------------------------------------------


def _without_layout_row(book) -> None:
    sheet = book[INFO]
    (row,) = [c.row for c in sheet["A"] if c.value == "版式"]
    sheet.delete_rows(row)


def _relabel(sheet: str, labels: dict[str, str]):
    """An edit that rewrites column-A labels of `sheet` (the template's label, with or without `*`)."""
    def edit(book):
        for c in book[sheet]["A"]:
            label = str(c.value or "").lstrip("*")
            if label in labels:
                c.value = labels[label]
    return edit


@pytest.mark.parametrize("layout", ["上海2026", "上海2020"])
def test_workbook_without_the_layout_row_is_recognised_by_its_labels(make_workbook, tmp_path, config, layout):
    make_workbook(edit=_without_layout_row, layout=layout)
    batch = validate(tmp_path / "input", config)
    assert [p.layout for p in batch.projects] == [layout]
    assert batch.findings == []


def test_unknown_layout_mark_falls_back_to_the_labels(make_workbook_2026, tmp_path, config):
    make_workbook_2026(edit=lambda book: setattr(book[INFO].cell(book[INFO].max_row, 2), "value", "上海2030"))
    batch = validate(tmp_path / "input", config)
    assert [p.layout for p in batch.projects] == ["上海2026"] and batch.findings == []


def test_workbook_of_no_known_layout_is_s02_naming_the_layouts_tried(tmp_path, config):
    book = openpyxl.Workbook()
    book.active.title = INFO
    for label, value in (("编号", "A-1"), ("名称", "某项目"), ("负责人", "张三")):
        book[INFO].append([label, value])
    book.create_sheet(BUDGET).append(["金额", 100])
    book.create_sheet(INDICATORS).append(["指标", "目标"])
    (tmp_path / "input").mkdir()
    book.save(tmp_path / "input" / "other.xlsx")
    batch = validate(tmp_path / "input", config)
    assert flatten(batch.findings) == [("S02", INFO, "")]
    assert "上海2020" in batch.findings[0].message and "上海2026" in batch.findings[0].message
    assert batch.projects == [] and [e.status for e in batch.ledger] == ["失败"]


def test_short_level2_names_read_as_full_names(check_2026, tmp_path, config):
    found = check_2026(edit=lambda rows: (cell(QUANTITY, 1, "数量")(rows), cell(BENEFIT, 1, "社会效益")(rows)))
    assert flatten(found) == [("S07", INDICATORS, "B3"), ("S07", INDICATORS, "B6")]
    assert "数量指标" in found[0].message + found[0].hint
    (project,) = validate(tmp_path / "input", config).projects
    assert [i.level2 for i in project.indicators][1:5] == ["数量指标", "质量指标", "时效指标", "社会效益指标"]


@pytest.mark.parametrize("labels", [
    {"项目资金总额（元）": "项目资金总额", "其中：财政资金（元）": "财政资金", "其中：其他资金（元）": "其中：其他资金",
     "年度资金申请总额（元）": "年度资金申请总额（元）：", "其中：当年财政拨款（元）": "当年财政拨款（元）",
     "其中：上年结转资金（元）": "其中:上年结转资金", "其中：年度其他资金（元）": "年度其他资金 （元）"},
    {"其中：财政资金（元）": "财政资金（元）", "其中：其他资金（元）": "其他资金（元）",
     "其中：年度其他资金（元）": "其中：年度其他资金"},
], ids=["without-yuan", "without-qizhong"])
def test_budget_labels_with_or_without_qizhong_and_yuan(make_workbook_2026, tmp_path, config, labels):
    make_workbook_2026(edit=_relabel(BUDGET, labels))
    batch = validate(tmp_path / "input", config)
    assert batch.findings == []
    (project,) = batch.projects
    assert [project.get(spec.name) for spec in shipped_layout("上海2026").fields_on(BUDGET)] == [
        CLEAN_FIELDS_2026[spec.label] for spec in shipped_layout("上海2026").fields_on(BUDGET)]


@pytest.mark.parametrize("header", [
    ("一级指标", "二级指标", "三级指标", "年度(/项目)指标值"),
    ("一级指标", "二级指标", "三级指标", "年度指标值"),
    ("一级目标", "二级目标", "三级目标", "指标目标值"),
], ids=["year-or-project", "annual", "2020-headers"])
def test_indicator_headers_accepted_in_a_2026_workbook(make_workbook_2026, tmp_path, config, header):
    def rename(book):
        for c, text in zip(book[INDICATORS][1], header, strict=False):
            c.value = text

    make_workbook_2026(edit=rename)
    batch = validate(tmp_path / "input", config)
    assert batch.findings == []
    assert [(i.level1, i.level2, i.level3, i.written) for i in batch.projects[0].indicators] == [
        tuple(row) for row in _filled_down(CLEAN_INDICATORS_2026)]


# A batch mixing both layouts -----------------------------------------------------------------------


@pytest.fixture
def mixed_input(make_workbook, make_workbook_2026, tmp_path):
    make_workbook("旧版.xlsx")
    make_workbook_2026("新版.xlsx")
    return tmp_path / "input"


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_mixed_batch_gives_both_forms_and_one_consolidated_workbook(mixed_input, tmp_path):
    output = _invoke("run", str(mixed_input), str(tmp_path / "out"), "--jobs", "1")
    forms = sorted((tmp_path / "out" / FORMS_DIR).glob("*.docx"))
    assert {f.name: docx.Document(f).paragraphs[0].text for f in forms} == {
        "2021_科技文献数据库运维.docx": "财政项目支出绩效目标表", "2026_市容道路保洁.docx": "财政项目支出绩效目标申报表"}
    rows = {row["文件"]: row for row in read_sheet(tmp_path / "out" / REPORT_NAME, "项目汇总")}
    old, new = rows["旧版.xlsx"], rows["新版.xlsx"]
    assert (old["版式"], new["版式"]) == ("上海2020", "上海2026")
    assert (old["项目总预算（元）"], old["上年预算执行率"], new["项目资金总额（元）"], new["年度资金申请总额（元）"]) == (
        1000000, pytest.approx(940000 / 950000), 2000000, 2000000)
    only_2020 = ["项目总预算（元）", "项目当年预算（元）", "上年预算执行率", "较上年增减", "是否含有政府购买服务"]
    only_2026 = ["项目资金总额（元）", "其中：上年结转资金（元）", "项目性质", "主管部门"]
    assert [new[c] for c in only_2020] == [None] * len(only_2020)  # empty cells, not 0
    assert [old[c] for c in only_2026] == [None] * len(only_2026)
    levels = {(r["文件"], r["一级目标／一级指标"]) for r in read_sheet(tmp_path / "out" / REPORT_NAME, "绩效指标")}
    assert ("旧版.xlsx", "投入与管理") in levels and ("新版.xlsx", "成本指标") in levels
    assert "X02" in output  # two 年度 in one batch: a warning, not an error


def test_mixed_batch_check_and_jobs_give_the_same_results(mixed_input, tmp_path):
    serial = _invoke("run", str(mixed_input), str(tmp_path / "serial"), "--jobs", "1")
    parallel = _invoke("run", str(mixed_input), str(tmp_path / "parallel"), "--jobs", "2")
    checked = _invoke("check", str(mixed_input), "--jobs", "2")
    findings = serial.split("\n文件 ")[0]
    assert "新版.xlsx" in findings or "旧版.xlsx" in findings
    assert parallel.split("\n文件 ")[0] == findings == checked.split("\n文件 ")[0]
    assert _sheets(tmp_path / "serial" / REPORT_NAME) == _sheets(tmp_path / "parallel" / REPORT_NAME)
    serial_forms = _forms(tmp_path / "serial")
    assert len(serial_forms) == 2 and serial_forms == _forms(tmp_path / "parallel")


# A third layout, defined in test data only --------------------------------------------------------

THIRD = "示例省2027"
THIRD_FIELDS = {
    "预算年度": 2027, "项目全称": "基层卫生人员培训", "填报单位": "示例市卫生健康委员会", "支出类别": "项目支出",
    "开始日期": D(2027, 1, 1), "结束日期": D(2027, 12, 31), "联系人": "李四 0571-12345678",
    "绩效目标概述": "全年培训基层卫生人员2000人次。", "项目总金额（元）": 800000, "本年申请金额（元）": 500000,
}
THIRD_INDICATORS = [
    ["成本", "经济成本", "培训总成本", "≤50万元", "全年培训支出上限"],
    ["产出", "数量", "培训人次", "≥2000人次", "全年参训人数合计"],
    ["", "质量", "考核合格率", "≥95%", "考核合格人数 / 参训人数"],
    ["效益", "社会效益", "持证上岗率", "提高", "与上年相比"],
    ["", "满意度", "学员满意度", "≥88%", "结业问卷调查；本版式的满意度下限为 85%"],
]


def _third_template(path: Path) -> None:
    """A Word template of the third layout, as its authors would make it in Word: docxtpl placeholders."""
    document = docx.Document()
    for text in ("{{ title }}", "（{{ year }}年度）", "项目全称：{{ project_name }}", "填报单位：{{ unit }}",
                 "联系人：{{ contact }}", "计划期：{{ span }}",
                 "项目总金额（元）：{{ total_amount }}；本年申请金额（元）：{{ annual_amount }}"):
        document.add_paragraph(text)
    table = document.add_table(rows=4, cols=5)
    for c, text in zip(table.rows[0].cells, ("一级", "二级", "三级", "目标值", "指标解释"), strict=True):
        c.text = text
    table.rows[1].cells[0].text = "{%tr for row in indicators %}"
    for c, name in zip(table.rows[2].cells, ("level1", "level2", "level3", "target", "explanation"), strict=True):
        c.text = f"{{{{ row.{name} }}}}"
    table.rows[3].cells[0].text = "{%tr endfor %}"
    document.save(path)


@pytest.fixture
def third_unit(tmp_path, request):
    """A unit's folder: perfxl.toml naming the third layout's file, that file, its Word template (beside
    it, or in the unit's templates/ when the parameter says so) and input/ with one workbook of the layout."""
    unit = tmp_path / "unit"
    shutil.copytree(ROOT / "tests/data/layout_third", unit / "版式")
    (unit / "perfxl.toml").write_text('[layouts]\nfiles = ["版式/third.toml"]\n', encoding="utf-8")
    config = load_config(unit / "perfxl.toml")
    where = unit / getattr(request, "param", "版式")
    where.mkdir(exist_ok=True)
    _third_template(where / config.layout(THIRD).form_template)
    (unit / "input").mkdir()
    fill_template(config, THIRD_FIELDS, THIRD_INDICATORS, layout=THIRD).save(unit / "input" / "培训.xlsx")
    return unit


@pytest.mark.parametrize("third_unit", ["版式", "templates"], indirect=True)
def test_third_layout_runs_through_the_whole_pipeline(third_unit):
    output = _invoke("run", str(third_unit / "input"), str(third_unit / "out"), "--config",
                     str(third_unit / "perfxl.toml"))
    assert "错误 0，警告 0，提示 0" in output  # 学员满意度 ≥88% passes the layout's own floor of 85%
    (form,) = (third_unit / "out" / FORMS_DIR).glob("*.docx")
    document = docx.Document(form)
    assert [p.text for p in document.paragraphs[:7]] == [
        "项目支出绩效目标表（示例省）", "（2027年度）", "项目全称：基层卫生人员培训", "填报单位：示例市卫生健康委员会",
        "联系人：李四 0571-12345678", "计划期：(2027 年-2027 年)",
        "项目总金额（元）：800,000.00；本年申请金额（元）：500,000.00"]
    rows = [tuple(c.text for c in row.cells) for row in document.tables[0].rows]
    assert rows == [("一级", "二级", "三级", "目标值", "指标解释"), *_filled_down(THIRD_INDICATORS)]
    assert [_merges(row._tr) for row in document.tables[0].rows[1:]] == [
        ["", ""], ["restart", ""], ["continue", ""], ["restart", ""], ["continue", ""]]
    summary = read_sheet(third_unit / "out" / REPORT_NAME, "项目汇总")[0]
    assert (summary["版式"], summary["项目全称"], summary["联系人"], summary["项目总金额（元）"]) == (
        THIRD, "基层卫生人员培训", "李四 0571-12345678", 800000)


def test_third_layout_is_recognised_by_its_labels_and_checked_by_its_rules(third_unit):
    book = openpyxl.load_workbook(third_unit / "input" / "培训.xlsx")
    _without_layout_row(book)
    book["绩效指标"]["D6"] = "≥80%"  # 学员满意度 below the layout's floor of 85%
    book.save(third_unit / "input" / "培训.xlsx")
    batch = validate(third_unit / "input", load_config(third_unit / "perfxl.toml"))
    assert [p.layout for p in batch.projects] == [THIRD]
    assert flatten(batch.findings) == [("T08", INDICATORS, "D6")]
    assert "85" in batch.findings[0].message + batch.findings[0].hint


def test_third_layout_without_its_word_template_says_where_to_put_it(third_unit):
    (third_unit / "版式" / "目标表（示例省2027）.docx").unlink()
    result = CliRunner().invoke(cli, ["run", str(third_unit / "input"), str(third_unit / "out"), "--config",
                                      str(third_unit / "perfxl.toml")])
    assert result.exit_code == 2
    assert "目标表（示例省2027）.docx" in result.output and "third.toml" in result.output


# Layout configuration and commands ------------------------------------------------------------------


def test_layout_threshold_override_changes_t08_for_that_layout_only(make_workbook, make_workbook_2026, tmp_path,
                                                                      clean_project):
    fields, rows_2020 = clean_project
    rows_2020[8][3] = "≥92%"  # 用户满意度
    make_workbook("旧版.xlsx", fields, rows_2020)
    make_workbook_2026("新版.xlsx", indicators=[*CLEAN_INDICATORS_2026[:5], ["满意度指标", "服务对象满意度指标",
                                                                            "市民满意度", "≥92%"]])
    toml = tmp_path / "perfxl.toml"
    toml.write_text('[layout."上海2026".thresholds]\nsatisfaction_floor = 95\n', encoding="utf-8")
    overridden = load_config(toml)
    assert (overridden.layout("上海2026").thresholds.satisfaction_floor,
            overridden.layout("上海2020").thresholds.satisfaction_floor) == (95, 90)
    found = [(f.file, f.rule, f.cell) for f in validate(tmp_path / "input", overridden).findings if f.rule == "T08"]
    assert found == [("新版.xlsx", "T08", "D7")]
    assert [f for f in validate(tmp_path / "input", load_config(None)).findings if f.rule == "T08"] == []


def _edit(old: str, new: str):
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)
    return edit


@pytest.mark.parametrize("edit, words", [
    (_edit('name = "示例省2027"', 'colour = "红"\nname = "示例省2027"'), ["「colour」", "third.toml"]),
    (_edit('satisfaction_floor = 85', 'satisfaction_flor = 85'), ["「thresholds.satisfaction_flor」", "third.toml"]),
    (_edit('years = [2027, 2030]', 'years = "2027"'), ["「years」", "third.toml"]),
    (_edit('satisfaction_floor = 85', 'satisfaction_floor = "高"'), ["「thresholds.satisfaction_floor」", "third.toml"]),
    (_edit('"T18", "X01"', '"T18", "Z99", "X01"'), ["Z99", "third.toml"]),
    (_edit('name = "level1", header = "一级"', 'name = "first", header = "一级"'), ["columns", "level1", "third.toml"]),
], ids=["unknown-key", "unknown-nested-key", "wrong-type", "wrong-type-nested", "unknown-rule", "columns"])
def test_bad_layout_file_exits_2_naming_the_key_and_file(tmp_path, edit, words):
    text = (ROOT / "tests/data/layout_third/third.toml").read_text(encoding="utf-8")
    (tmp_path / "third.toml").write_text(edit(text), encoding="utf-8")
    (tmp_path / "perfxl.toml").write_text('[layouts]\nfiles = ["third.toml"]\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["layouts", "--config", str(tmp_path / "perfxl.toml")])
    assert result.exit_code == 2
    assert all(word in result.output for word in words), result.output
    assert "Traceback" not in result.output and "`" not in result.output


@pytest.mark.parametrize("toml, words", [
    ('[layout."上海2026".thresholds]\nsatisfaction_flor = 95\n', ["「layout.上海2026.thresholds.satisfaction_flor」"]),
    ('[layout."上海2026"]\nyears = [2026]\n', ["layout.上海2026.years"]),
    ('[layout."上海2030".thresholds]\nsatisfaction_floor = 95\n', ["上海2030", "上海2020、上海2023、上海2026"]),
    ('[layouts]\nfiles = ["无.toml"]\n', ["无.toml"]),
], ids=["unknown-key", "wrong-type", "unknown-layout", "missing-file"])
def test_bad_layout_override_exits_2_naming_the_key(tmp_path, toml, words):
    (tmp_path / "perfxl.toml").write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(cli, ["layouts", "--config", str(tmp_path / "perfxl.toml")])
    assert result.exit_code == 2
    assert all(word in result.output for word in words), result.output


def test_layouts_command_lists_each_layout_with_its_years():
    lines = _invoke("layouts").splitlines()
    assert [line.split("\t")[:2] for line in lines] == [["上海2020", "2018–2025 年"], ["上海2023", "2019–2024 年"],
                                                       ["上海2026（默认）", "2025–2099 年"]]


@pytest.mark.parametrize("args, layout", [([], "上海2026"), (["--layout", "上海2020"], "上海2020")],
                         ids=["default", "2020"])
def test_template_command_writes_the_layouts_workbook(tmp_path, args, layout):
    assert layout in _invoke("template", *args, str(tmp_path / "x.xlsx"))
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    chosen = shipped_layout(layout)
    labels = {str(c.value).lstrip("*"): c.offset(0, 1).value for c in book[INFO]["A"][1:]}
    assert list(labels) == [f.label for f in chosen.fields_on(INFO)] + ["版式"]
    assert labels["版式"] == layout
    assert [c.value.lstrip("*") for c in book[BUDGET]["A"][1:] if c.value][:-1] == [
        f.label for f in chosen.fields_on(BUDGET)]
    assert [c.value for c in book[INDICATORS][1]] == [c.header for c in chosen.columns]


def test_template_command_refuses_an_unknown_layout(tmp_path):
    result = CliRunner().invoke(cli, ["template", "--layout", "上海2030", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "上海2020、上海2023、上海2026" in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_label_keys_are_built_once_per_layout():
    """Reading asks every field, column and layout for its label keys for each workbook: they are built
    once and shared (immutable), not rebuilt per workbook (which cost a third of the reading time)."""
    layout = shipped_layout("上海2026")
    field, column = layout.field("annual_appropriation"), layout.columns[0]
    assert field.label_keys() is field.label_keys()
    assert {"其中:当年财政拨款(元)", "当年财政拨款"} <= field.label_keys()
    assert column.label_keys() is column.label_keys() and "一级目标" in column.label_keys()
    assert layout.recognition_keys() is layout.recognition_keys()
    assert {"年度资金申请总额", "成本指标"} <= layout.recognition_keys()
    with pytest.raises(AttributeError):
        field.label_keys().add("x")


TERMS_CASES = {
    "上海2020": ([["产出目标", "数量", "新增文献记录", "≥30000条"], ["", "质量", "数据库可用率", ""],
                 ["效益目标", "社会效益", "年检索量", "≥50万次"], ["效果目标", "满意度", "用户满意度", "≥95%"]],
                ["一级目标「效益目标」不在允许范围内", "「数据库可用率」的指标目标值为空", "产出目标缺少二级目标「时效」"],
                ["一级指标", "二级指标"]),
    "上海2026": ([["成本指标", "经济成本指标", "总成本", "≤200万元"], ["产出指标", "数量指标", "保洁面积", "≥120万平方米"],
                 ["", "质量指标", "达标率", ""], ["效果指标", "社会效益指标", "市容改善", "提升"],
                 ["效益指标", "社会效益指标", "环境改善", "提升"], ["满意度指标", "服务对象满意度指标", "满意度", "≥95%"]],
                ["一级指标「效果指标」不在允许范围内", "「达标率」的指标值为空", "产出指标缺少二级指标「时效指标」"],
                ["一级目标", "二级目标", "指标目标值", "产出目标"]),
}


@pytest.mark.parametrize("name", TERMS_CASES)
def test_rule_messages_speak_the_layouts_own_words(make_workbook, name):
    """T02, T04 and T06 name the table's parts as the layout's headers do (一级目标 in 2020, 一级指标 in 2026)."""
    indicators, said, unsaid = TERMS_CASES[name]
    path = make_workbook(indicators=indicators, layout=name)
    output = CliRunner().invoke(cli, ["check", str(path.parent)]).output
    assert all(text in output for text in said), output
    messages = [line for line in output.splitlines() if line.split()[1:2] and line.split()[1] in ("T02", "T04", "T06")]
    assert len(messages) == 3 and not any(word in line for line in messages for word in unsaid), messages


def test_the_2023_layout_has_its_blank_workbook_and_word_form_and_its_form_imports_back(tmp_path, config):
    """上海2023 is data only: the blank workbook and the Word form come from its layout file (the 上海2026
    body, with 项目总目标 and no plan period), and perfxl's own 2023 form imports back to the same project."""
    from published import DATA

    runner = CliRunner()
    assert runner.invoke(cli, ["template", "--layout", "上海2023", str(tmp_path / "blank.xlsx")]).exit_code == 0
    blank = openpyxl.load_workbook(tmp_path / "blank.xlsx")
    labels = [row[0].value for row in blank["项目信息"].iter_rows()]
    assert "*项目总目标" in labels and blank["项目信息"].cell(len(labels), 2).value == "上海2023"
    assert blank["填表说明"]["A1"].value.startswith("财政项目支出绩效目标填报表（上海2023 版式）")
    source = DATA / "就业援助基地补贴（上海2023）.xlsx"
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / source.name).write_bytes(source.read_bytes())
    assert runner.invoke(cli, ["run", str(tmp_path / "input"), str(tmp_path / "output")]).exit_code == 0
    [form] = (tmp_path / "output" / "目标表").glob("*.docx")
    text = "\n".join(p.text for p in docx.Document(str(form)).paragraphs)
    cells = [c.text for t in docx.Document(str(form)).tables for row in t.rows for c in row.cells]
    assert "财政项目支出绩效目标填报表" in text and "项目总目标" in cells and "(2023 年-2023 年)" not in "".join(cells)
    result = runner.invoke(cli, ["import", str(form), "--out", str(tmp_path / "back")])
    assert "已读取（上海2023）" in result.output and "未能读取" not in result.output, result.output
    [back] = (tmp_path / "back").glob("*.xlsx")
    mine, theirs = (read_project(p, "x", config).project for p in (back, source))
    # the form prints each target as read (`不低于80%` as `≥80%`): the same targets come back
    assert [(i.level3, i.target) for i in mine.indicators] == [(i.level3, i.target) for i in theirs.indicators]
    assert all(mine.get(spec.name) == theirs.get(spec.name) for spec in config.layout("上海2023").fields)


def _unmark(path) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book["项目信息"]
    [row] = [r for r in sheet.iter_rows() if r[0].value == "版式"]
    sheet.delete_rows(row[0].row)
    book.save(path)


@pytest.mark.parametrize("cost_row", [False, True], ids=["no cost indicator", "成本指标 under 产出指标"])
def test_an_unmarked_2023_workbook_is_not_taken_for_2026(tmp_path, cost_row):
    """Without the 版式 row the two grids match: the labels as 上海2023 prints them (项目总目标) tell it."""
    from published import DATA

    (tmp_path / "input").mkdir()
    path = tmp_path / "input" / "x.xlsx"
    path.write_bytes((DATA / "就业援助基地补贴（上海2023）.xlsx").read_bytes())
    if cost_row:
        book = openpyxl.load_workbook(path)
        book["绩效指标"].append(["产出指标", "成本指标", "补贴发放总成本", "≤635.1万元"])
        book.save(path)
    _unmark(path)
    (tmp_path / "input" / "y.xlsx").write_bytes((SAMPLES / SAMPLE_2026["file"]).read_bytes())
    _unmark(tmp_path / "input" / "y.xlsx")
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "input"), str(tmp_path / "output")])
    assert result.exit_code == 0, result.output
    summary = read_sheet(tmp_path / "output" / REPORT_NAME, "项目汇总")
    assert {row["项目名称"]: row["版式"] for row in summary if row["项目名称"]} == {
        "就业援助基地补贴": "上海2023", "拆违经费": "上海2026"}
    rules = {(row["文件"], row["规则"]) for row in read_sheet(tmp_path / "output" / REPORT_NAME, "校验结果")}
    assert {rule for file, rule in rules if file == "x.xlsx"} == {"S07", "T06", "T08", "X02"}


def test_the_committed_2023_word_template_is_the_one_the_code_writes():
    """`make template` writes templates/目标表（上海2023）.docx from the layout file and the 上海2026 body."""
    import zipfile

    from perfxl.io.form_template import template_parts

    layout = shipped_layout("上海2023")
    with zipfile.ZipFile(ROOT / "templates" / layout.form_template) as package:
        assert {name: package.read(name).decode("utf-8") for name in package.namelist()} == template_parts(layout)
    assert (ROOT / "templates" / layout.workbook_template).is_file()


def _grid(table) -> list[int]:
    return [int(col.get(docx.oxml.ns.qn("w:w"))) for col in table._tbl.tblGrid.iterchildren(docx.oxml.ns.qn("w:gridCol"))]


def test_the_2026_form_fits_its_longest_level2_name_and_prints_an_empty_part_as_0(make_workbook_2026, tmp_path,
                                                                                  config):
    fields = dict(CLEAN_FIELDS_2026, **{"其中：财政资金（元）": 2000000, "其中：其他资金（元）": None})
    make_workbook_2026("保洁.xlsx", fields=fields)
    batch = run(tmp_path / "input", tmp_path / "output", config)
    document = docx.Document(tmp_path / "output" / batch.forms["保洁.xlsx"])
    level2 = _grid(document.tables[-1])[1]
    assert level2 >= len("服务对象满意度指标") * 210 + 216  # 10.5-point wide characters and the cell margins
    assert sum(_grid(document.tables[-1])) == sum(_grid(docx.Document(
        ROOT / "templates" / "目标表.docx").tables[-1]))  # taken from the 三级 column: the table keeps its width
    cells = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    other = next(row[1] for row in cells if row[0] == "其他资金：")  # the 项目资金 block
    assert other == "0.00"  # as a 0 typed in the workbook prints, not an empty cell


def test_the_rows_of_a_level1_group_keep_together_across_a_page_break(make_workbook_2026, tmp_path, config):
    make_workbook_2026("保洁.xlsx")
    batch = run(tmp_path / "input", tmp_path / "output", config)
    table = docx.Document(tmp_path / "output" / batch.forms["保洁.xlsx"]).tables[-1]
    level1 = [row[0] for row in CLEAN_INDICATORS_2026]
    goes_on = [bool(level1[i + 1:i + 2]) and not level1[i + 1] for i in range(len(level1))]  # the next row is its own
    goes_on[-2] = True  # the last row is never alone on a page
    kept = [all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs) for row in table.rows[1:]]
    assert kept == goes_on and kept.count(False) > 1 and not kept[-1]
