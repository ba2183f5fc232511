"""The blank standard workbooks (one per layout): the committed files match the code, and they are made for
the person filling them."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import ROOT
from openpyxl.worksheet.cell_range import MultiCellRange

from perfxl.core.config import load_config
from perfxl.target.reader import read_project
from perfxl.target.template import write_template

LAYOUTS = ["上海2020", "上海2026"]


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


@pytest.fixture(params=LAYOUTS)
def layout(request, config):
    return config.layout(request.param)


@pytest.fixture
def written(tmp_path, layout):
    path = tmp_path / "模板.xlsx"
    write_template(path, layout)
    return describe(path)


def committed(layout):
    return ROOT / "templates" / layout.workbook_template


def test_committed_template_has_the_sheets_the_code_writes(written, layout):
    assert list(describe(committed(layout))) == list(written) == ["填表说明", "项目信息", "预算", "绩效指标"]


@pytest.mark.parametrize("sheet", ["填表说明", "项目信息", "预算", "绩效指标"])
@pytest.mark.parametrize("aspect", ["cells", "validations", "freeze", "merged"])
def test_committed_template_matches_what_the_code_writes(written, layout, sheet, aspect):
    assert describe(committed(layout))[sheet][aspect] == written[sheet][aspect], "run `make template` and commit"


def test_each_template_is_marked_with_its_layout(written, layout):
    cells = written["项目信息"]["cells"]
    row = _row_of(written, "项目信息", "版式")
    assert cells[f"B{row}"][0] == layout.name


def _validation_for(described: dict, sheet: str, cell: str) -> list[str]:
    (formula,) = [f for kind, f, ranges in described[sheet]["validations"]
                  if kind == "list" and cell in MultiCellRange(ranges)]
    return formula.strip('"').split(",")


def _row_of(described: dict, sheet: str, label: str) -> int:
    return next(int(coord[1:]) for coord, (value, _) in described[sheet]["cells"].items()
                if coord.startswith("A") and str(value).lstrip("*") == label)


def test_drop_downs_come_from_the_layout(written, layout):
    for spec in (f for f in layout.fields if f.kind == "choice"):
        row = _row_of(written, "项目信息", spec.label)
        assert _validation_for(written, "项目信息", f"B{row}") == layout.choices(spec)
    assert _validation_for(written, "绩效指标", "A2") == list(layout.hierarchy)
    assert _validation_for(written, "绩效指标", "A300") == list(layout.hierarchy)
    level2 = _validation_for(written, "绩效指标", "B50")
    assert set(level2) == {name for names in layout.hierarchy.values() for name in names}


@pytest.mark.parametrize("toml", [
    '[profile]\ncategories = ["基本建设类", "运转类"]\n\n[profile.hierarchy]\n'
    '"产出指标" = ["数量指标", "质量指标"]\n"效益指标" = ["社会效益指标"]\n',
    '[layout."上海2020".profile]\ncategories = ["基本建设类", "运转类"]\n\n[layout."上海2020".profile.hierarchy]\n'
    '"产出指标" = ["数量指标", "质量指标"]\n"效益指标" = ["社会效益指标"]\n',
], ids=["profile", "layout-table"])
def test_a_custom_configuration_changes_the_lists(tmp_path, toml):
    custom = tmp_path / "perfxl.toml"
    custom.write_text(toml, encoding="utf-8")
    path = tmp_path / "模板.xlsx"
    write_template(path, load_config(custom).layout("上海2020"))
    described = describe(path)
    row = _row_of(described, "项目信息", "项目类别")
    assert _validation_for(described, "项目信息", f"B{row}") == ["基本建设类", "运转类"]
    assert _validation_for(described, "绩效指标", "A2") == ["产出指标", "效益指标"]
    assert _validation_for(described, "绩效指标", "B2") == ["数量指标", "质量指标", "社会效益指标"]


def test_required_fields_are_marked_and_others_are_not(written, layout):
    labels = {str(value) for sheet in ("项目信息", "预算")
              for coord, (value, _) in written[sheet]["cells"].items() if coord.startswith("A")}
    for spec in layout.fields:
        marked = f"*{spec.label}"
        assert (marked in labels) == (spec.need == "required"), spec.label
        assert marked in labels or spec.label in labels


def test_value_cells_carry_their_format(written, layout):
    formats = {"date": "yyyy-mm-dd", "amount": "#,##0.00", "year": "0", "text": "@", "choice": "@"}
    for spec in layout.fields:
        assert written[spec.sheet]["cells"][f"B{_row_of(written, spec.sheet, spec.label)}"][1] == formats[spec.kind]


def test_target_column_is_text_so_a_typed_formula_stays_text(written):
    cells = written["绩效指标"]["cells"]
    assert {cells[f"D{row}"][1] for row in range(2, 302)} == {"@"}


def test_standard_input_and_management_rows_are_prefilled(tmp_path, config):
    path = tmp_path / "模板.xlsx"
    write_template(path, config.layout("上海2020"))
    cells = describe(path)["绩效指标"]["cells"]
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


def test_the_2026_indicator_sheet_has_the_2026_headers(tmp_path, config):
    path = tmp_path / "模板.xlsx"
    write_template(path, config.layout("上海2026"))
    cells = describe(path)["绩效指标"]["cells"]
    assert [cells[f"{col}1"][0] for col in "ABCDE"] == ["一级指标", "二级指标", "三级指标", "指标值", "备注"]
    assert "A2" not in cells  # no standard indicators in this layout


def test_blank_template_reads_without_crash_and_reports_each_required_field(tmp_path, config, layout):
    path = tmp_path / "空白.xlsx"
    write_template(path, layout)
    result = read_project(path, path.name, config)
    assert result.project.layout == layout.name
    required = [f for f in layout.fields if f.need == "required"]
    assert sorted(f.message for f in result.findings if f.rule == "S03") == sorted(
        f"必填项「{f.label}」为空" for f in required)
    assert [i.level3 for i in result.project.indicators] == list(layout.profile.standard_indicators)


def test_a_long_list_comes_from_a_hidden_sheet(tmp_path):
    categories = [f"第{n}类市级专项资金项目支出类别（含配套）" for n in range(1, 16)]
    custom = tmp_path / "perfxl.toml"
    custom.write_text("[profile]\ncategories = [" + ", ".join(f'"{c}"' for c in categories) + "]\n", encoding="utf-8")
    path = tmp_path / "模板.xlsx"
    write_template(path, load_config(custom).layout("上海2020"))
    assert len(",".join(categories)) > 255
    book = openpyxl.load_workbook(path)
    lists = book["列表"]
    assert lists.sheet_state == "hidden"
    formulas = [v.formula1 for sheet in book.worksheets for v in sheet.data_validations.dataValidation]
    assert all(len(f) <= 255 for f in formulas)
    (ranged,) = [f for f in formulas if f.startswith("'列表'!")]
    cells = lists[ranged.split("!")[1].replace("$", "")]
    assert [row[0].value for row in cells] == categories
