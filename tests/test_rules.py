"""Each rule of the catalogue fires where its data is broken, at the cell to fix, and not on a near miss."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import CLEAN_FIELDS, ROOT, flatten
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_cases import cell, dates, drop, insert, target
from test_layouts import FIRES_2026, NEAR_MISSES_2026

from perfxl.core.catalogue import CATALOGUE
from perfxl.core.config import load_config
from perfxl.core.model import Indicator, Project
from perfxl.core.quantity import parse_target
from perfxl.target.checks import BATCH_CHECKS, PROJECT_CHECKS, check_batch, check_project
from perfxl.target.pipeline import validate

INFO, BUDGET, INDICATORS = "项目信息", "预算", "绩效指标"
# Rows of the clean project's indicators: CLEAN_INDICATORS[i] sits on row i + 2.
FUNDS, ASSETS, RULES_IN_PLACE, QUANTITY, QUALITY, TIMELINESS, SATISFACTION = 0, 3, 2, 4, 5, 6, 8


D = dt.date
COST_ROW = ["", "成本", "运维成本", ""]

# (id, rule, fields, edit, budget lines, the rule's findings as (rule, sheet, cell))
FIRES = [
    ("I01", "I01", dates(D(2021, 12, 31), D(2021, 1, 1)), None, (), [("I01", INFO, "B6")]),
    ("I02", "I02", dates(D(2021, 1, 1), D(2022, 3, 31)), None, (), [("I02", INFO, "B7")]),
    ("I02-start", "I02", dates(D(2020, 10, 1), D(2021, 6, 30)), None, (), [("I02", INFO, "B6")]),
    ("I03", "I03", {"项目类别": "经常性项目"}, None, (), [("I03", INFO, "B5")]),
    ("I04", "I04", {"是否含有政府购买服务": "不确定"}, None, (), [("I04", INFO, "B8")]),
    ("B01-field", "B01", {"同名项目上年预算执行数（元）": -100}, None, (), [("B01", BUDGET, "B5")]),
    ("B01-line", "B01", {}, None, [["设备", -5000, ""], ["服务", 1005000, ""]], [("B01", BUDGET, "B8")]),
    ("B02", "B02", {"项目当年预算（元）": 1200000}, None, (), [("B02", BUDGET, "B3")]),
    ("B03", "B03", {"项目当年预算（元）": 990000}, None, (), [("B03", BUDGET, "B3")]),
    ("B04", "B04", {"同名项目上年预算执行数（元）": 960000}, None, (), [("B04", BUDGET, "B5")]),
    ("B05", "B05", {"同名项目上年预算执行数（元）": None}, None, (), [("B05", BUDGET, "B5")]),
    ("B05-budget", "B05", {"同名项目上年预算额（元）": None}, None, (), [("B05", BUDGET, "B4")]),
    ("B06", "B06", {"项目类别": "经常性专项业务费", "同名项目上年预算额（元）": None,
                    "同名项目上年预算执行数（元）": None}, None, (), [("B06", BUDGET, "B4")]),
    ("B07-up", "B07", {"项目总预算（元）": 1500000, "项目当年预算（元）": 1500000}, None, (),
     [("B07", BUDGET, "B3")]),
    ("B07-down", "B07", {"项目总预算（元）": 400000, "项目当年预算（元）": 400000}, None, (),
     [("B07", BUDGET, "B3")]),
    ("B08", "B08", {"同名项目上年预算执行数（元）": 800000}, None, (), [("B08", BUDGET, "B5")]),
    ("B09", "B09", {}, None, [["设备", 600000, ""], ["服务", 300000, ""]], [("B09", BUDGET, "B3")]),
    ("T01", "T01", {}, drop(*range(10)), (), [("T01", INDICATORS, "")]),
    ("T02", "T02", {}, cell(QUANTITY, 0, "产出指标"), (), [("T02", INDICATORS, "A6")]),
    ("T03", "T03", {}, cell(QUALITY, 1, "质量指标"), (), [("T03", INDICATORS, "B7")]),
    ("T04-target", "T04", {}, target(QUALITY, ""), (), [("T04", INDICATORS, "D7")]),
    ("T04-name", "T04", {}, cell(QUALITY, 2, ""), (), [("T04", INDICATORS, "C7")]),
    ("T05", "T05", {}, drop(7, 8), (), [("T05", INDICATORS, "")]),
    ("T06", "T06", {}, drop(TIMELINESS), (), [("T06", INDICATORS, "")]),
    ("T07-value", "T07", {}, target(ASSETS, "健全"), (), [("T07", INDICATORS, "D5")]),
    ("T07-level2", "T07", {}, cell(RULES_IN_PLACE, 1, "资产管理"), (), [("T07", INDICATORS, "B4")]),
    ("T07-level1", "T07", {}, insert(7, ["", "质量", "资金到位率", "100%"]), (), [("T07", INDICATORS, "A9")]),
    ("T08-equals", "T08", {}, target(SATISFACTION, "=95%"), (), [("T08", INDICATORS, "D10")]),
    ("T08-low", "T08", {}, target(SATISFACTION, "≥85%"), (), [("T08", INDICATORS, "D10")]),
    ("T08-qualitative", "T08", {}, target(SATISFACTION, "用户普遍满意"), (), [("T08", INDICATORS, "D10")]),
    ("T09-bracket", "T09", {}, cell(QUANTITY, 2, "《上海科技统计数据手册》（一、"), (), [("T09", INDICATORS, "C6")]),
    ("T09-ending", "T09", {}, cell(QUANTITY, 2, "按时间节点完成项目目标的"), (), [("T09", INDICATORS, "C6")]),
    ("T09-unclosed", "T09", {}, cell(QUANTITY, 2, "《上海科技年鉴"), (), [("T09", INDICATORS, "C6")]),
    ("T10", "T10", {}, cell(TIMELINESS, 2, "数据库可用率"), (), [("T10", INDICATORS, "C8")]),
    ("T11", "T11", {}, target(QUANTITY, "≥30000"), (), [("T11", INDICATORS, "D6")]),
    ("T12-wan", "T12", {}, insert(7, COST_ROW[:3] + ["≤120万元"]), (), [("T12", INDICATORS, "D9")]),
    ("T12-yuan", "T12", {}, insert(7, COST_ROW[:3] + ["≤1,200,000元"]), (), [("T12", INDICATORS, "D9")]),
    ("T13-xx", "T13", {}, target(QUALITY, "≥XX%"), (), [("T13", INDICATORS, "D7")]),
    ("T13-pending", "T13", {}, target(QUALITY, "待定"), (), [("T13", INDICATORS, "D7")]),
    ("T13-slash", "T13", {}, target(QUALITY, "/"), (), [("T13", INDICATORS, "D7")]),
    ("T13-dash", "T13", {}, target(QUALITY, "——"), (), [("T13", INDICATORS, "D7")]),
    ("T17", "T17", {}, target(QUALITY, "≥120%"), (), [("T17", INDICATORS, "D7")]),
]

# (id, rule, fields, edit, budget lines): the rule must not fire.
NEAR_MISSES = [
    ("I01", "I01", dates(D(2021, 6, 1), D(2021, 6, 1)), None, ()),
    ("I02", "I02", {**dates(D(2021, 1, 1), D(2022, 3, 31)), "项目类别": "跨年度项目", "项目当年预算（元）": 600000},
     None, ()),
    ("I03", "I03", {"项目类别": "其他经常性项目"}, None, ()),
    ("I04", "I04", {"是否含有政府购买服务": "是"}, None, ()),
    ("B01", "B01", {"同名项目上年预算额（元）": 0, "同名项目上年预算执行数（元）": 0}, None, ()),
    ("B02", "B02", {"项目当年预算（元）": 1000000}, None, ()),
    ("B03", "B03", {**dates(D(2021, 1, 1), D(2022, 6, 30)), "项目类别": "跨年度项目", "项目当年预算（元）": 700000},
     None, ()),
    ("B04", "B04", {"同名项目上年预算执行数（元）": 950000}, None, ()),
    ("B05", "B05", {"同名项目上年预算额（元）": None, "同名项目上年预算执行数（元）": None}, None, ()),
    ("B06", "B06", {"项目类别": "经常性专项业务费"}, None, ()),
    ("B07", "B07", {"项目总预算（元）": 1400000, "项目当年预算（元）": 1400000}, None, ()),
    ("B08", "B08", {"同名项目上年预算执行数（元）": 860000}, None, ()),
    ("B09", "B09", {}, None, [["设备", 600000, ""], ["服务", 400000.004, ""]]),
    ("T01", "T01", {}, None, ()),
    ("T02", "T02", {}, cell(QUALITY, 0, "产出目标"), ()),
    ("T03", "T03", {}, cell(9, 1, "其他"), ()),
    ("T04", "T04", {}, target(QUALITY, "是"), ()),
    ("T05", "T05", {}, lambda rows: rows.__setitem__(slice(7, 9), [["效果目标", "满意度", "用户满意度", "≥95%"]]), ()),
    ("T06", "T06", {}, insert(4, ["产出目标", "时效", "首次上线", "≤3个月"]), ()),
    ("T07", "T07", {}, target(FUNDS, "=100%"), ()),
    ("T08", "T08", {}, target(SATISFACTION, ">=90%"), ()),
    ("T09", "T09", {}, cell(QUANTITY, 2, "《上海科技年鉴2020》（上、下册）"), ()),
    ("T09-quote", "T09", {}, cell(QUANTITY, 2, "“上海科技”网站访问量"), ()),
    ("T10", "T10", {}, cell(TIMELINESS, 2, "数据库可用率（灾备）"), ()),
    ("T11", "T11", {}, target(QUANTITY, "≥30000条"), ()),
    ("T12", "T12", {}, insert(7, COST_ROW[:3] + ["≤90万元"]), ()),
    ("T13", "T13", {}, target(QUANTITY, "≥2次/年"), ()),
    ("T17", "T17", {}, target(QUALITY, "=100%"), ()),
]


def _by_layout(cases_2020, cases_2026):
    """The cases of both layouts, each with its layout; ids prefixed with the layout's year."""
    cases = [(*c, "上海2020") for c in cases_2020] + [(*c, "上海2026") for c in cases_2026]
    return cases, [f"{c[-1][2:]}-{c[0]}" for c in cases]


