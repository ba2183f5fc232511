"""Equal amounts are equal in every rule: the drift cases of issue 21 (two-decimal 万元 against yuan), through
the real CLI for each amount rule, and random two-decimal 万元 values (hypothesis) that give no false finding."""

from __future__ import annotations

import copy
import random
from decimal import Decimal as D

import pytest
from click.testing import CliRunner
from conftest import CLEAN_FIELDS, CLEAN_FIELDS_2026, CLEAN_INDICATORS, CLEAN_INDICATORS_2026, read_sheet
from hypothesis import given, settings
from hypothesis import strategies as st

from perfxl.cli.main import cli
from perfxl.core.quantity import parse_target
from perfxl.target.checks import check_project
from perfxl.target.reader import read_project
from perfxl.target.template import fill_template

AMOUNT_RULES = {"B02", "B03", "B09", "B10", "B11", "B12", "B13", "T12"}


def _run(tmp_path, workbooks) -> list[dict]:
    """`perfxl run` on the workbooks {name: (layout, fields, indicators, budget lines)}; 校验结果 read back."""
    from conftest import ROOT

    from perfxl.core.config import load_config

    config = load_config(ROOT / "perfxl" / "defaults.toml")
    folder = tmp_path / "input"
    folder.mkdir(exist_ok=True)
    for name, (layout, fields, indicators, lines) in workbooks.items():
        fill_template(config, fields, indicators, lines, layout=layout).save(folder / name)
    result = CliRunner().invoke(cli, ["run", str(folder), str(tmp_path / "output")])
    assert "Traceback" not in result.output, result.output
    return read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "校验结果")


def _2020(**fields):
    return ("上海2020", {**copy.deepcopy(CLEAN_FIELDS), **fields}, copy.deepcopy(CLEAN_INDICATORS), [])


def _2026(cost="≤200万元", lines=(), **fields):
    indicators = copy.deepcopy(CLEAN_INDICATORS_2026)
    indicators[0][3] = cost
    return ("上海2026", {**copy.deepcopy(CLEAN_FIELDS_2026), **fields}, indicators, list(lines))


def _funds_2026(total: str, annual: float) -> dict:
    """2026 fields whose 项目资金总额 is written in 万元 and the other amounts in yuan, all equal."""
    return {"项目资金总额（元）": total, "其中：财政资金（元）": annual, "其中：其他资金（元）": 0,
            "年度资金申请总额（元）": annual, "其中：当年财政拨款（元）": annual, "其中：上年结转资金（元）": 0,
            "其中：年度其他资金（元）": 0}


DRIFT_CASES = {
    # 2020: 项目总预算 in 万元, 当年预算 the same in yuan (B02, B03); the budget lines in 万元 (B09)
    "b02_b03.xlsx": _2020(**{"项目总预算（元）": "8.12万元", "项目当年预算（元）": 81200,
                             "同名项目上年预算额（元）": 81200, "同名项目上年预算执行数（元）": 81200}),
    "b09.xlsx": ("上海2020", {**CLEAN_FIELDS, "项目总预算（元）": 4274200, "项目当年预算（元）": 4274200,
                              "同名项目上年预算额（元）": "427.42万元", "同名项目上年预算执行数（元）": 4274200},
                 copy.deepcopy(CLEAN_INDICATORS), [["开发", "20.01万元", None], ["运维", "407.41万元", None]]),
    # 2026: 项目资金总额 in 万元 (B10, B12, B13); its parts in 万元 (B11); cost targets in 万元 (T12)
    "b10_b12_b13.xlsx": _2026(cost="≤8.12万元", **_funds_2026("8.12万元", 81200)),
    "b11.xlsx": _2026(cost="≤407.41万元", **{**_funds_2026("407.41万元", 4074100),
                                             "其中：当年财政拨款（元）": "400.1万元", "其中：上年结转资金（元）": "7.31万元"}),
    "t12_a.xlsx": _2026(cost="≤91.43万元", **_funds_2026("91.43万元", 914300)),
    "t12_b.xlsx": _2026(cost="≤20.01万元", **_funds_2026("20.01万元", 200100)),
}


@pytest.mark.parametrize("name", sorted(DRIFT_CASES))
def test_drift_cases_give_no_finding_through_the_cli(tmp_path, name):
    findings = _run(tmp_path, {name: DRIFT_CASES[name]})
    assert [(f["规则"], f["说明"]) for f in findings] == []
    summary = read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "项目汇总")[0]
    assert summary["状态"] == "通过"
    if name == "b02_b03.xlsx":
        assert summary["项目总预算（元）"] == 81200  # not 81199.99999999999


@pytest.mark.parametrize(("cost", "fires"), [
    ("≤400万", True), ("≤0.04亿元", True), ("≤4000千元", True), ("≤349.8万元", False), ("≤3498000元", False),
    ("≤349.81万元", True), ("≤3,498,000.01元", True),
])
def test_t12_reads_scales_before_any_unit(tmp_path, cost, fires):
    findings = _run(tmp_path, {"t12.xlsx": _2026(cost=cost, **_funds_2026("349.8万元", 3498000))})
    assert ("T12" in {f["规则"] for f in findings}) is fires


def test_t12_amount_is_printed_exactly(tmp_path):
    findings = _run(tmp_path, {"t12.xlsx": _2026(cost="≤91.44万元", **_funds_2026("91.43万元", 914300))})
    assert [f["说明"] for f in findings if f["规则"] == "T12"] == [
        "成本指标「道路保洁总成本」金额 914,400 元超过年度资金申请总额 914,300 元"]


