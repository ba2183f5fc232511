"""The consolidated workbook speaks each layout's words and carries every field a workbook holds: headers
per layout (joined for a mixed batch), 备注 in 绩效指标, the long texts in 项目说明; read back with openpyxl."""

from __future__ import annotations

import openpyxl
from click.testing import CliRunner
from conftest import CLEAN_FIELDS_2026, CLEAN_INDICATORS, CLEAN_INDICATORS_2026, read_sheet

from perfxl.cli.main import cli


def _run(tmp_path) -> openpyxl.Workbook:
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "input"), str(tmp_path / "output")])
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(tmp_path / "output" / "绩效目标汇总.xlsx")


def _header(book, sheet: str) -> list:
    return [c.value for c in book[sheet][1]]


def test_a_2026_batch_is_headed_in_2026_words(make_workbook_2026, tmp_path):
    make_workbook_2026("保洁.xlsx")
    book = _run(tmp_path)
    summary = _header(book, "项目汇总")
    assert "实施单位" in summary and "主管部门" in summary
    assert "申报单位名称" not in summary and "是否含有政府购买服务" not in summary  # 上海2020's own columns
    assert _header(book, "绩效指标")[2:6] == ["一级指标", "二级指标", "三级指标", "指标值"]
    assert read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "项目汇总")[0]["实施单位"] == \
        CLEAN_FIELDS_2026["实施单位"]


def test_a_2020_batch_is_headed_in_2020_words(make_workbook, tmp_path):
    make_workbook("网站.xlsx")
    book = _run(tmp_path)
    assert "申报单位名称" in _header(book, "项目汇总") and "实施单位" not in _header(book, "项目汇总")
    assert _header(book, "绩效指标")[2:6] == ["一级目标", "二级目标", "三级目标", "指标目标值"]


def test_a_mixed_batch_names_both_layouts_words_in_one_column(make_workbook, make_workbook_2026, tmp_path):
    make_workbook("网站.xlsx")
    make_workbook_2026("保洁.xlsx")
    book = _run(tmp_path)
    summary = _header(book, "项目汇总")
    assert summary.count("申报单位名称／实施单位") == 1 and "实施单位" not in summary
    assert _header(book, "绩效指标")[2] == "一级目标／一级指标"
    units = {row["文件"]: row["申报单位名称／实施单位"]
             for row in read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "项目汇总")}
    assert units["保洁.xlsx"] == CLEAN_FIELDS_2026["实施单位"]


def test_the_note_of_an_indicator_is_in_the_indicator_sheet(make_workbook_2026, tmp_path):
    indicators = [list(row) for row in CLEAN_INDICATORS_2026]
    indicators[1].append("按市容局考核口径")
    make_workbook_2026("保洁.xlsx", indicators=indicators)
    _run(tmp_path)
    rows = read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "绩效指标")
    notes = {row["三级指标"]: row["备注"] for row in rows}
    assert notes["保洁道路面积"] == "按市容局考核口径"
    assert notes["道路保洁达标率"] is None


def test_the_long_texts_are_in_the_description_sheet_one_row_per_project(make_workbook, make_workbook_2026,
                                                                           tmp_path):
    fields = dict(CLEAN_FIELDS_2026, 项目概述="全区道路机扫与人工保洁。", 实施方案="分片包干，按月考核。")
    make_workbook_2026("保洁.xlsx", fields=fields)
    make_workbook("网站.xlsx", indicators=CLEAN_INDICATORS)
    _run(tmp_path)
    rows = {row["文件"]: row for row in read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "项目说明")}
    cleaning = rows["保洁.xlsx"]
    assert cleaning["项目总体目标"] == CLEAN_FIELDS_2026["项目总体目标"]
    assert cleaning["年度总体目标"] == CLEAN_FIELDS_2026["年度总体目标"]
    assert cleaning["项目概况／项目概述"] == "全区道路机扫与人工保洁。"
    assert cleaning["项目实施计划／实施方案"] == "分片包干，按月考核。"
    assert cleaning["项目设立的必要性"] is None  # a 上海2020 text this layout does not have
    assert set(rows) == {"保洁.xlsx", "网站.xlsx"}


