"""The contract's tolerances and the S rules, on workbooks built in code and read back from the output."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from conftest import CLEAN_FIELDS, CLEAN_INDICATORS, read_sheet
from openpyxl.worksheet.cell_range import CellRange

from perfxl.target.pipeline import run
from perfxl.target.reader import read_project

REPORT = "绩效目标汇总.xlsx"


def run_batch(path, config):
    """Run the batch on the folder of `path`; the output workbook's path and the batch."""
    out = path.parent.parent / "output"
    batch = run(path.parent, out, config)
    return out / REPORT, batch


def summary_row(path, config) -> dict:
    report, _ = run_batch(path, config)
    (row,) = [r for r in read_sheet(report, "项目汇总") if r["文件"] == path.name]
    return row


def indicator_rows(path, config) -> list[tuple]:
    report, _ = run_batch(path, config)
    return [(r["一级目标"], r["二级目标"], r["三级目标"], r["指标目标值"])
            for r in read_sheet(report, "绩效指标") if r["文件"] == path.name]


def places(findings, rule) -> list[tuple[str, str]]:
    return [(f.sheet, f.cell) for f in findings if f.rule == rule]


def read(path, config):
    return read_project(path, path.name, config)


def cache_results(path, results: dict[str, str]) -> None:
    """Give formulas the cached values Excel would have saved: `results` maps formula text to its value."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for formula, value in results.items():
        empty, cached = f"<f>{formula}</f><v></v>".encode(), f"<f>{formula}</f><v>{value}</v>".encode()
        assert any(empty in data for data in parts.values()), formula
        parts = {name: data.replace(empty, cached) for name, data in parts.items()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def filled_down(rows):
    """Indicator rows with blank 一级/二级 taken from the row above (二级 only within the same 一级)."""
    expected, level1, level2 = [], "", ""
    for l1, l2, l3, target in rows:
        level2 = l2 or (level2 if not l1 or l1 == level1 else "")
        level1 = l1 or level1
        expected.append((level1, level2 or None, l3, target))
    return expected


def shift(sheet, rows: int = 0, cols: int = 0) -> None:
    """Insert `rows` rows above and `cols` columns left of everything, merged ranges moving with their cells."""
    merged = [CellRange(r.coord) for r in sheet.merged_cells.ranges]
    for cells in merged:
        sheet.unmerge_cells(cells.coord)
    if rows:
        sheet.insert_rows(1, rows)
    if cols:
        sheet.insert_cols(1, cols)
    for cells in merged:
        cells.shift(col_shift=cols, row_shift=rows)
        sheet.merge_cells(cells.coord)


def set_label(sheet, old: str, new: str) -> int:
    """Rename the label `old` in column A to `new`; its row."""
    row = next(r for r in range(1, sheet.max_row + 1) if str(sheet.cell(r, 1).value or "").lstrip("*") == old)
    sheet.cell(row, 1).value = new
    return row


def value_cell(sheet, label: str):
    row = next(r for r in range(1, sheet.max_row + 1) if str(sheet.cell(r, 1).value or "").lstrip("*") == label)
    return sheet.cell(row, 2)


# --- inserted rows and moved headers ---------------------------------------------------------------


@pytest.mark.parametrize("where", [1, 3, 8, 15])
def test_fields_are_found_by_label_wherever_rows_are_inserted(make_workbook, config, where):
    def edit(book):
        for name in ("项目信息", "预算"):
            book[name].insert_rows(where, 2)
            book[name].cell(where, 1).value = "（插入的说明行）"

    row = summary_row(make_workbook(edit=edit), config)
    assert row["项目名称"] == CLEAN_FIELDS["项目名称"]
    assert row["年度"] == CLEAN_FIELDS["年度"]
    assert row["计划完成日期"] == dt.datetime(2021, 12, 31)
    assert row["项目总预算（元）"] == CLEAN_FIELDS["项目总预算（元）"]
    assert row["同名项目上年预算执行数（元）"] == CLEAN_FIELDS["同名项目上年预算执行数（元）"]
    assert row["错误数"] == 0


@pytest.mark.parametrize(("rows", "cols"), [(0, 0), (1, 0), (5, 2), (19, 0), (0, 6)])
def test_indicator_header_is_found_in_the_first_20_rows_at_any_column(make_workbook, config, rows, cols):
    path = make_workbook(edit=lambda book: shift(book["绩效指标"], rows, cols))
    assert indicator_rows(path, config) == filled_down(CLEAN_INDICATORS)
    assert places(read(path, config).findings, "S03") == []


def test_indicator_header_below_row_20_is_not_found(make_workbook, config):
    path = make_workbook(edit=lambda book: shift(book["绩效指标"], 20))
    result = read(path, config)
    assert places(result.findings, "S03") == [("绩效指标", "")]
    assert result.project.indicators == []


# --- labels -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "written"), [
    ("项目名称", "项目名称："),
    ("项目名称", "*项目名称:"),
    ("项目名称", "项 目 名 称"),
    ("项目名称", "\u3000项目名称\u3000"),
    ("项目名称", "项目名称 *"),
    ("项目总预算（元）", "项目总预算(元)："),
    ("项目当年预算（元）", "*项目当年预算(元)"),
    ("同名项目上年预算额（元）", " 同名项目上年预算额(元) : "),
])
def test_label_spellings_are_tolerated(make_workbook, config, label, written):
    def edit(book):
        for sheet in ("项目信息", "预算"):
            try:
                set_label(book[sheet], label, written)
            except StopIteration:
                continue

    row = summary_row(make_workbook(edit=edit), config)
    assert row[label] == CLEAN_FIELDS[label]
    assert row["错误数"] == 0


def test_value_merged_across_columns_is_read(make_workbook, config):
    text = "第一行\n第二行：很长的项目概况" * 5

    def edit(book):
        cell = value_cell(book["项目信息"], "项目概况")
        cell.value = text
        book["项目信息"].merge_cells(start_row=cell.row, start_column=2, end_row=cell.row, end_column=6)

    result = read(make_workbook(edit=edit), config)
    assert result.project.overview == text
    assert places(result.findings, "S05") == []


# --- merged and blank 一级/二级 cells --------------------------------------------------------------


def test_blank_level1_and_level2_are_filled_down(make_workbook, config):
    indicators = [
        ["投入与管理", "投入管理", "资金到位率", "100%"],
        ["", "财务管理", "资金使用规范性", "合规"],
        ["", "", "资金使用及时性", "及时"],
        ["产出目标", "数量", "新增文献记录", "≥30000条"],
        ["", "", "新增专题", "≥5个"],
        ["", "质量", "数据库可用率", "≥99%"],
    ]
    path = make_workbook(indicators=indicators)
    assert indicator_rows(path, config) == [
        ("投入与管理", "投入管理", "资金到位率", "100%"),
        ("投入与管理", "财务管理", "资金使用规范性", "合规"),
        ("投入与管理", "财务管理", "资金使用及时性", "及时"),
        ("产出目标", "数量", "新增文献记录", "≥30000条"),
        ("产出目标", "数量", "新增专题", "≥5个"),
        ("产出目标", "质量", "数据库可用率", "≥99%"),
    ]


def test_level2_is_not_carried_into_a_new_level1(make_workbook, config):
    indicators = [["产出目标", "时效", "故障响应时间", "≤24小时"], ["效果目标", "", "年检索量", "≥50万次"]]
    result = read(make_workbook(indicators=indicators), config)
    assert [(i.level1, i.level2) for i in result.project.indicators] == [("产出目标", "时效"), ("效果目标", "")]


def test_merged_level2_cells_are_filled_down(make_workbook, config):
    indicators = [
        ["产出目标", "数量", "新增文献记录", "≥30000条"],
        ["", "", "新增专题", "≥5个"],
        ["", "", "新增图片", "≥100张"],
        ["", "质量", "数据库可用率", "≥99%"],
    ]

    def edit(book):
        book["绩效指标"].merge_cells("B2:B4")

    result = read(make_workbook(indicators=indicators, edit=edit), config)
    assert [(i.level1, i.level2, i.level3) for i in result.project.indicators] == [
        ("产出目标", "数量", "新增文献记录"), ("产出目标", "数量", "新增专题"),
        ("产出目标", "数量", "新增图片"), ("产出目标", "质量", "数据库可用率"),
    ]


def test_rows_with_all_four_cells_blank_are_skipped(make_workbook, config):
    def edit(book):
        book["绩效指标"].insert_rows(4, 2)

    result = read(make_workbook(edit=edit), config)
    assert [i.level3 for i in result.project.indicators] == [row[2] for row in CLEAN_INDICATORS]


# --- amounts, dates, years -------------------------------------------------------------------------


@pytest.mark.parametrize("written", [1338310, 1338310.0, "1338310", "1,338,310", "1338310元", "１３３８３１０"])
def test_amount_forms_reach_the_summary(make_workbook, config, clean_project, written):
    fields, _ = clean_project
    fields.update({"项目总预算（元）": written, "项目当年预算（元）": written})
    row = summary_row(make_workbook(fields=fields), config)
    assert row["项目总预算（元）"] == 1338310
    assert row["项目当年预算（元）"] == 1338310


@pytest.mark.parametrize("written", [
    dt.date(2021, 3, 1), dt.datetime(2021, 3, 1), "2021-03-01", "2021/3/1", "2021.3.1", "2021年3月1日",
    "20210301", 20210301,
])
def test_date_forms_reach_the_summary(make_workbook, config, clean_project, written):
    fields, _ = clean_project
    fields["计划开始日期"] = written
    row = summary_row(make_workbook(fields=fields), config)
    assert row["计划开始日期"] == dt.datetime(2021, 3, 1)
    assert row["错误数"] == 0


@pytest.mark.parametrize("number_format", ["General", "yyyy-mm-dd", "0"])
def test_a_date_given_as_a_serial_number_is_read(make_workbook, config, number_format):
    def edit(book):
        cell = value_cell(book["项目信息"], "计划开始日期")
        cell.value = 44256  # 2021-03-01
        cell.number_format = number_format

    result = read(make_workbook(edit=edit), config)
    assert result.project.start_date == dt.date(2021, 3, 1)
    assert places(result.findings, "S04") == []


@pytest.mark.parametrize("written", [2021, "2021", "2021年", "2021年度"])
def test_year_forms_reach_the_summary(make_workbook, config, clean_project, written):
    fields, _ = clean_project
    fields["年度"] = written
    row = summary_row(make_workbook(fields=fields), config)
    assert row["年度"] == 2021
    assert row["错误数"] == 0


# --- 预算明细 and 备注 --------------------------------------------------------------------------------


def test_budget_lines_are_read_until_the_first_empty_item(make_workbook, config):
    lines = [["开发", "600,000", "合同"], ["运维", 400000, None], [None, None, None], ["（表外）", 5, "不读"]]
    path = make_workbook(budget_lines=lines)
    report, batch = run_batch(path, config)
    assert [(r["明细项目"], r["金额（元）"], r["说明"]) for r in read_sheet(report, "预算明细")] == [
        ("开发", 600000, "合同"), ("运维", 400000, None)]
    assert [f.rule for f in batch.findings if f.rule.startswith("B09")] == []


def test_budget_lines_without_the_header_are_none(make_workbook, config):
    def edit(book):
        set_label(book["预算"], "明细项目", "")

    assert read(make_workbook(edit=edit), config).project.budget_lines == []


def test_note_column_is_read_when_present(make_workbook, config):
    def edit(book):
        book["绩效指标"]["E3"] = "按季度统计"

    project = read(make_workbook(edit=edit), config).project
    assert project.indicator_columns["note"] == "E"
    assert [i.note for i in project.indicators][:2] == ["", "按季度统计"]


def test_without_note_header_column_e_is_ignored(make_workbook, config):
    def edit(book):
        book["绩效指标"]["E1"] = None
        book["绩效指标"]["E3"] = "不是备注"

    project = read(make_workbook(edit=edit), config).project
    assert "note" not in project.indicator_columns
    assert {i.note for i in project.indicators} == {""}


# --- S rules: each fires where it should, and a near-miss does not ---------------------------------


@pytest.mark.parametrize(("sheet", "renamed"), [("项目信息", "项目信息表"), ("预算", "Sheet2"), ("绩效指标", None)])
def test_s02_missing_or_renamed_sheet(make_workbook, config, sheet, renamed):
    def edit(book):
        if renamed:
            book[sheet].title = renamed
        else:
            del book[sheet]

    path = make_workbook(edit=edit)
    result = read(path, config)
    assert places(result.findings, "S02") == [(sheet, "")]
    report, _ = run_batch(path, config)
    assert [(r["状态"]) for r in read_sheet(report, "处理清单")] == ["失败"]


def test_s02_near_miss_sheet_name_with_spaces(make_workbook, config):
    def edit(book):
        book["预算"].title = " 预 算 "

    result = read(make_workbook(edit=edit), config)
    assert places(result.findings, "S02") == []
    assert result.project.total_budget == CLEAN_FIELDS["项目总预算（元）"]


@pytest.mark.parametrize(("label", "sheet", "cell"), [
    ("项目名称", "项目信息", "B4"), ("计划完成日期", "项目信息", "B7"), ("项目当年预算（元）", "预算", "B3")])
def test_s03_empty_required_field(make_workbook, config, clean_project, label, sheet, cell):
    fields, _ = clean_project
    fields[label] = ""
    result = read(make_workbook(fields=fields), config)
    assert places(result.findings, "S03") == [(sheet, cell)]


@pytest.mark.parametrize("label", ["同名项目上年预算额（元）", "同名项目上年预算执行数（元）"])
def test_s03_near_miss_optional_amount_left_empty(make_workbook, config, clean_project, label):
    fields, _ = clean_project
    fields[label] = ""
    result = read(make_workbook(fields=fields), config)
    assert places(result.findings, "S03") == []


def test_s03_label_missing(make_workbook, config):
    result = read(make_workbook(edit=lambda book: set_label(book["项目信息"], "绩效类型", "类型")), config)
    assert places(result.findings, "S03") == [("项目信息", "")]
    assert "绩效类型" in next(f.message for f in result.findings if f.rule == "S03")


@pytest.mark.parametrize(("label", "written", "cell"), [
    ("计划开始日期", "明年一月", "B6"), ("计划完成日期", "2021-02-30", "B7"), ("年度", "二〇二一", "B2"),
    ("项目总预算（元）", "约一百万", "B2"), ("同名项目上年预算额（元）", "95万美元", "B4"),
])
def test_s04_unparseable_value(make_workbook, config, clean_project, label, written, cell):
    fields, _ = clean_project
    fields[label] = written
    result = read(make_workbook(fields=fields), config)
    sheet = "预算" if "预算" in label else "项目信息"
    assert places(result.findings, "S04") == [(sheet, cell)]
    assert written in next(f.message for f in result.findings if f.rule == "S04")


def test_s04_unparseable_budget_line_amount(make_workbook, config):
    result = read(make_workbook(budget_lines=[["开发", "六十万", ""]]), config)
    assert places(result.findings, "S04") == [("预算", "B8")]


@pytest.mark.parametrize(("label", "written"), [
    ("计划开始日期", "2021年1月1日"), ("年度", "2021年度"), ("项目总预算（元）", "1,000,000元")])
def test_s04_near_miss_tolerated_forms(make_workbook, config, clean_project, label, written):
    fields, _ = clean_project
    fields[label] = written
    assert places(read(make_workbook(fields=fields), config).findings, "S04") == []


@pytest.mark.parametrize(("label", "cell"), [("项目概况", "B10"), ("总目标及阶段性目标", "B15")])
def test_s05_empty_recommended_text(make_workbook, config, clean_project, label, cell):
    fields, _ = clean_project
    fields[label] = "   "
    findings = read(make_workbook(fields=fields), config).findings
    assert places(findings, "S05") == [("项目信息", cell)]
    assert {f.severity for f in findings if f.rule == "S05"} == {"警告"}


def test_s05_near_miss_short_text(make_workbook, config, clean_project):
    fields, _ = clean_project
    fields["立项依据"] = "无"
    assert places(read(make_workbook(fields=fields), config).findings, "S05") == []


@pytest.mark.parametrize(("sheet", "cell", "required"), [
    ("预算", "B2", True),  # 项目总预算（元）
    ("项目信息", "B4", True),  # 项目名称
    ("项目信息", "B10", False),  # 项目概况: recommended, its value is only unknown
    ("预算", "B8", False),  # first 预算明细 amount
    ("绩效指标", "C3", False),  # a 三级目标
])
def test_s06_formula_without_cached_value(make_workbook, config, sheet, cell, required):
    """A required field whose value is unknown is also an S03: the project must not pass on it."""
    def edit(book):
        book[sheet][cell].value = "=B3"  # saved by openpyxl: a formula with no cached value

    result = read(make_workbook(budget_lines=[["开发", 600000, "合同"]], edit=edit), config)
    assert places(result.findings, "S06") == [(sheet, cell)]
    assert places(result.findings, "S03") == ([(sheet, cell)] if required else [])


def test_required_fields_without_cached_values_fail_and_write_no_form(make_workbook, config, tmp_path):
    def edit(book):
        book["项目信息"]["B4"].value = '=""&B3'  # 项目名称
        book["预算"]["B3"].value = "=B2"  # 项目当年预算（元）

    row = summary_row(make_workbook(edit=edit), config)
    assert (row["状态"], row["目标表"]) == ("未通过", None)
    assert not list((tmp_path / "output").rglob("*.docx"))


def test_s06_near_miss_formula_with_cached_value(make_workbook, config):
    def edit(book):
        book["预算"]["B2"].value = "=B3"

    path = make_workbook(edit=edit)
    cache_results(path, {"B3": "1000000"})
    result = read(path, config)
    assert places(result.findings, "S06") == []
    assert result.project.total_budget == 1000000


def test_s06_near_miss_text_that_looks_like_a_formula(make_workbook, config, clean_project):
    fields, _ = clean_project
    fields["项目概况"] = "=见附件"
    result = read(make_workbook(fields=fields), config)
    assert places(result.findings, "S06") == []
    assert result.project.overview == "=见附件"


@pytest.mark.parametrize("written", ["> =3000条", "≥３０００条", "<p>≥3000条</p>", "＞＝ 3,000 条"])
def test_s07_target_normalised(make_workbook, config, written):
    indicators = CLEAN_INDICATORS[:4] + [["产出目标", "数量", "新增文献记录", written]] + CLEAN_INDICATORS[5:]
    path = make_workbook(indicators=indicators)
    assert places(read(path, config).findings, "S07") == [("绩效指标", "D6")]
    report, _ = run_batch(path, config)
    target = read_sheet(report, "绩效指标")[4]
    assert (target["比较符"], target["数值"], target["单位"], target["性质"]) == ("≥", 3000, "条", "定量")


@pytest.mark.parametrize("written", ["≥3000条", ">=3000条", "合规"])
def test_s07_near_miss_usual_target(make_workbook, config, written):
    indicators = CLEAN_INDICATORS[:4] + [["产出目标", "数量", "新增文献记录", written]] + CLEAN_INDICATORS[5:]
    assert places(read(make_workbook(indicators=indicators), config).findings, "S07") == []


def test_s07_markup_stripped_from_text_field(make_workbook, config, clean_project):
    fields, _ = clean_project
    fields["项目概况"] = "<p>维护科技文献数据库</p><p>保障全年稳定运行</p>"
    result = read(make_workbook(fields=fields), config)
    assert places(result.findings, "S07") == [("项目信息", "B10")]
    assert result.project.overview == "维护科技文献数据库\n保障全年稳定运行"


def test_s07_other_read_as_its_synonym(make_workbook, config):
    indicators = CLEAN_INDICATORS + [["", "其他", "档案完整性", "完整"]]
    result = read(make_workbook(indicators=indicators), config)
    assert places(result.findings, "S07") == [("绩效指标", "B12")]
    assert result.project.indicators[-1].level2 == "其它"


def test_s07_near_miss_synonym_already_used(make_workbook, config):
    indicators = CLEAN_INDICATORS + [["", "其它", "档案完整性", "完整"]]
    assert places(read(make_workbook(indicators=indicators), config).findings, "S07") == []


def test_s07_target_excel_turned_into_a_formula_is_read_as_typed(make_workbook, config):
    def edit(book):
        cell = book["绩效指标"]["D10"]
        cell.value = "=95%"
        cell.data_type = "f"  # what Excel does with a typed =95% in a General cell

    path = make_workbook(edit=edit)
    result = read(path, config)
    assert places(result.findings, "S07") == [("绩效指标", "D10")]
    assert places(result.findings, "S06") == []
    report, _ = run_batch(path, config)
    row = read_sheet(report, "绩效指标")[8]
    assert (row["三级目标"], row["指标目标值"], row["比较符"], row["数值"], row["单位"]) == (
        "用户满意度", "=95%", "=", 95, "%")


def test_s07_formula_target_saved_by_excel_with_its_result_is_read_as_typed(make_workbook, config):
    def edit(book):
        book["绩效指标"]["D10"].value = "=95%"

    path = make_workbook(edit=edit)
    cache_results(path, {"95%": "0.95"})
    result = read(path, config)
    assert places(result.findings, "S07") == [("绩效指标", "D10")]
    assert (result.project.indicators[8].written, result.project.indicators[8].value) == ("=95%", 95)


def test_s07_near_miss_target_typed_as_text(make_workbook, config):
    indicators = [*CLEAN_INDICATORS[:8], ["", "满意度", "用户满意度", "=95%"], CLEAN_INDICATORS[9]]
    result = read(make_workbook(indicators=indicators), config)
    assert places(result.findings, "S07") == []
    assert result.project.indicators[8].written == "=95%"


def test_a_percentage_stored_as_a_number_reads_as_typed_with_s07(make_workbook, config, tmp_path):
    """Typed `95%` into a General cell: Excel keeps the number 0.95 formatted `0%`."""

    def as_number(book):
        cell = book["绩效指标"]["D10"]
        cell.value, cell.number_format = 0.95, "0%"

    make_workbook("百分比.xlsx", edit=as_number)
    result = read_project(tmp_path / "input" / "百分比.xlsx", "百分比.xlsx", config)
    satisfaction = result.project.indicators[8]
    assert (satisfaction.written, satisfaction.operator, satisfaction.value, satisfaction.unit_of_measure) == \
        ("95%", "=", 95, "%")
    assert [(f.rule, f.cell) for f in result.findings] == [("S07", "D10")]


def test_a_plain_number_target_is_not_taken_for_a_percentage(make_workbook, config, tmp_path):
    def as_number(book):
        book["绩效指标"]["D6"].value = 30000

    make_workbook("数字.xlsx", edit=as_number)
    result = read_project(tmp_path / "input" / "数字.xlsx", "数字.xlsx", config)
    assert result.project.indicators[4].written == "30000"
    assert result.findings == []


def test_a_year_in_a_date_formatted_cell_says_so(make_workbook, clean_project, config, tmp_path):
    fields, _ = clean_project
    fields["年度"] = dt.datetime(1905, 7, 13)  # 2021 typed into a cell formatted as a date
    make_workbook("年度.xlsx", fields=fields)
    result = read_project(tmp_path / "input" / "年度.xlsx", "年度.xlsx", config)
    [s04] = [f for f in result.findings if f.rule == "S04"]
    assert "日期格式" in s04.message and s04.cell == "B2"
