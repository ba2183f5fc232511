"""Shared fixtures: workbooks built in code from a clean project, and helpers to read outputs back."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from pathlib import Path

import openpyxl
import pytest

from perfxl.core.config import load_config
from perfxl.core.paths import EXAMPLES_DIR
from perfxl.target.pipeline import validate
from perfxl.target.template import fill_template

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / EXAMPLES_DIR  # the six 2020 seed projects as workbooks
SEED = json.loads((ROOT / "tests/data/seed_projects.json").read_text(encoding="utf-8"))
SAMPLE_2026 = json.loads((ROOT / "tests/data/sample_sh2026.json").read_text(encoding="utf-8"))

CLEAN_FIELDS = {
    "年度": 2021,
    "申报单位名称": "上海市科技信息中心",
    "项目名称": "科技文献数据库运维",
    "项目类别": "其他一次性项目",
    "计划开始日期": dt.date(2021, 1, 1),
    "计划完成日期": dt.date(2021, 12, 31),
    "是否含有政府购买服务": "否",
    "绩效类型": "其他类",
    "项目概况": "维护科技文献数据库，保障全年稳定运行。",
    "立项依据": "信息化项目",
    "项目设立的必要性": "文献数据库是科研人员日常检索的基础设施。",
    "保证项目实施的制度、措施": "《上海市科技信息中心项目管理办法》",
    "项目实施计划": "第一季度签订合同；第二至第四季度运维。",
    "总目标及阶段性目标": "全年数据库可用率不低于99%。",
    "项目总预算（元）": 1000000,
    "项目当年预算（元）": 1000000,
    "同名项目上年预算额（元）": 950000,
    "同名项目上年预算执行数（元）": 940000,
}
CLEAN_INDICATORS = [
    ["投入与管理", "投入管理", "资金到位率", "100%"],
    ["", "财务管理", "资金使用规范性", "合规"],
    ["", "实施管理", "管理制度健全性", "健全"],
    ["", "资产管理", "资产使用合规性", "合规"],
    ["产出目标", "数量", "新增文献记录", "≥30000条"],
    ["", "质量", "数据库可用率", "≥99%"],
    ["", "时效", "故障响应时间", "≤24小时"],
    ["效果目标", "社会效益", "年检索量", "≥50万次"],
    ["", "满意度", "用户满意度", "≥95%"],
    ["影响力目标", "信息共享", "共享单位数", "≥20个"],
]
# A 上海2026 project that breaks no rule: one calendar year, so 年度资金申请总额 = 项目资金总额 (B13).
CLEAN_FIELDS_2026 = {
    "年度": 2026,
    "项目名称": "市容道路保洁",
    "项目性质": "经常性项目",
    "项目类别": "特定目标类",
    "主管部门": "上海市普陀区绿化和市容管理局",
    "实施单位": "上海市普陀区市容环境卫生管理所",
    "计划开始日期": dt.date(2026, 1, 1),
    "计划完成日期": dt.date(2026, 12, 31),
    "项目总体目标": "1.全区主要道路保洁全覆盖。\n2.道路保洁质量稳定达标。",
    "年度总体目标": "完成全年道路保洁任务，保洁达标率不低于95%。",
    "项目资金总额（元）": 2000000,
    "其中：财政资金（元）": 1800000,
    "其中：其他资金（元）": 200000,
    "年度资金申请总额（元）": 2000000,
    "其中：当年财政拨款（元）": 1500000,
    "其中：上年结转资金（元）": 300000,
    "其中：年度其他资金（元）": 200000,
}
CLEAN_INDICATORS_2026 = [
    ["成本指标", "经济成本指标", "道路保洁总成本", "≤200万元"],
    ["产出指标", "数量指标", "保洁道路面积", "≥120万平方米"],
    ["", "质量指标", "道路保洁达标率", "≥95%"],
    ["", "时效指标", "问题处置及时率", "=100%"],
    ["效益指标", "社会效益指标", "市容环境改善", "提升"],
    ["满意度指标", "服务对象满意度指标", "市民满意度", "≥90%"],
]
CLEAN = {"上海2020": (CLEAN_FIELDS, CLEAN_INDICATORS), "上海2026": (CLEAN_FIELDS_2026, CLEAN_INDICATORS_2026)}


OTHER_UNIT = "上海市某区教育局"


def other_unit_project(name: str, **changes) -> dict:
    """The clean project's fields as project `name` of another unit (OTHER_UNIT) in 2026."""
    fields = copy.deepcopy(CLEAN_FIELDS)
    fields.update({"年度": 2026, "申报单位名称": OTHER_UNIT, "项目名称": name,
                   "计划开始日期": dt.date(2026, 1, 1), "计划完成日期": dt.date(2026, 12, 31)})
    fields.update(changes)
    return fields


