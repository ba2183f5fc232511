"""Issue 12's misreadings: values that were read wrongly with confidence, each beside its near miss."""

from __future__ import annotations

import pytest
from conftest import CLEAN_INDICATORS, read_sheet

from perfxl.target.pipeline import run
from perfxl.target.reader import read_project

REPORT = "绩效目标汇总.xlsx"


def read(path, config):
    return read_project(path, path.name, config)


def places(findings, rule) -> list[tuple[str, str]]:
    return [(f.sheet, f.cell) for f in findings if f.rule == rule]


def with_target(written) -> list[list]:
    return [*CLEAN_INDICATORS[:8], ["", "满意度", "用户满意度", written], CLEAN_INDICATORS[9]]


# --- amounts and targets: decimal commas ------------------------------------------------------------


def test_a_decimal_comma_in_an_amount_is_s04_showing_the_text(make_workbook, clean_project, config):
    fields, _ = clean_project
    fields["项目当年预算（元）"] = "1000000,00"
    result = read(make_workbook(fields=fields), config)
    [s04] = [f for f in result.findings if f.rule == "S04"]
    assert (s04.cell, "1000000,00" in s04.message, "逗号" in s04.message) == ("B3", True, True)
    assert result.project.annual_budget is None


def test_near_miss_a_real_thousands_separator_passes(make_workbook, clean_project, config):
    fields, _ = clean_project
    fields["项目当年预算（元）"] = "1,000,000.00"
    result = read(make_workbook(fields=fields), config)
    assert (result.project.annual_budget, result.findings) == (1_000_000, [])


def test_a_decimal_comma_in_a_target_is_s04_not_fifteen_percent(make_workbook, config):
    result = read(make_workbook(indicators=with_target("≥1,5%")), config)
    assert places(result.findings, "S04") == [("绩效指标", "D10")]
    assert (result.project.indicators[8].value, result.project.indicators[8].written) == (None, "≥1,5%")


# --- labels ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["＊项目名称", "项目名称＊", "﹡项目名称：", "项目\u200b名称"])
def test_full_width_asterisk_and_look_alikes_in_a_label(make_workbook, config, label):
    def edit(book):
        book["项目信息"]["A4"] = label

    result = read(make_workbook(edit=edit), config)
    assert (result.project.project_name, result.findings) == ("科技文献数据库运维", [])


# --- targets kept as typed -------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "unit"), [("≥10㎡", "㎡"), ("≤26℃", "℃"), ("≥200m2", "m2")])
def test_targets_are_shown_as_typed_with_their_unit(make_workbook, config, tmp_path, written, unit):
    indicators = [*CLEAN_INDICATORS[:4], ["产出目标", "数量", "新增面积", written], *CLEAN_INDICATORS[5:]]
    path = make_workbook(indicators=indicators)
    assert read(path, config).findings == []
    run(path.parent, tmp_path / "output", config)
    row = read_sheet(tmp_path / "output" / REPORT, "绩效指标")[4]
    assert (row["指标目标值"], row["单位"], row["性质"]) == (written, unit, "定量")


# --- number formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(("number_format", "number", "written"), [
    ('0"%"', 95, "95%"), ("0\\%", 95, "95%"), ('0.0"%"', 95, "95%"),  # a literal % sign: the number as shown
    ("0%", 0.95, "95%"), ("0.0%", 0.95, "95%"), ("[Red]0%", 0.95, "95%"),  # near misses: real percent formats
])
def test_only_a_real_percent_format_scales(make_workbook, config, number_format, number, written):
    def edit(book):
        cell = book["绩效指标"]["D10"]
        cell.value, cell.number_format = number, number_format

    satisfaction = read(make_workbook(edit=edit), config).project.indicators[8]
    assert (satisfaction.written, satisfaction.value) == (written, 95)


# --- 预算明细 totals and notes under the indicator table ---------------------------------------------


