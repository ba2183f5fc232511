"""Self-evaluation: 分值 and scoring at function level (both layouts' 一级), every E rule firing at its cell
and staying quiet on a near miss, and bad input in the 自评 folder."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from builders import checksums
from click.testing import CliRunner
from conftest import flatten
from selfeval_fill import cents, fill

from perfxl.cli.main import cli
from perfxl.io.files import LOCK_NAME
from perfxl.selfeval.batch import evaluate
from perfxl.selfeval.book import Row, SelfEvaluation
from perfxl.selfeval.prepare import prepare
from perfxl.selfeval.scoring import allocate_points, grade, judge, score

# Function level ------------------------------------------------------------------------------------


def both_layouts(config) -> dict:
    """The scoring settings with the 一级 points of both built-in layouts (their 一级 names differ)."""
    settings = [config.selfeval_settings(name) for name in ("上海2020", "上海2026")]
    return {**settings[0], "level1_points": {**settings[0]["level1_points"], **settings[1]["level1_points"]},
            "taken_from": settings[1]["taken_from"]}


def test_points_2020_layout(config):
    level1s = ["投入与管理"] * 4 + ["产出目标"] * 3 + ["效果目标"] * 2 + ["影响力目标"]
    assert allocate_points(level1s, both_layouts(config)) == [D("2.5")] * 4 + [D("13.33"), D("13.33"), D("13.34")] + [15, 15] + [10]


def test_points_2026_layout_with_and_without_cost(config):
    with_cost = ["成本指标"] + ["产出指标"] * 3 + ["效益指标"] * 3 + ["满意度指标"]
    assert allocate_points(with_cost, both_layouts(config)) == [10, D("13.33"), D("13.33"), D("13.34"), 10, 10, 10, 10]
    without = ["产出指标"] * 3 + ["效益指标"] * 3 + ["满意度指标"]
    points = allocate_points(without, both_layouts(config))
    assert points[:3] == [D("16.67"), D("16.67"), D("16.66")] and sum(points[3:6]) == 30 and points[6] == 10
    assert sum(points) == 90


def test_points_scale_when_a_level1_is_missing(config):
    points = allocate_points(["产出目标", "效果目标"], both_layouts(config))  # 40 : 30 of 90
    assert points == [D("51.43"), D("38.57")]


def _row(target, actual, attainment="", points=D(10)):
    return Row(1, "产出指标", "数量指标", "指标", target, actual, attainment, points)


@pytest.mark.parametrize(("target", "actual", "attainment", "expected"), [
    ("≥90%", "95%", "", 10), ("≥90%", "81%", "", 9), ("≥90.00(%)", "81(%)", "", 9),
    (">2次", "2次", "", 10), ("≤35000元", "3.2万元", "", 10), ("≤35000元", "4万元", "", D("8.75")),
    ("<=1%", "2%", "", 5), ("=100.00(%)", "80%", "", 8), ("=1300册", "1400册", "", cents(D(10) * 1300 / 1400)),
    ("≥90%", "95", "", 10), ("合理", "基本合理", "部分达成", 6), ("合规", "合规", "达成", 10),
    ("提高", "提高", "基本达成", 8), ("合规", "不合规", "未达成", 0), ("合规", "合规", "", 0),
    ("≥3000条", "约三千条", "", 0), ("≥90%", "-5%", "", 0),
])
def test_one_indicator(config, target, actual, attainment, expected):
    assert judge(_row(target, actual, attainment), config.selfeval).score == expected


def test_2026_project_scores(config):
    """A 2026 project (成本/产出/效益/满意度) scored from rows alone: 95.67 in all, 优."""
    level1s = ["成本指标", "产出指标", "产出指标", "产出指标", "效益指标", "效益指标", "满意度指标"]
    targets = [("≤349.8万元", "360万元"), ("=100.00(%)", "100%"), ("=100.00(%)", "100%"),
               ("=100.00(%)", "100%"), ("≥90.00(%)", "92%"), ("提高", "提高"), ("≥90.00(%)", "80%")]
    points = allocate_points(level1s, both_layouts(config))
    rows = [Row(i, level1, "", f"指标{i}", target, actual, "" if target[0] in "≤=≥" else "达成", p)
            for i, (level1, (target, actual), p) in enumerate(zip(level1s, targets, points, strict=True))]
    evaluation = SelfEvaluation("2026.xlsx", {"final_budget": D(3498000), "spent": D(3323100)}, rows)
    result = score(evaluation, config.selfeval)
    assert points == [10, D("13.33"), D("13.33"), D("13.34"), 15, 15, 10]
    assert [j.score for j in result.judgements] == [cents(D(10) * D("349.8") / 360), D("13.33"), D("13.33"),
                                                     D("13.34"), 15, 15, D("8.89")]
    assert (result.budget_score, result.indicator_score) == (D("9.5"), D("9.72") + 40 + 30 + D("8.89"))
    assert (result.total, grade(result.total, config.selfeval)) == (D("9.5") + D("88.61"), "优")


@pytest.mark.parametrize(("total", "expected"), [(90, "优"), (D("89.99"), "良"), (80, "良"), (60, "中"), (D("59.99"), "差")])
def test_grade_bounds(config, total, expected):
    assert grade(total, config.selfeval) == expected


# Rules through real workbooks ------------------------------------------------------------------------

# The clean project's rows (tests/conftest.py): 资金到位率 first, 新增文献记录 (≥30000条) the fifth.
FIRST = 15  # the first indicator row of a prepared workbook
RECORDS = FIRST + 4


@pytest.fixture
def evaluate_filled(make_workbook, tmp_path, config):
    """evaluate_filled(rate=0.95, plan=None, fields=None, edit=None) -> findings of the clean project's 自评."""
    make_workbook("项目.xlsx")
    prepared = prepare(tmp_path / "input", tmp_path / "自评", config).written[0]

    def run(rate=0.95, plan=None, fields=None, edit=None):
        fill(prepared, (1000000, 1000000 * rate), plan, fields, edit)
        return evaluate(tmp_path / "自评", config).findings

    return run


