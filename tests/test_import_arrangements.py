"""perfxl import of the published arrangements, through the CLI: what cannot be read is marked in the
workbook (fill and comment) and 「表中为空」 is said only of an empty cell; the two 其他资金 of one row go to
their blocks; a project the target folder already holds is skipped when the same, refused when different
(written over with --replace), so that the next run never meets X01."""

from __future__ import annotations

import copy

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from published import PUBLISHED, published_form

from perfxl.cli.main import cli
from perfxl.convert.form_book import TO_FILL
from perfxl.target.reader import read_project

SAMPLE = next(form for form in PUBLISHED if form["name"] == "拆违经费")


def _form(tmp_path, name: str = "form.docx", edit=None, **arrangement):
    form = copy.deepcopy(SAMPLE)
    if edit:
        edit(form)
    document = docx.Document()
    published_form(document, form, **arrangement)
    document.save(tmp_path / name)
    return tmp_path / name


def _import(*args: str):
    return CliRunner().invoke(cli, ["import", *args])


def _cell(path, config, name: str):
    project = read_project(path, path.name, config).project
    spec = config.layout(project.layout).field(name)
    return project, openpyxl.load_workbook(path)[spec.sheet][project.cells[name]]


def test_an_empty_goal_is_said_to_be_empty_and_marked(tmp_path, config):
    path = _form(tmp_path, edit=lambda form: form["fields"].update(annual_goal=""))
    result = _import(str(path), "--out", str(tmp_path / "input"))
    assert "未能读取：年度总体目标：表中为空" in result.output
    project, cell = _cell(tmp_path / "input" / "拆违经费.xlsx", config, "annual_goal")
    assert project.annual_goal is None and project.overall_goal == SAMPLE["fields"]["overall_goal"]
    assert cell.fill.fgColor.rgb.endswith(TO_FILL.fgColor.rgb[-6:]) and "表中为空" in cell.comment.text


def test_a_goal_heading_without_its_text_row_is_not_called_empty(tmp_path, config):
    """The heading row is the form's last row: the label is there, its value cell is not."""
    path = _form(tmp_path)
    document = docx.Document(str(path))
    table = document.tables[0]
    for row in list(table.rows)[9:]:  # the goal texts and the indicator table
        row._tr.getparent().remove(row._tr)
    document.save(path)
    result = _import(str(path), "--out", str(tmp_path / "input"))
    assert "表中为空" not in result.output
    assert "未能读取：项目总体目标：找到了标签，但没有找到它的内容" in result.output
    _, cell = _cell(tmp_path / "input" / "拆违经费.xlsx", config, "overall_goal")
    assert cell.value is None and "没有找到它的内容" in cell.comment.text


def test_an_unreadable_date_is_written_as_printed_and_marked(tmp_path, config):
    path = _form(tmp_path, edit=lambda form: form["fields"].update(end_date="2026年底"))
    result = _import(str(path), "--out", str(tmp_path / "input"))
    assert "计划完成日期：「2026年底」" in result.output
    workbook = tmp_path / "input" / "拆违经费.xlsx"
    sheet = openpyxl.load_workbook(workbook)["项目信息"]
    [cell] = [row[1] for row in sheet.iter_rows() if row[0].value == "*计划完成日期"]
    assert cell.value == "2026年底" and "无法识别" in cell.comment.text


def test_the_two_other_funds_of_one_row_go_to_their_blocks(tmp_path, config):
    def funds(form):
        form["fields"].update(project_funds="10,308,000.50", project_fiscal_funds="10,000,000.00",
                              project_other_funds="308,000.50", annual_funds="3,498,000.00",
                              annual_appropriation="3,000,000.00", carryover="400,000.00", annual_other_funds="98,000.00")

    result = _import(str(_form(tmp_path, edit=funds)), "--out", str(tmp_path / "input"))
    assert result.exit_code == 0, result.output
    project = read_project(tmp_path / "input" / "拆违经费.xlsx", "x.xlsx", config).project
    assert (project.project_other_funds, project.annual_other_funds, project.carryover) == (308000.5, 98000, 400000)


def test_importing_the_same_form_again_is_skipped(tmp_path):
    path = _form(tmp_path)
    assert _import(str(path), "--out", str(tmp_path / "input")).exit_code == 0
    again = _import(str(path), "--out", str(tmp_path / "input"))
    assert again.exit_code == 0, again.output
    assert "已跳过：与已有的 拆违经费.xlsx 内容相同，未重复写入" in again.output and "内容相同已跳过 1 个" in again.output
    assert [p.name for p in (tmp_path / "input").glob("*.xlsx")] == ["拆违经费.xlsx"]


@pytest.fixture
def unit_folder(tmp_path):
    """input/ holding the unit's own workbook of the project, under a name of its own, and a changed form."""
    _import(str(_form(tmp_path, "own.docx")), "--out", str(tmp_path / "input"))
    (tmp_path / "input" / "拆违经费.xlsx").rename(tmp_path / "input" / "2026 拆违（定稿）.xlsx")
    changed = _form(tmp_path, edit=lambda form: form["fields"].update(annual_goal="完成年度拆违任务。"))
    return tmp_path / "input", changed


