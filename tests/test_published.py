"""The published forms (shared/layout-sh2026.md, layout-sh2023.md) as fixtures: their Word forms import
into the workbooks under tests/data/published/ through the CLI, as printed and with the indicator table
continued in a second table; the workbooks' findings are frozen; both 2023 projects migrate to 上海2026
workbooks that `perfxl check` passes."""

from __future__ import annotations

import docx
import pytest
from click.testing import CliRunner
from published import DATA, PUBLISHED, published_form

from perfxl.cli.main import cli
from perfxl.target.reader import read_project

FORMS = {form["name"]: form for form in PUBLISHED}
# What each form really shows, as `perfxl check` reports it: (severity, rule, cell).
FINDINGS = {
    "拆违经费": [("警告", "T15", "D2")],
    # 「补贴对象生活改善度不低于80%」 reads as ≥80% with an S07 提示 to write it so
    "就业援助基地补贴": [("警告", "T06", ""), ("提示", "S07", "D4"), ("警告", "T08", "D5")],
    "社区环境整治和建设经费": [("警告", "T06", ""), ("提示", "S07", "D4"), ("提示", "S07", "D5"), ("警告", "T08", "D5")],
}
# After perfxl migrate to 上海2026: no 一级 成本指标 is now T14.
MIGRATED = {
    "就业援助基地补贴": [("警告", "T06", ""), ("警告", "T14", ""), ("提示", "S07", "D4"), ("警告", "T08", "D5")],
    "社区环境整治和建设经费": [("警告", "T06", ""), ("警告", "T14", ""), ("提示", "S07", "D4"), ("提示", "S07", "D5"),
                    ("警告", "T08", "D5")],
}
ARRANGEMENTS = {"as printed": {}, "拆分表格": {"split": 3}, "rebuilt from the PDF": {"split": 2, "rebuilt": True}}


def _file(form: dict, suffix: str):
    return DATA / f"{form['name']}（{form['layout']}）{suffix}"


def _content(path, config) -> tuple:
    project = read_project(path, path.name, config).project
    layout = config.layout(project.layout)
    return (project.layout, {spec.name: project.get(spec.name) for spec in layout.fields},
            [(i.level1, i.level2, i.level3, i.written) for i in project.indicators])


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _findings(output: str) -> list[tuple[str, str, str]]:
    """(severity, rule, cell) of each finding line `perfxl check` printed, X02 aside (it is the batch's)."""
    found = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("错误", "警告", "提示") and parts[1] != "X02":
            found.append((parts[0], parts[1], parts[2].partition("!")[2] if "!" in parts[2] else ""))
    return found


def test_the_fixture_forms_are_what_the_builder_writes(tmp_path):
    """tests/published.py rewrites the fixtures; the committed Word forms hold what it writes."""
    for form in PUBLISHED:
        document = docx.Document()
        published_form(document, form)
        committed = docx.Document(str(_file(form, ".docx")))
        assert [[c.text for c in row.cells] for t in committed.tables for row in t.rows] == [
            [c.text for c in row.cells] for t in document.tables for row in t.rows]


@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
@pytest.mark.parametrize("name", FORMS)
def test_each_published_form_imports_with_every_field_and_indicator(tmp_path, config, name, arrangement):
    form = FORMS[name]
    document = docx.Document()
    published_form(document, form, **ARRANGEMENTS[arrangement])
    document.save(tmp_path / "form.docx")
    result = _invoke("import", str(tmp_path / "form.docx"), "--out", str(tmp_path / "input"))
    assert result.exit_code == 0, result.output
    assert "未能读取" not in result.output and "表中为空" not in result.output
    assert f"已读取（{form['layout']}）" in result.output and f"绩效指标 {len(form['indicators'])} 条" in result.output
    assert ("在后面的 1 个表格中继续" in result.output) == (arrangement != "as printed")
    [written] = (tmp_path / "input").glob("*.xlsx")
    assert _content(written, config) == _content(_file(form, ".xlsx"), config)


@pytest.mark.parametrize("name", FORMS)
def test_the_findings_of_each_published_form_are_frozen(tmp_path, name):
    form = FORMS[name]
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "x.xlsx").write_bytes(_file(form, ".xlsx").read_bytes())
    result = _invoke("check", str(tmp_path / "input"))
    assert result.exit_code == 0, result.output
    assert _findings(result.output) == FINDINGS[name]