def _set(cell, value):
    def edit(sheet, labels, rows):
        sheet[cell].value = value
    return edit


RECORD = "新增文献记录"
CASES = {
    "E01": ({"plan": {RECORD: {"actual": ""}}}, {}, f"E{RECORDS}"),
    "E02": ({"plan": {RECORD: {"actual": "约三万条"}}}, {"plan": {RECORD: {"actual": "30000"}}}, f"E{RECORDS}"),
    "E03": ({"plan": {RECORD: {"actual": "30000个"}}}, {"plan": {RECORD: {"actual": "3万条"}}}, f"E{RECORDS}"),
    "E04": ({"plan": {RECORD: {"actual": "25000条"}}},
            {"plan": {RECORD: {"actual": "25000条", "deviation": "采购延迟"}}}, f"H{RECORDS}"),
    "E05": ({"rate": 0.85}, {"rate": 0.9}, "B12"),
    "E06": ({"rate": 1.01}, {"rate": 1.0}, "B11"),
    "E07": ({"edit": _set(f"G{FIRST}", 3.5)}, {"edit": lambda s, labels, rows: (
        s.__setitem__(f"G{FIRST}", 3.5), s.__setitem__(f"G{FIRST + 1}", 1.5))}, f"G{FIRST + 9}"),  # the last row
    "E08": ({"edit": _set(f"D{RECORDS}", "≥20000条")}, {"edit": _set("B9", "1,000,000")}, f"D{RECORDS}"),
    "E09": ({"plan": {RECORD: {"actual": "45000条"}}}, {"plan": {RECORD: {"actual": "44999条"}}}, f"E{RECORDS}"),
    "E10": ({"plan": {"资金使用规范性": {"attainment": ""}}},
            {"plan": {"资金使用规范性": {"attainment": "基本达成", "deviation": "个别凭证补签"}}}, f"F{FIRST + 1}"),
}