ALL_FIRES, FIRES_IDS = _by_layout(FIRES, FIRES_2026)
ALL_NEAR_MISSES, NEAR_MISSES_IDS = _by_layout(NEAR_MISSES, NEAR_MISSES_2026)


@pytest.mark.parametrize("case, rule, fields, edit, lines, expected, layout", ALL_FIRES, ids=FIRES_IDS)
def test_rule_fires_at_the_cell_to_fix(check, case, rule, fields, edit, lines, expected, layout):
    found = flatten(check(fields, edit, lines, layout=layout))
    assert [f for f in found if f[0] == rule] == expected


@pytest.mark.parametrize("case, rule, fields, edit, lines, layout", ALL_NEAR_MISSES, ids=NEAR_MISSES_IDS)
def test_rule_does_not_fire_on_a_near_miss(check, case, rule, fields, edit, lines, layout):
    found = flatten(check(fields, edit, lines, layout=layout))
    assert rule not in {f[0] for f in found}, found


def test_clean_project_has_no_findings(check):
    assert check() == []


def test_every_project_and_batch_rule_has_a_case():
    covered = {case[1] for case in FIRES + FIRES_2026} | {"X01", "X02", "X03"}
    assert set(PROJECT_CHECKS) | set(BATCH_CHECKS) <= covered
    assert {case[1] for case in NEAR_MISSES + NEAR_MISSES_2026} >= set(PROJECT_CHECKS)


