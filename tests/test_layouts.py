"""Layouts (版式): the 上海2026 rules, the published 2026 sample, recognition, mixed batches, a third
layout defined in test data only, and layout configuration."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import CLEAN_FIELDS_2026
from rule_cases import cell, dates, drop, target

from perfxl.pipeline import validate

INFO, BUDGET, INDICATORS = "项目信息", "预算", "绩效指标"
# Rows of the clean 2026 project's indicators: CLEAN_INDICATORS_2026[i] sits on row i + 2.
COST, QUANTITY, QUALITY, TIMELINESS, BENEFIT, SATISFACTION = range(6)
D = dt.date


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
