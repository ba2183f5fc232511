"""Shared fixtures: workbooks built in code from a clean project, and helpers to read outputs back."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from perfxl.config import load_config
from perfxl.paths import EXAMPLES_DIR
from perfxl.pipeline import validate
from perfxl.template import fill_template

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
    """make_workbook(name, fields=None, indicators=None, budget_lines=(), edit=None) -> path.

    Builds a standard workbook in tmp_path/input; `fields` and `indicators` default to the clean
    project; `edit(book)` may change the openpyxl workbook before it is saved.
    """
    folder = tmp_path / "input"
    folder.mkdir(exist_ok=True)

    def make(name="项目.xlsx", fields=None, indicators=None, budget_lines=(), edit=None):
        fields = copy.deepcopy(CLEAN_FIELDS) if fields is None else fields
        indicators = copy.deepcopy(CLEAN_INDICATORS) if indicators is None else indicators
        book = fill_template(config, fields, indicators, list(budget_lines))
        if edit is not None:
            edit(book)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return path

    return make


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
    """check(fields=None, edit=None, budget_lines=(), previous=None) -> findings of one project.

    `fields` overrides labels of the clean project; `edit(rows)` changes its indicator rows in place.
    """

    def run_check(fields=None, edit=None, budget_lines=(), previous=None):
        values, rows = copy.deepcopy(CLEAN_FIELDS), copy.deepcopy(CLEAN_INDICATORS)
        values.update(fields or {})
        if edit is not None:
            edit(rows)
        make_workbook("项目.xlsx", values, rows, budget_lines)
        return validate(tmp_path / "input", config, previous).findings

    return run_check


def is_form_link(cell) -> bool:
    """The one hyperlink the consolidated workbook may hold: 项目汇总's 目标表 column, to a form file."""
    header = cell.parent.cell(1, cell.column).value
    return (cell.parent.title == "项目汇总" and header == "目标表" and cell.hyperlink is not None
            and cell.hyperlink.target.startswith("目标表/") and cell.hyperlink.target.endswith(".docx"))