@pytest.mark.parametrize("fields, edit, rule, words", [
    ({"项目总预算（元）": 1500000, "项目当年预算（元）": 1500000}, None, "B07", ["增加 57.9%", "1,500,000", "950,000"]),
    ({}, target(ASSETS, "健全"), "T07", ["资产使用合规性", "健全", "合规"]),
    ({}, cell(RULES_IN_PLACE, 1, "资产管理"), "T07", ["资产管理", "实施管理"]),
    ({}, target(SATISFACTION, "=95%"), "T08", ["用户满意度", "=95%"]),
    ({}, cell(QUANTITY, 2, "手册（一、"), "T09", ["手册（一、", "（", "、"]),
    ({}, insert(7, COST_ROW[:3] + ["≤120万元"]), "T12", ["运维成本", "1,200,000", "1,000,000"]),
])
def test_message_names_the_offending_value(check, fields, edit, rule, words):
    (found,) = [f for f in check(fields, edit) if f.rule == rule]
    text = found.message + found.hint
    assert all(word in text for word in words), text
    assert found.project_name == CLEAN_FIELDS["项目名称"]


def test_t07_reports_place_and_value_separately(check):
    def misplaced_and_wrong(rows):
        rows[ASSETS][1] = "项目管理"
        rows[ASSETS][3] = "健全"

    assert flatten(check({}, misplaced_and_wrong)) == [("T07", INDICATORS, "B5"), ("T07", INDICATORS, "D5")]


def test_t10_points_at_the_repeat_and_names_the_first(check):
    (found,) = [f for f in check({}, cell(TIMELINESS, 2, "数据库可用率")) if f.rule == "T10"]
    assert "C7" in found.message