def test_last_years_mixed_workbook_still_gives_x03_its_budgets(make_workbook, make_workbook_2026, tmp_path, config):
    from conftest import CLEAN_FIELDS

    from perfxl.io.workbook import Limits
    from perfxl.target.previous import read_previous

    make_workbook("网站.xlsx")
    make_workbook_2026("保洁.xlsx")
    _run(tmp_path)
    budgets = read_previous(tmp_path / "output" / "绩效目标汇总.xlsx", Limits.of(config.limits))
    assert budgets == {(CLEAN_FIELDS["申报单位名称"], CLEAN_FIELDS["项目名称"]): CLEAN_FIELDS["项目当年预算（元）"]}


def test_the_totals_row_adds_each_layouts_amounts_over_its_own_projects(make_workbook, make_workbook_2026, tmp_path):
    from conftest import CLEAN_FIELDS

    make_workbook("网站.xlsx")
    make_workbook_2026("保洁.xlsx")
    make_workbook_2026("绿化.xlsx", fields=dict(CLEAN_FIELDS_2026, 项目名称="绿地养护"))
    _run(tmp_path)
    totals = read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "项目汇总")[-1]
    assert totals["文件"] == "合计（3 个项目）"
    assert totals["项目总预算（元）"] == CLEAN_FIELDS["项目总预算（元）"]  # the 上海2020 project's alone
    assert totals["项目资金总额（元）"] == 2 * CLEAN_FIELDS_2026["项目资金总额（元）"]


def test_an_amount_no_project_of_the_batch_has_leaves_its_total_empty(make_workbook, tmp_path):
    from conftest import CLEAN_FIELDS

    fields = dict(CLEAN_FIELDS, **{"同名项目上年预算额（元）": None, "同名项目上年预算执行数（元）": None})
    make_workbook("网站.xlsx", fields=fields)
    _run(tmp_path)
    totals = read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "项目汇总")[-1]
    assert totals["同名项目上年预算额（元）"] is None and totals["项目总预算（元）"] == CLEAN_FIELDS["项目总预算（元）"]


def test_a_row_of_wrapped_text_is_as_high_as_its_longest_text(make_workbook, tmp_path):
    fields_hint = "很长的说明" * 40  # 200 wide characters: 14 lines in a column 30 wide
    from conftest import CLEAN_FIELDS

    make_workbook("网站.xlsx", fields=dict(CLEAN_FIELDS, 项目概况=fields_hint))
    book = _run(tmp_path)
    sheet = book["项目说明"]
    column = _header(book, "项目说明").index("项目概况") + 1
    width = sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width
    lines = 400 / (width - 1.7)  # 400 display columns over the column's room
    assert sheet.row_dimensions[2].height >= 15 * lines
    assert sheet.row_dimensions[1].height is None or sheet.row_dimensions[1].height < sheet.row_dimensions[2].height


def test_a_text_higher_than_excels_highest_row_goes_on_in_rows_below(make_workbook, tmp_path):
    from conftest import CLEAN_FIELDS

    paragraphs = [f"第{n}段，项目实施的具体内容、范围和要求说明，共计若干字。" * 3 for n in range(1, 31)]
    long_text = "\n".join(paragraphs)  # 30 paragraphs of about 80 wide characters: about 2,400
    make_workbook("网站.xlsx", fields=dict(CLEAN_FIELDS, 项目概况=long_text, 立项依据="依据甲"))
    book = _run(tmp_path)
    sheet = book["项目说明"]
    header = _header(book, "项目说明")
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert len(rows) > 2, "the text goes on in rows below"
    assert "\n".join(row["项目概况"] for row in rows) == long_text  # whole, cut only at its line breaks
    assert [row["文件"] for row in rows] == ["网站.xlsx"] * len(rows)
    assert [row["项目名称"] for row in rows[1:]] == [f"{CLEAN_FIELDS['项目名称']}（续）"] * (len(rows) - 1)
    assert rows[0]["立项依据"] == "依据甲" and {row["立项依据"] for row in rows[1:]} == {None}
    heights = [sheet.row_dimensions[r].height for r in range(2, len(rows) + 2)]
    assert max(heights) < 409 and min(heights) > 15