@pytest.fixture
def config():
    return load_config(ROOT / "perfxl" / "defaults.toml")


@pytest.fixture
def clean_project():
    """Field values and indicator rows of a project that breaks no rule (deep copies: edit freely)."""
    return copy.deepcopy(CLEAN_FIELDS), copy.deepcopy(CLEAN_INDICATORS)


@pytest.fixture
def make_workbook(tmp_path, config):
    """make_workbook(name, fields=None, indicators=None, budget_lines=(), edit=None, layout="上海2020") -> path.

    Builds a standard workbook of `layout` in tmp_path/input; `fields` and `indicators` default to the
    layout's clean project; `edit(book)` may change the openpyxl workbook before it is saved.
    """
    folder = tmp_path / "input"
    folder.mkdir(exist_ok=True)

    def make(name="项目.xlsx", fields=None, indicators=None, budget_lines=(), edit=None, layout="上海2020"):
        clean_fields, clean_indicators = CLEAN[layout]
        fields = copy.deepcopy(clean_fields) if fields is None else fields
        indicators = copy.deepcopy(clean_indicators) if indicators is None else indicators
        book = fill_template(config, fields, indicators, list(budget_lines), layout=layout)
        if edit is not None:
            edit(book)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return path

    return make


@pytest.fixture
def make_workbook_2026(make_workbook):
    """make_workbook for the 上海2026 layout and its clean project."""
    return functools.partial(make_workbook, layout="上海2026")


def read_sheet(path: Path, sheet: str) -> list[dict]:
    """The rows of `sheet` in an output workbook as dicts keyed by the header row."""
    book = openpyxl.load_workbook(path)
    rows = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def flatten(findings) -> list[tuple[str, str, str]]:
    """Findings as (rule, sheet, cell) triples, in the batch's order."""
    return [(f.rule, f.sheet, f.cell) for f in findings]


@pytest.fixture
def check(make_workbook, tmp_path, config):
    """check(fields=None, edit=None, budget_lines=(), previous=None, layout="上海2020") -> findings of one project.

    `fields` overrides labels of the layout's clean project; `edit(rows)` changes its indicator rows in place.
    """

    def run_check(fields=None, edit=None, budget_lines=(), previous=None, layout="上海2020"):
        values, rows = (copy.deepcopy(part) for part in CLEAN[layout])
        values.update(fields or {})
        if edit is not None:
            edit(rows)
        make_workbook("项目.xlsx", values, rows, budget_lines, layout=layout)
        return validate(tmp_path / "input", config, previous).findings

    return run_check


@pytest.fixture
def check_2026(check):
    """check for the 上海2026 layout and its clean project."""
    return functools.partial(check, layout="上海2026")


def is_form_link(cell) -> bool:
    """The one hyperlink the consolidated workbook may hold: 项目汇总's 目标表 column, to a form file."""
    header = cell.parent.cell(1, cell.column).value
    return (cell.parent.title == "项目汇总" and header == "目标表" and cell.hyperlink is not None
            and cell.hyperlink.target.startswith("目标表/") and cell.hyperlink.target.endswith(".docx"))