def test_t02_reports_a_merged_level1_once(check):
    # 产出目标 spans rows 6–8 as one merged cell: one finding at the cell where the name is written.
    assert [f for f in flatten(check({}, cell(QUANTITY, 0, "产出指标"))) if f[0] in ("T02", "T03")] == [
        ("T02", INDICATORS, "A6")]


# Batch rules ------------------------------------------------------------------------------------


def test_x01_same_project_in_two_workbooks(make_workbook, tmp_path, config):
    make_workbook("a.xlsx")
    make_workbook("sub/b.xlsx")
    found = [(f.rule, f.file, f.sheet, f.cell) for f in validate(tmp_path / "input", config).findings]
    assert found == [("X01", "a.xlsx", INFO, "B4"), ("X01", "sub/b.xlsx", INFO, "B4")]


def test_x01_near_miss_other_unit(make_workbook, tmp_path, config):
    make_workbook("a.xlsx")
    make_workbook("b.xlsx", {**CLEAN_FIELDS, "申报单位名称": "上海市科学技术委员会"})
    assert validate(tmp_path / "input", config).findings == []


def test_x02_names_both_groups_on_every_file(make_workbook, tmp_path, config):
    """The minority may be the right year: every file involved gets the finding, naming both groups."""
    make_workbook("a.xlsx")
    make_workbook("b.xlsx", {**CLEAN_FIELDS, "项目名称": "另一个项目"})
    make_workbook("old.xlsx", {**CLEAN_FIELDS, "年度": 2020, **dates(D(2020, 1, 1), D(2020, 12, 31))})
    findings = validate(tmp_path / "input", config).findings
    assert [(f.rule, f.file, f.sheet, f.cell) for f in findings] == [
        ("X02", name, INFO, "B2") for name in ("a.xlsx", "b.xlsx", "old.xlsx")]
    assert all("2020 年度 1 个（old.xlsx）、2021 年度 2 个（a.xlsx、b.xlsx）" in f.message for f in findings)


def test_x02_near_miss_one_year(make_workbook, tmp_path, config):
    make_workbook("a.xlsx")
    make_workbook("b.xlsx", {**CLEAN_FIELDS, "项目名称": "另一个项目"})
    assert validate(tmp_path / "input", config).findings == []


KEY = (CLEAN_FIELDS["申报单位名称"], CLEAN_FIELDS["项目名称"])


@pytest.mark.parametrize("previous, expected", [
    ({KEY: 900000.0}, [("X03", BUDGET, "B4")]),
    ({KEY: 950000.0}, []),
    ({("其他单位", KEY[1]): 900000.0}, []),
    ({}, []),
], ids=["differs", "same", "other-unit", "no-previous"])
def test_x03_prior_budget_against_last_year(check, previous, expected):
    assert flatten(check(previous=previous)) == expected


def test_x03_prior_budget_missing_but_known_last_year(check):
    found = check({"同名项目上年预算额（元）": None, "同名项目上年预算执行数（元）": None}, previous={KEY: 900000.0})
    (x03,) = [f for f in found if f.rule == "X03"]
    assert x03.cell == "B4"
    assert "（未填写）" in x03.message and "900,000" in x03.message


# No content crashes a rule ----------------------------------------------------------------------

texts = st.text(alphabet=st.sampled_from("投入与管理产出目标数量满意度成本《》（）“”、的 =≥><%万元0123456789.,X*/"),
                max_size=12)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(texts, texts, texts, texts), max_size=6),
       amounts=st.lists(st.one_of(st.none(), st.floats(-1e9, 1e9)), min_size=4, max_size=4))
def test_any_indicator_text_and_amount_gives_findings_not_crashes(rows, amounts):
    config = load_config(ROOT / "perfxl" / "defaults.toml")
    project = Project(file="p.xlsx", year=2021, project_name="p", category="经常性专项业务费",
                      start_date=D(2021, 1, 1), end_date=D(2021, 12, 31),
                      indicator_columns={"level1": "A", "level2": "B", "level3": "C", "target": "D"})
    project.total_budget, project.annual_budget, project.prior_budget, project.prior_spent = amounts
    for row, (level1, level2, level3, written) in enumerate(rows, start=2):
        target = parse_target(written)
        project.indicators.append(Indicator(row, level1, level2, level3, written.strip(), target.text,
                                            target.operator, target.value, target.unit_of_measure))
    findings = check_project(project, config) + check_batch([project, project], config, {})
    assert all(f.rule in CATALOGUE and f.message for f in findings)
    assert all(re.fullmatch(r"([A-D]\d+)?", f.cell) for f in findings if f.sheet == INDICATORS)
