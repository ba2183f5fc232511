"""The blank standard workbook: the committed file matches the code, and it is made for the person filling it."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import ROOT
from openpyxl.worksheet.cell_range import MultiCellRange

from perfxl.config import load_config
from perfxl.model import FIELDS
from perfxl.reader import read_project
from perfxl.template import write_template

COMMITTED = ROOT / "templates" / "绩效目标申报表.xlsx"


def describe(path) -> dict:
    """Everything a user meets in the workbook, sheet by sheet: cells, formats, drop-downs, frozen panes."""
    book = openpyxl.load_workbook(path)
    described = {}
    for sheet in book.worksheets:
        described[sheet.title] = {
            "cells": {c.coordinate: (c.value, c.number_format) for row in sheet.iter_rows() for c in row
                      if c.value is not None or c.number_format != "General"},
            "validations": sorted((v.type, v.formula1, str(v.sqref)) for v in sheet.data_validations.dataValidation),
            "freeze": sheet.freeze_panes,
            "merged": sorted(r.coord for r in sheet.merged_cells.ranges),
        }
    return described


@pytest.fixture
def written(tmp_path, config):
    path = tmp_path / "模板.xlsx"
    write_template(path, config)
    return describe(path)


def test_committed_template_has_the_sheets_the_code_writes(written):
    assert list(describe(COMMITTED)) == list(written) == ["填表说明", "项目信息", "预算", "绩效指标"]


@pytest.mark.parametrize("sheet", ["填表说明", "项目信息", "预算", "绩效指标"])
@pytest.mark.parametrize("aspect", ["cells", "validations", "freeze", "merged"])
def test_committed_template_matches_what_the_code_writes(written, sheet, aspect):
    assert describe(COMMITTED)[sheet][aspect] == written[sheet][aspect], "run `make template` and commit"


def _validation_for(described: dict, sheet: str, cell: str) -> list[str]:
    (formula,) = [f for kind, f, ranges in described[sheet]["validations"]
                  if kind == "list" and cell in MultiCellRange(ranges)]
    return formula.strip('"').split(",")


def _row_of(described: dict, sheet: str, label: str) -> int:
    return next(int(coord[1:]) for coord, (value, _) in described[sheet]["cells"].items()
                if coord.startswith("A") and str(value).lstrip("*") == label)


def test_drop_downs_come_from_the_configuration(written, config):
    info_row = {label: _row_of(written, "项目信息", label) for label in ("项目类别", "是否含有政府购买服务")}
    assert _validation_for(written, "项目信息", f"B{info_row['项目类别']}") == config.profile["categories"]
    assert _validation_for(written, "项目信息", f"B{info_row['是否含有政府购买服务']}") == ["是", "否"]
    assert _validation_for(written, "绩效指标", "A2") == list(config.hierarchy)
    assert _validation_for(written, "绩效指标", "A300") == list(config.hierarchy)
    level2 = _validation_for(written, "绩效指标", "B50")
    assert set(level2) == {name for names in config.hierarchy.values() for name in names}


def test_a_custom_configuration_changes_the_lists(tmp_path):
    custom = tmp_path / "perfxl.toml"
    custom.write_text('[profile]\ncategories = ["基本建设类", "运转类"]\n\n[profile.hierarchy]\n'
                      '"产出指标" = ["数量指标", "质量指标"]\n"效益指标" = ["社会效益指标"]\n', encoding="utf-8")
    path = tmp_path / "模板.xlsx"
    write_template(path, load_config(custom))
    described = describe(path)
    row = _row_of(described, "项目信息", "项目类别")
    assert _validation_for(described, "项目信息", f"B{row}") == ["基本建设类", "运转类"]
    assert _validation_for(described, "绩效指标", "A2") == ["产出指标", "效益指标"]
    assert _validation_for(described, "绩效指标", "B2") == ["数量指标", "质量指标", "社会效益指标"]


def test_required_fields_are_marked_and_others_are_not(written):
    labels = {str(value) for sheet in ("项目信息", "预算")
              for coord, (value, _) in written[sheet]["cells"].items() if coord.startswith("A")}
    for spec in FIELDS:
        marked = f"*{spec.label}"
        assert (marked in labels) == (spec.need == "required"), spec.label
        assert marked in labels or spec.label in labels


@pytest.mark.parametrize(("sheet", "label", "number_format"), [
    ("项目信息", "计划开始日期", "yyyy-mm-dd"), ("项目信息", "计划完成日期", "yyyy-mm-dd"),
    ("预算", "项目总预算（元）", "#,##0.00"), ("预算", "同名项目上年预算执行数（元）", "#,##0.00"),
    ("项目信息", "项目名称", "@"),
])
def test_value_cells_carry_their_format(written, sheet, label, number_format):
    assert written[sheet]["cells"][f"B{_row_of(written, sheet, label)}"][1] == number_format


def test_target_column_is_text_so_a_typed_formula_stays_text(written):
    cells = written["绩效指标"]["cells"]
    assert {cells[f"D{row}"][1] for row in range(2, 302)} == {"@"}


def test_standard_input_and_management_rows_are_prefilled(written, config):
    cells = written["绩效指标"]["cells"]
    rows = [tuple(cells.get(f"{col}{row}", (None,))[0] for col in "ABCD") for row in range(1, 6)]
    assert rows == [
        ("一级目标", "二级目标", "三级目标", "指标目标值"),
        ("投入与管理", "投入管理", "资金到位率", "100%"),
        (None, "财务管理", "资金使用规范性", "合规"),
        (None, "实施管理", "管理制度健全性", "健全"),
        (None, "资产管理", "资产使用合规性", "合规"),
    ]
    assert cells["E1"][0] == "备注"


def test_guide_sheet_explains_how_to_fill(written):
    text = "\n".join(str(v) for v, _ in written["填表说明"]["cells"].values())
    assert "填表说明" in text and "*" in text and "下拉" in text


def test_blank_template_reads_without_crash_and_reports_each_required_field(tmp_path, config):
    path = tmp_path / "空白.xlsx"
    write_template(path, config)
    result = read_project(path, path.name, config)
    required = [f for f in FIELDS if f.need == "required"]
    assert sorted(f.message for f in result.findings if f.rule == "S03") == sorted(
        f"必填项「{f.label}」为空" for f in required)
    assert [i.level3 for i in result.project.indicators] == list(config.profile["standard_indicators"])