def test_a_different_form_of_a_project_the_folder_holds_is_refused(unit_folder):
    folder, changed = unit_folder
    own = (folder / "2026 拆违（定稿）.xlsx").read_bytes()
    result = _import(str(changed), "--out", str(folder))
    assert result.exit_code == 1
    assert "未写入：input 中已有该项目（2026 拆违（定稿）.xlsx），内容不同" in result.output and "--replace" in result.output
    assert [p.name for p in folder.glob("*.xlsx")] == ["2026 拆违（定稿）.xlsx"]
    assert (folder / "2026 拆违（定稿）.xlsx").read_bytes() == own
    checked = CliRunner().invoke(cli, ["check", str(folder)])
    assert checked.exit_code == 0 and "X01" not in checked.output


def test_replace_writes_the_form_over_the_workbook_that_held_the_project(unit_folder, config):
    folder, changed = unit_folder
    result = _import(str(changed), "--out", str(folder), "--replace")
    assert result.exit_code == 0, result.output
    assert "已按 --replace 用导入的内容替换 2026 拆违（定稿）.xlsx" in result.output
    assert [p.name for p in folder.glob("*.xlsx")] == ["2026 拆违（定稿）.xlsx"]
    assert read_project(folder / "2026 拆违（定稿）.xlsx", "x", config).project.annual_goal == "完成年度拆违任务。"
    assert "X01" not in CliRunner().invoke(cli, ["check", str(folder)]).output


def test_a_form_without_its_indicator_table_has_the_table_marked(tmp_path):
    path = _form(tmp_path)
    document = docx.Document(str(path))
    for row in list(document.tables[0].rows)[10:]:
        row._tr.getparent().remove(row._tr)
    document.save(path)
    result = _import(str(path), "--out", str(tmp_path / "input"))
    assert "未能读取：绩效指标：未找到指标表（表头：一级指标、二级指标、三级指标、指标值）" in result.output
    sheet = openpyxl.load_workbook(tmp_path / "input" / "拆违经费.xlsx")["绩效指标"]
    assert "未找到指标表" in sheet["A2"].comment.text and sheet["D2"].fill.fill_type == "solid"


def test_two_other_funds_in_one_column_go_to_their_blocks(tmp_path, config):
    """A re-typed form: the funds in a 4-column grid, 年度资金 under 项目资金, the second 其他资金 in the
    right-hand column where no total heads a block."""
    form = copy.deepcopy(SAMPLE)
    document = docx.Document()
    published_form(document, form)
    funds = document.add_table(rows=4, cols=4)
    for row, texts in enumerate([("项目资金总额", "10,308,000.50", "其中：财政资金", "10,000,000.00"),
                                 ("其他资金", "308,000.50", "", ""),
                                 ("年度资金申请总额", "3,498,000.00", "其中：当年财政拨款", "3,000,000.00"),
                                 ("上年结转资金", "400,000.00", "其他资金", "98,000.00")]):
        for col, text in enumerate(texts):
            funds.cell(row, col).text = text
    table = document.tables[0]._tbl
    for row in list(document.tables[0].rows)[4:8]:  # the printed funds rows give way to the re-typed grid
        table.remove(row._tr)
    table.addprevious(funds._tbl)
    document.save(tmp_path / "form.docx")
    result = _import(str(tmp_path / "form.docx"), "--out", str(tmp_path / "input"))
    assert result.exit_code == 0 and "出现多次" not in result.output, result.output
    project = read_project(tmp_path / "input" / "拆违经费.xlsx", "x.xlsx", config).project
    assert (project.project_other_funds, project.annual_other_funds, project.carryover) == (308000.5, 98000, 400000)


def test_unreadable_workbooks_in_the_target_folder_do_not_stop_the_import(tmp_path):
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04" + bytes(100))
    (folder / "notes.xlsx").write_bytes(b"not a workbook")
    result = _import(str(_form(tmp_path)), "--out", str(folder))
    assert result.exit_code == 0, result.output
    assert (folder / "拆违经费.xlsx").is_file() and (folder / "broken.xlsx").read_bytes().startswith(b"PK")


def test_two_differing_filed_forms_of_one_project_are_named_by_selfeval_prepare(tmp_path):
    """selfeval prepare reads filed Word forms through the importer, which writes one workbook per
    project: the second, differing form is named as not used, not silently left out."""
    filed = tmp_path / "归档"
    filed.mkdir()
    _form(filed, "a.docx")
    _form(filed, "b.docx", edit=lambda form: form["fields"].update(annual_goal="完成年度拆违任务。"))
    result = CliRunner().invoke(cli, ["selfeval", "prepare", str(filed), "--out", str(tmp_path / "自评"),
                                      "--year", "2026"])
    assert result.exit_code == 1
    assert "未读取：b.docx：与另一份目标表是同一项目、内容不同，未使用" in result.output, result.output