def test_both_2023_projects_migrate_to_2026_workbooks_that_pass_the_check(tmp_path, config):
    sources = [str(_file(FORMS[name], ".docx")) for name in MIGRATED]
    result = _invoke("migrate", *sources, "--out", str(tmp_path / "input"))
    assert result.exit_code == 0, result.output
    assert "请填写（已标色并加批注）：无" in result.output
    for name, expected in MIGRATED.items():
        path = tmp_path / "input" / f"{name}.xlsx"
        layout, fields, indicators = _content(path, config)
        _, source_fields, source_indicators = _content(_file(FORMS[name], ".xlsx"), config)
        assert layout == "上海2026" and fields == source_fields and indicators == source_indicators
        single = tmp_path / name
        single.mkdir()
        (single / path.name).write_bytes(path.read_bytes())
        checked = _invoke("check", str(single))
        assert checked.exit_code == 0, checked.output
        assert _findings(checked.output) == expected


def test_a_2023_cost_indicator_becomes_the_2026_cost_heading(tmp_path, config):
    form = dict(FORMS["就业援助基地补贴"])
    form["indicators"] = [*form["indicators"][:2], ["产出指标", "成本指标", "补贴发放总成本", "≤635.1万元"],
                          *form["indicators"][2:]]
    document = docx.Document()
    published_form(document, form)
    document.save(tmp_path / "form.docx")
    assert _invoke("migrate", str(tmp_path / "form.docx"), "--out", str(tmp_path / "input")).exit_code == 0
    project = read_project(tmp_path / "input" / "就业援助基地补贴.xlsx", "x.xlsx", config).project
    assert [(i.level1, i.level2, i.level3) for i in project.indicators][:2] == [
        ("成本指标", "经济成本指标", "补贴发放总成本"), ("产出指标", "数量指标", "补贴对象申请审核完成率")]


@pytest.mark.parametrize(("year", "heading", "expected"), [
    ("2023", "项目总目标", "上海2023"), ("2026", "项目总体目标", "上海2026"), ("", "项目总目标", "上海2023"),
    ("", "项目总体目标", "上海2026")])
def test_an_untitled_form_is_told_by_its_cost_row_its_year_or_its_heading(tmp_path, config, year, heading, expected):
    """Without the title, the grid of both layouts matches: a 成本指标 under 产出指标 says 上海2023, and so
    does a 年度 within its years, and (no year printed) the heading 项目总目标; else it stays 上海2026."""
    form = dict(FORMS["就业援助基地补贴"], year=year or "2023")
    document = docx.Document()
    published_form(document, form)
    document.paragraphs[0].text = ""
    if not year:
        document.paragraphs[1].text = ""
    for cell in document.tables[0].rows[8].cells:
        if cell.text == "项目总目标":
            cell.text = heading
    document.save(tmp_path / "form.docx")
    result = _invoke("import", str(tmp_path / "form.docx"), "--out", str(tmp_path / "input"))
    assert f"已读取（{expected}）" in result.output, result.output
    form["year"] = "2026"
    form["indicators"] = [*form["indicators"], ["产出指标", "成本指标", "补贴发放总成本", "≤635.1万元"]]
    document = docx.Document()
    published_form(document, form)
    document.paragraphs[0].text = ""
    document.save(tmp_path / "cost.docx")
    result = _invoke("import", str(tmp_path / "cost.docx"), "--out", str(tmp_path / "cost"))
    assert "已读取（上海2023）" in result.output, result.output


def test_what_the_importer_could_not_read_of_a_form_is_named_when_it_migrates(tmp_path):
    form = dict(FORMS["就业援助基地补贴"], fields=dict(FORMS["就业援助基地补贴"]["fields"], overall_goal=""))
    document = docx.Document()
    published_form(document, form)
    document.save(tmp_path / "form.docx")
    result = _invoke("migrate", str(tmp_path / "form.docx"), "--out", str(tmp_path / "input"))
    assert "请注意：原 Word 表中未能读取：项目总目标：表中为空" in result.output, result.output
    assert "请填写（已标色并加批注）：项目总体目标" in result.output
