"""Issue 12's wrong findings and the ledger: each beside its near miss; 处理清单 a view of the final findings."""

from __future__ import annotations

import pytest
from conftest import CLEAN_FIELDS, CLEAN_INDICATORS, read_sheet

from perfxl.core.config import load_config
from perfxl.target.pipeline import run, validate

INDICATORS = "绩效指标"
REPORT = "绩效目标汇总.xlsx"


def rows_with(index: int, row: list[str]) -> list[list[str]]:
    rows = [list(r) for r in CLEAN_INDICATORS]
    rows[index] = row
    return rows


def found(check_rows, rule) -> list:
    return [f for f in check_rows if f.rule == rule]


# --- T09: complete words are not cut off -----------------------------------------------------------


@pytest.mark.parametrize(("name", "fires"), [
    ("科学知识普及", False), ("社会公众参与", False), ("惠民政策惠及", False), ("数据开放公共", False),
    ("按市科委三清单要求完成数据信息共", True), ("数据采集及", True), ("公众参与与", True), ("按时间节点完成项目目标的", True),
])
def test_t09_endings_that_also_end_common_words(check, name, fires):
    def edit(rows):
        rows[4][2] = name

    assert [f.cell for f in found(check(edit=edit), "T09")] == (["C6"] if fires else [])


# --- T08: by the satisfaction role; > and ≥ at or above the floor ---------------------------------


@pytest.mark.parametrize(("row", "fires"), [
    (["", "数量", "满意度调查问卷回收数", "≥500份"], False),  # a count whose name holds 满意度
    (["", "满意度", "用户满意度", ">95%"], False),
    (["", "满意度", "用户满意度", ">90%"], False),
    (["", "满意度", "用户满意度", "95%以上"], False),
    (["", "满意度", "用户满意度", "不低于95%"], False),
    (["", "满意度", "用户满意度", ">85%"], True),
    (["", "满意度", "用户满意度", "=95%"], True),
])
def test_t08_decides_by_the_satisfaction_level2(check, row, fires):
    def edit(rows):
        rows[8] = row

    assert [f.cell for f in found(check(edit=edit), "T08")] == (["D10"] if fires else [])


# --- T11: the message says what is there -----------------------------------------------------------


@pytest.mark.parametrize(("written", "said", "not_said"), [
    ("1200", "只有数值", "有比较符"), ("≥1200", "有比较符和数值", "只有数值"),
])
def test_t11_describes_the_target(check, written, said, not_said):
    def edit(rows):
        rows[4][3] = written

    [t11] = found(check(edit=edit), "T11")
    assert said in t11.message and not_said not in t11.message


# --- root cause before its consequence -------------------------------------------------------------


def test_t05_follows_the_t02_that_causes_it(check):
    def edit(rows):
        rows[7][0] = "效果指标"  # 效果目标 misspelled: T02, and so no 效果目标 (T05)

    findings = check(edit=edit)
    assert [(f.rule, f.cell) for f in findings] == [("T02", "A9"), ("T05", "A9")]
    assert "效果指标" in findings[1].message and "T02" in findings[1].message


def test_t06_follows_the_t03_that_causes_it(check):
    def edit(rows):
        rows[5][1] = "质 量 指标"  # 质量 misspelled: T03, and so no 质量 (T06)

    findings = check(edit=edit)
    assert [(f.rule, f.cell) for f in findings] == [("T03", "B7"), ("T06", "B7")]
    assert "T03" in findings[1].message


def test_near_miss_t05_without_a_cause_names_none(check):
    [t05] = check(edit=lambda rows: rows.__delitem__(slice(7, 9)))
    assert (t05.rule, t05.cell, "T02" in t05.message) == ("T05", "", False)


# --- X01: names compared after the reader's normalisation ------------------------------------------


@pytest.mark.parametrize("twin", ["科技文献数据库\u200b运维", "科技文献数据库运维（一期）", "ＡＢ科技文献数据库运维"])
def test_x01_catches_names_differing_by_invisible_or_width_variants(make_workbook, tmp_path, config, twin):
    plain = {"科技文献数据库\u200b运维": "科技文献数据库运维", "科技文献数据库运维（一期）": "科技文献数据库运维(一期)",
             "ＡＢ科技文献数据库运维": "AB科技文献数据库运维"}[twin]
    make_workbook("a.xlsx", {**CLEAN_FIELDS, "项目名称": plain})
    make_workbook("b.xlsx", {**CLEAN_FIELDS, "项目名称": twin})
    findings = validate(tmp_path / "input", config).findings
    assert [(f.rule, f.file) for f in findings] == [("X01", "a.xlsx"), ("X01", "b.xlsx")]


def test_x01_near_miss_a_different_phase(make_workbook, tmp_path, config):
    make_workbook("a.xlsx", {**CLEAN_FIELDS, "项目名称": "科技文献数据库运维（一期）"})
    make_workbook("b.xlsx", {**CLEAN_FIELDS, "项目名称": "科技文献数据库运维（二期）"})
    assert validate(tmp_path / "input", config).findings == []


# --- the ledger is a view of the final findings ----------------------------------------------------


def ledger_and_summary(tmp_path, config) -> tuple[dict, dict]:
    run(tmp_path / "input", tmp_path / "output", config)
    report = tmp_path / "output" / REPORT
    ledger = {r["文件"]: r["说明"] for r in read_sheet(report, "处理清单")}
    summary = {r["文件"]: (r["状态"], r["错误数"], r["警告数"]) for r in read_sheet(report, "项目汇总") if r["状态"]}
    return ledger, summary


@pytest.mark.parametrize("toml", ['[rules]\nseverity = { B02 = "警告" }\n', '[rules]\ndisabled = ["B02"]\n'])
def test_the_ledger_applies_perfxl_toml_as_the_summary_does(make_workbook, tmp_path, toml):
    (tmp_path / "perfxl.toml").write_text(toml, encoding="utf-8")
    config = load_config(tmp_path / "perfxl.toml")
    make_workbook("a.xlsx", {**CLEAN_FIELDS, "项目当年预算（元）": 1200000})  # B02 (and B03, B09-free)
    ledger, summary = ledger_and_summary(tmp_path, config)
    status, errors, warnings = summary["a.xlsx"]
    assert (status, errors) == ("通过", 0)
    assert ledger["a.xlsx"] == f"已读取；{warnings} 个警告"
    assert (tmp_path / "output" / "目标表").is_dir()


def test_the_ledger_counts_batch_findings(make_workbook, tmp_path, config):
    make_workbook("a.xlsx")
    make_workbook("b.xlsx")  # X01 on both
    make_workbook("c.xlsx", {**CLEAN_FIELDS, "年度": 2022, "项目名称": "另一个项目", "计划开始日期": "2022-01-01",
                             "计划完成日期": "2022-12-31"})  # X02 on every file
    ledger, summary = ledger_and_summary(tmp_path, config)
    assert ledger == {"a.xlsx": "已读取；有 1 个错误、1 个警告，未通过，不生成目标表",
                      "b.xlsx": "已读取；有 1 个错误、1 个警告，未通过，不生成目标表",
                      "c.xlsx": "已读取；1 个警告"}
    assert summary == {"a.xlsx": ("未通过", 1, 1), "b.xlsx": ("未通过", 1, 1), "c.xlsx": ("通过", 0, 1)}