# Random two-decimal 万元 values: in memory, the project read once from a real workbook -----------------


@pytest.fixture(scope="module")
def clean_2026(tmp_path_factory):
    from conftest import ROOT

    from perfxl.core.config import load_config

    config = load_config(ROOT / "perfxl" / "defaults.toml")
    path = tmp_path_factory.mktemp("clean") / "项目.xlsx"
    fill_template(config, CLEAN_FIELDS_2026, CLEAN_INDICATORS_2026, [], layout="上海2026").save(path)
    read = read_project(path, path.name, config)
    assert read.findings == []
    return read.project, config


def _with_funds(project, fen: int):
    """`project` with every 2026 amount equal to `fen`/100 万元 (split between appropriation and carryover)
    and its cost target at exactly that amount, written in 万元 with two decimals."""
    wan = D(fen) / 100
    yuan = wan * 10000
    split = (yuan * D(fen % 97) / 97).quantize(D(1))
    project = copy.deepcopy(project)
    for name in ("project_funds", "project_fiscal_funds", "annual_funds"):
        setattr(project, name, yuan)
    project.project_other_funds = project.annual_other_funds = D(0)
    project.annual_appropriation, project.carryover = yuan - split, split
    cost = project.indicators[0]
    target = parse_target(f"≤{wan:.2f}万元")
    cost.written, cost.value, cost.unit_of_measure, cost.operator = target.text, target.value, target.unit_of_measure, "≤"
    return project


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**11))
def test_random_two_decimal_wan_amounts_give_no_false_finding(clean_2026, fen):
    project, config = clean_2026
    assert check_project(_with_funds(project, fen), config) == []


def test_a_thousand_random_clean_projects_give_zero_findings(clean_2026):
    project, config = clean_2026
    draw = random.Random(21)
    found = [f for _ in range(1000) for f in check_project(_with_funds(project, draw.randint(1, 10**11)), config)]
    assert found == []


def test_the_random_projects_are_not_trivially_clean(clean_2026):
    """The same projects with one fen more in the cost target than the annual funds: T12 on each."""
    project, config = clean_2026
    draw = random.Random(21)
    for _ in range(50):
        changed = _with_funds(project, draw.randint(1, 10**9))
        changed.indicators[0].value += D("0.0001")  # one yuan more
        assert [f.rule for f in check_project(changed, config)] == ["T12"]


# The self-evaluation's amount rules and scoring, in memory ---------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**11))
def test_self_evaluation_amounts_in_wan_and_yuan_agree(fen):
    from perfxl.core.config import load_config
    from perfxl.core.values import parse_amount
    from perfxl.selfeval.book import Row, SelfEvaluation
    from perfxl.selfeval.rules import far_above_target, spent_over_budget
    from perfxl.selfeval.scoring import judge, score

    settings_ = load_config(None).selfeval
    wan = D(fen) / 100
    yuan = float(wan * 10000)  # as a cell holds it
    budget, spent = parse_amount(f"{wan:.2f}万元"), parse_amount(yuan)
    row = Row(15, "产出目标", "数量", "成本", f"≤{wan:.2f}万元", f"{wan * 10000:f}元", points=D(10))
    evaluation = SelfEvaluation("x.xlsx", {"final_budget": budget, "spent": spent}, [row])
    result = score(evaluation, settings_)
    assert result.budget_score == 10 and judge(row, settings_).score == 10
    assert list(spent_over_budget(evaluation, result, settings_)) == []
    reached = Row(16, "产出目标", "数量", "人次", f"≥{wan:.2f}万人次", f"{wan * 15000:f}人次", points=D(10))
    evaluation.rows = [reached]
    assert len(list(far_above_target(evaluation, score(evaluation, settings_), settings_))) == 1  # exactly 150 %


@pytest.fixture(scope="module")
def clean_2020(tmp_path_factory):
    from conftest import ROOT

    from perfxl.core.config import load_config

    config = load_config(ROOT / "perfxl" / "defaults.toml")
    path = tmp_path_factory.mktemp("clean2020") / "项目.xlsx"
    lines = [["开发", 600000, None], ["运维", 400000, None]]
    fill_template(config, CLEAN_FIELDS, CLEAN_INDICATORS, lines).save(path)
    read = read_project(path, path.name, config)
    assert read.findings == []
    return read.project, config


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**11), st.integers(0, 10**11))
def test_random_two_decimal_wan_amounts_give_no_false_finding_2020(clean_2020, first, second):
    """项目总预算 in 万元 and 当年预算 in yuan (B02, B03), the budget lines in 万元 adding up to it (B09)."""
    from perfxl.core.values import parse_amount

    project, config = clean_2020
    project = copy.deepcopy(project)
    lines = [D(first) / 100, D(second) / 100]  # 万元, two decimals
    total = sum(lines) * 10000
    project.total_budget = parse_amount(f"{sum(lines):.2f}万元")
    project.annual_budget = parse_amount(float(total))  # a number cell: a float
    project.prior_budget = project.prior_spent = project.annual_budget
    for line, wan in zip(project.budget_lines, lines, strict=True):
        line.amount = parse_amount(f"{wan:.2f}万元")
    assert check_project(project, config) == []