@pytest.mark.parametrize("item", ["合计", "小计", "总计", "合 计"])
def test_a_total_row_of_the_budget_lines_is_checked_not_added(make_workbook, config, tmp_path, item):
    lines = [["开发", 600000, None], ["运维", 400000, None], [item, 1000000, None]]
    path = make_workbook(budget_lines=lines)
    batch = run(path.parent, tmp_path / "output", config)
    assert [f.rule for f in batch.findings] == []
    rows = read_sheet(tmp_path / "output" / REPORT, "预算明细")
    assert [r["明细项目"] for r in rows] == ["开发", "运维"]


def test_a_total_row_that_disagrees_with_its_lines_is_b09_at_that_row(make_workbook, config, tmp_path):
    lines = [["开发", 600000, None], ["运维", 300000, None], ["合计", 1000000, None]]
    batch = run(make_workbook(budget_lines=lines).parent, tmp_path / "output", config)
    b09 = [(f.cell, f.message) for f in batch.findings if f.rule == "B09"]
    assert b09 == [("B3", "预算明细合计 900,000 元，与项目当年预算 1,000,000 元相差 100,000 元"),
                   ("B10", "预算明细各行之和 900,000 元，与「合计」行 1,000,000 元相差 100,000 元")]


def test_subtotals_cover_their_own_group(make_workbook, config, tmp_path):
    lines = [["开发", 600000, None], ["小计", 600000, None], ["运维", 400000, None], ["小计", 400000, None],
             ["合计", 1000000, None]]
    batch = run(make_workbook(budget_lines=lines).parent, tmp_path / "output", config)
    assert batch.findings == []


@pytest.mark.parametrize("note", ["注：满意度以第三方调查为准", "注:数量按年度累计", "说明：以上指标按年统计"])
def test_a_note_line_under_the_indicator_table_is_not_an_indicator(make_workbook, config, note):
    result = read(make_workbook(indicators=[*CLEAN_INDICATORS, [note, "", "", ""]]), config)
    assert (len(result.project.indicators), result.findings) == (len(CLEAN_INDICATORS), [])


def test_near_miss_a_level1_starting_with_the_same_word_is_still_read(make_workbook, config):
    result = read(make_workbook(indicators=[*CLEAN_INDICATORS, ["注册目标", "", "注册用户数", "≥100个"]]), config)
    assert len(result.project.indicators) == len(CLEAN_INDICATORS) + 1
    assert places(result.findings, "T02") == []  # read, not checked here: T02 is the rules' (not the reader's)


# --- hidden rows and sheets ------------------------------------------------------------------------


def test_a_hidden_row_above_the_real_label_does_not_win(make_workbook, config):
    def edit(book):
        sheet = book["项目信息"]
        sheet.insert_rows(2)
        sheet["A2"], sheet["B2"] = "项目名称", "去年的旧名称"
        sheet.row_dimensions[2].hidden = True

    result = read(make_workbook(edit=edit), config)
    assert result.project.project_name == "科技文献数据库运维"
    assert places(result.findings, "S07") == [("项目信息", "B2")]
    assert "隐藏的第 2 行" in result.findings[0].message


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_visible_sheet_beats_a_hidden_namesake(make_workbook, config, state):
    def edit(book):
        copy = book.copy_worksheet(book["项目信息"])
        copy.title, copy.sheet_state = "项目 信息", state
        copy["B4"] = "隐藏表中的名称"

    result = read(make_workbook(edit=edit), config)
    assert result.project.project_name == "科技文献数据库运维"
    [s07] = result.findings
    assert (s07.rule, s07.sheet, "隐藏的工作表「项目 信息」" in s07.message) == ("S07", "项目信息", True)


def test_a_hidden_sheet_standing_in_for_a_missing_visible_one_says_so(make_workbook, config):
    def edit(book):
        book["项目信息"].sheet_state = "hidden"

    result = read(make_workbook(edit=edit), config)
    assert result.project.project_name == "科技文献数据库运维"
    assert [(f.rule, f.sheet) for f in result.findings] == [("S07", "项目信息")]


def test_near_miss_a_hidden_helper_sheet_of_lists_is_quiet(make_workbook, config):
    def edit(book):
        lists = book.create_sheet("下拉列表")
        lists.append(["经常性专项业务费", "其他一次性项目"])
        lists.sheet_state = "veryHidden"

    assert read(make_workbook(edit=edit), config).findings == []