def test_a_fully_met_workbook_has_no_findings(evaluate_filled):
    assert evaluate_filled() == []


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_at_its_cell(evaluate_filled, rule):
    fires, _, cell = CASES[rule]
    assert (rule, "自评表", cell) in flatten(evaluate_filled(**fires))


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_stays_quiet_on_a_near_miss(evaluate_filled, rule):
    _, near, _ = CASES[rule]
    assert rule not in {f.rule for f in evaluate_filled(**near)}


def test_e09_hint_says_the_target_was_set_too_low(evaluate_filled):
    found = [f for f in evaluate_filled(plan={RECORD: {"actual": "45000条"}}) if f.rule == "E09"]
    assert "150%" in found[0].message and "偏低" in found[0].hint


def test_e07_points_edited_change_the_scores(evaluate_filled, tmp_path, config):
    findings = evaluate_filled(edit=lambda s, labels, rows: (s.__setitem__(f"G{FIRST}", 3.5),
                                                             s.__setitem__(f"G{FIRST + 1}", 1.5)))
    assert findings == []
    batch = evaluate(tmp_path / "自评", config)
    assert batch.scores["2021_科技文献数据库运维.xlsx"].judgements[0].score == 3.5


# Bad input ---------------------------------------------------------------------------------------------


def test_bad_files_in_the_selfeval_folder_are_each_in_the_ledger(make_workbook, tmp_path, config):
    target = make_workbook("目标表.xlsx")
    folder = tmp_path / "自评"
    folder.mkdir()
    (folder / "目标表.xlsx").write_bytes(target.read_bytes())
    (folder / "空.xlsx").write_bytes(b"")
    (folder / "坏.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    (folder / "旧.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "说明.txt").write_text("见附件", encoding="utf-8")
    import openpyxl
    other = openpyxl.Workbook()
    other.active.title = "自评表"
    other.save(folder / "自己做的.xlsx")
    before = checksums(folder)
    result = CliRunner().invoke(cli, ["selfeval", "run", str(folder), str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert checksums(folder) == before
    ledger = {row[0]: row[2] for row in _rows(tmp_path / "out" / "自评汇总.xlsx", "处理清单")}
    assert set(ledger) == {"目标表.xlsx", "空.xlsx", "坏.xlsx", "旧.xls", "说明.txt", "自己做的.xlsx"}
    assert "perfxl run" in ledger["目标表.xlsx"] and "input" in ledger["目标表.xlsx"]
    assert "selfeval prepare" in ledger["自己做的.xlsx"]
    assert "空的" in ledger["空.xlsx"] and "另存为" in ledger["旧.xls"]


def test_selfeval_workbook_in_input_names_its_command(make_workbook, tmp_path, config):
    make_workbook("项目.xlsx")
    prepared = prepare(tmp_path / "input", tmp_path / "自评", config).written[0]
    (tmp_path / "input" / "自评表.xlsx").write_bytes(prepared.read_bytes())
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "input"), str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    ledger = {row[0]: row[2] for row in _rows(tmp_path / "out" / "绩效目标汇总.xlsx", "处理清单")}
    assert "绩效自评表" in ledger["自评表.xlsx"] and "perfxl selfeval run" in ledger["自评表.xlsx"]


def test_prepare_skips_projects_with_errors(make_workbook, tmp_path, config):
    make_workbook("好.xlsx")
    make_workbook("坏.xlsx", fields={"年度": 2021, "项目名称": "坏项目"})  # missing required fields: S03
    result = CliRunner().invoke(cli, ["selfeval", "prepare", str(tmp_path / "input"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "未生成：坏.xlsx" in result.output
    assert [p.name for p in (tmp_path / "o").iterdir() if p.name != LOCK_NAME] == ["2021_科技文献数据库运维.xlsx"]


def _rows(path, sheet):
    import openpyxl

    return list(openpyxl.load_workbook(path)[sheet].iter_rows(min_row=2, values_only=True))
