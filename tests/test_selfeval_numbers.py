"""Self-evaluation numbers through the real CLI (prepare -> fill -> selfeval run -> read back): half-up scores
and a total that adds up, values that must be finite and not below 0, units, number formats, E06 with a
budget of 0, E08 row by row, and 处理清单 after severity overrides."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import read_sheet
from selfeval_fill import fill, indicator_rows, shown

from perfxl.cli.main import cli
from perfxl.core.config import load_config
from perfxl.selfeval.prepare import prepare

FIRST = 15  # the first indicator row of a prepared workbook of the clean project
AVAILABILITY = "数据库可用率"  # ≥99%, the sixth row
SATISFACTION = "用户满意度"  # ≥95%
RECORD = "新增文献记录"  # ≥30000条


@pytest.fixture
def selfeval(make_workbook, tmp_path, config):
    """selfeval(budget, plan=None, fields=None, edit=None, toml="") -> (exit code, summary path): the clean
    project prepared, filled as asked, run through `perfxl selfeval run`."""
    make_workbook("项目.xlsx")
    prepared = prepare(tmp_path / "input", tmp_path / "自评", config).written[0]

    def run(budget=(1000000, 1000000), plan=None, fields=None, edit=None, toml=""):
        fill(prepared, budget, plan, fields, edit)
        args = ["selfeval", "run", str(tmp_path / "自评"), str(tmp_path / "out")]
        if toml:
            (tmp_path / "perfxl.toml").write_text(toml, encoding="utf-8")
            args += ["--config", str(tmp_path / "perfxl.toml")]
        result = CliRunner().invoke(cli, args)
        assert "Traceback" not in result.output, result.output
        return result.exit_code, tmp_path / "out" / "自评汇总.xlsx"

    return run


def _half_up(number: D) -> D:
    return number.quantize(D("0.01"), ROUND_HALF_UP)


def _findings(summary) -> list[tuple]:
    return [(f["规则"], f["单元格"], f["说明"]) for f in read_sheet(summary, "校验结果")]


def test_budget_score_8775_prints_as_878_and_the_total_adds_up(selfeval):
    code, summary = selfeval(budget=(3498000, 3069495), fields={"low_rate_reason": "部分合同年底签订"})
    project = read_sheet(summary, "项目得分")[0]
    expected = _half_up(D(10) * D(3069495) / D(3498000))
    assert expected == D("8.78")  # 8.775 exactly: half up, not to even and not a float's 8.77
    assert shown(project["预算执行得分"]) == expected
    assert shown(project["总分"]) == shown(project["预算执行得分"]) + shown(project["指标得分"])
    assert code == 0


def test_indicator_score_3375_prints_as_338(selfeval):
    def points(sheet, labels, rows):  # 分值 3.75 for 数据库可用率, the difference on the next row: still 90
        sheet[f"G{FIRST + 5}"], sheet[f"G{FIRST + 6}"] = 3.75, 22.92

    code, summary = selfeval(plan={AVAILABILITY: {"actual": "89.1%", "deviation": "设备老化"}}, edit=points)
    scores = {r["三级指标"]: r for r in read_sheet(summary, "指标得分")}
    expected = _half_up(D("3.75") * D("89.1") / D(99))
    assert expected == D("3.38")
    assert shown(scores[AVAILABILITY]["得分"]) == expected
    assert _findings(summary) == []


@pytest.mark.parametrize("points", ["nan", "inf", "-100", "十分"])
def test_points_must_be_a_finite_number_not_below_0(selfeval, points):
    code, summary = selfeval(edit=lambda sheet, labels, rows: sheet.__setitem__(f"G{FIRST}", points))
    found = _findings(summary)
    assert ("S04", f"G{FIRST}") in [(rule, cell) for rule, cell, _ in found]
    project = read_sheet(summary, "项目得分")[0]
    assert all(not (isinstance(v, float) and not math.isfinite(v)) for v in project.values())
    assert project["状态"] == "未通过" and code == 1


def test_points_as_huge_numbers_do_not_break_the_file(selfeval):
    def huge(sheet, labels, rows):
        sheet[f"G{FIRST}"], sheet[f"G{FIRST + 1}"] = 1e308, 190

    code, summary = selfeval(edit=huge)
    assert "E07" in {rule for rule, _, _ in _findings(summary)}, _findings(summary)
    assert code == 1


def test_a_negative_amount_spent_is_s04(selfeval):
    code, summary = selfeval(budget=(1000000, -5))
    assert [(rule, cell) for rule, cell, _ in _findings(summary)] == [("S04", "B11")]


def test_a_budget_of_0_with_spending_is_e06(selfeval):
    code, summary = selfeval(budget=(0, 1000))
    assert [(rule, cell, message) for rule, cell, message in _findings(summary)] == [
        ("E06", "B11", "全年执行数 1,000 元超过全年预算数 0 元")]


def test_amounts_in_wan_equal_the_same_amounts_in_yuan(selfeval):
    """全年预算数 `8.12万元`, 全年执行数 81,200: 执行率 100 %, no E06, the whole budget score."""
    code, summary = selfeval(budget=("8.12万元", 81200))
    project = read_sheet(summary, "项目得分")[0]
    assert _findings(summary) == [] and shown(project["预算执行得分"]) == 10


def test_an_actual_in_wan_meets_a_target_in_yuan(selfeval):
    """`2.01万元` against `≥20100元`: met, full points, no E04 (the drift of issue 21)."""
    def target(sheet, labels, rows):
        sheet[f"D{FIRST + 4}"] = "≥20100元"

    code, summary = selfeval(plan={RECORD: {"actual": "2.01万元"}}, edit=target)
    assert "E04" not in {rule for rule, _, _ in _findings(summary)}
    scores = {r["三级指标"]: r for r in read_sheet(summary, "指标得分")}
    assert scores[RECORD]["得分"] == scores[RECORD]["分值"]


def test_exactly_150_percent_is_e09(selfeval):
    def target(sheet, labels, rows):
        sheet[f"D{FIRST + 4}"] = "≥0.8万人次"

    code, summary = selfeval(plan={RECORD: {"actual": "1.2万人次"}}, edit=target)
    assert "E09" in {rule for rule, _, _ in _findings(summary)}


def test_an_actual_without_a_unit_is_e03_saying_the_unit_it_was_read_in(selfeval):
    code, summary = selfeval(plan={SATISFACTION: {"actual": "96"}})
    e03 = [message for rule, _, message in _findings(summary) if rule == "E03"]
    assert e03 == ["指标「用户满意度」的目标值单位为「%」，实际完成值「96」没有单位，已按「%」读取"]


def test_an_actual_in_a_percent_cell_reads_as_excel_shows_it(selfeval):
    """0.995 pasted into a `0.0%` cell (Excel shows 99.5 %) against ≥99%: met, as the target reader reads it."""
    def percent(sheet, labels, rows):
        sheet[f"E{FIRST + 5}"] = 0.995
        sheet[f"E{FIRST + 5}"].number_format = "0.0%"

    code, summary = selfeval(edit=percent)
    assert [rule for rule, _, _ in _findings(summary)] == ["S07"]
    scores = {r["三级指标"]: r for r in read_sheet(summary, "指标得分")}
    assert (scores[AVAILABILITY]["实际完成值"], scores[AVAILABILITY]["得分"]) == ("99.5%", scores[AVAILABILITY]["分值"])


def _remove_row(sheet, labels, rows):
    sheet.delete_rows(FIRST + 2)  # 管理制度健全性


def _add_row(sheet, labels, rows):
    last = indicator_rows(sheet)[-1] + 1
    for c, value in enumerate(["影响力目标", "信息共享", "新增合作单位", "≥5个", "6个", "", 0], start=1):
        sheet.cell(last, c, value)


def _swap_rows(sheet, labels, rows):
    for c in range(1, 9):
        a, b = sheet.cell(FIRST, c), sheet.cell(FIRST + 1, c)
        a.value, b.value = b.value, a.value


@pytest.mark.parametrize(("edit", "expected"), [
    (_remove_row, [("C17", "「三级指标（申报时第 17 行）」为「（已删除）」，申报时为「管理制度健全性」")]),
    (_add_row, [("C25", "「三级指标（第 25 行）」为「新增合作单位」，申报时为「（申报时没有该指标）」")]),
    (_swap_rows, [("C15", "「指标顺序（第 15 行）」为「资金使用规范性」，申报时为「资金到位率」"),
                  ("C16", "「指标顺序（第 16 行）」为「资金到位率」，申报时为「资金使用规范性」")]),
])
def test_e08_compares_the_indicator_table_row_by_row(selfeval, edit, expected):
    code, summary = selfeval(edit=edit)
    assert [(cell, message) for rule, cell, message in _findings(summary) if rule == "E08"] == expected


def test_the_ledger_follows_severity_overrides(selfeval):
    code, summary = selfeval(plan={RECORD: {"actual": "25000条"}}, toml='[rules]\nseverity = { E04 = "警告" }\n')
    ledger = read_sheet(summary, "处理清单")[0]["说明"]
    project = read_sheet(summary, "项目得分")[0]
    assert project["状态"] == "通过" and "未通过" not in ledger and "1 个警告" in ledger
    assert project["自评表"]  # the form is written
    assert code == 0


def test_hidden_indicator_rows_and_columns_are_not_read(selfeval):
    def hide(sheet, labels, rows):
        sheet.row_dimensions[FIRST + 9].hidden = True
        sheet.column_dimensions["H"].hidden = True

    code, summary = selfeval(edit=hide)
    s07 = [cell for rule, cell, _ in _findings(summary) if rule == "S07"]
    assert f"A{FIRST + 9}" in s07 and "H14" in s07
    assert len(read_sheet(summary, "指标得分")) == 9


def test_selfeval_workbook_read_without_formats_keeps_the_fast_path(tmp_path, make_workbook):
    """A prepared workbook has no percent or literal formats: read without number formats (calamine)."""
    from perfxl.io.workbook import Limits, load_grids

    config = load_config(None)
    make_workbook("项目.xlsx")
    prepared = prepare(tmp_path / "input", tmp_path / "自评", config).written[0]
    grids = load_grids(prepared, ("自评表",), Limits.of(config.limits))
    assert grids["自评表"].formats is None
    book = openpyxl.load_workbook(prepared)
    assert book["自评表"]["B10"].number_format == "#,##0.00"


def test_the_grade_comes_from_the_printed_total(selfeval):
    """8.78 (not 8.77) + 81.22 = 90.00: 优, where a float score gave 89.99 and 良."""
    code, summary = selfeval(budget=(3498000, 3069495), fields={"low_rate_reason": "部分合同年底签订"},
                             plan={RECORD: {"actual": "10240条", "deviation": "采购延迟"}})
    project = read_sheet(summary, "项目得分")[0]
    indicator = _half_up(D("13.33") * 10240 / 30000)
    assert indicator == D("4.55")
    assert shown(project["指标得分"]) == D(90) - D("13.33") + indicator
    assert (shown(project["总分"]), project["等级"]) == (D("90.00"), "优")


def test_a_plain_yuan_actual_against_a_wan_target_is_questioned(selfeval):
    def target(sheet, labels, rows):
        sheet[f"D{FIRST + 4}"] = "≤349.8万元"

    code, summary = selfeval(plan={RECORD: {"actual": "3450000", "deviation": "按元填写"}}, edit=target)
    e03 = [message for rule, _, message in _findings(summary) if rule == "E03"]
    assert e03 == ["指标「新增文献记录」的目标值单位为「万元」，实际完成值「3450000」没有单位，已按「万元」读取"]
