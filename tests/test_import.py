"""perfxl import: Word target tables built here with python-docx, imported, and read back as workbooks."""

from __future__ import annotations

import datetime as dt

import docx
import openpyxl
import pytest
from builders import bad_documents
from click.testing import CliRunner
from conftest import CLEAN_FIELDS, CLEAN_INDICATORS, ROOT, SAMPLES, SEED

from perfxl.cli.main import cli
from perfxl.convert.form_book import shift_year
from perfxl.convert.importer import import_document
from perfxl.core.config import shipped_layout
from perfxl.target.reader import read_project

FIELDS = shipped_layout("上海2020").fields
INDICATOR_HEADERS = [c.header for c in shipped_layout("上海2020").columns if not c.optional]

INFO_PAIRS = [("项目名称", "项目类别"), ("计划开始日期", "计划完成日期"), ("是否含有政府购买服务", "绩效类型")]
LONG_TEXTS = ["项目概况", "立项依据", "项目设立的必要性", "保证项目实施的制度、措施", "项目实施计划", "总目标及阶段性目标"]
BUDGET_PAIRS = [("项目总预算（元）", "项目当年预算（元）"), ("同名项目上年预算额（元）", "同名项目上年预算执行数（元）")]


def _put(cell, text) -> None:
    """Write text into a cell, one paragraph per line, as Word does."""
    first, *more = str(text).split("\n")
    cell.text = first
    for line in more:
        cell.add_paragraph(line)


def _runs(indicators: list[list[str]], col: int) -> list[tuple[int, int]]:
    """(first, end) indicator indexes of each 一级 (col 0) or 二级 (col 1) group: a group starts at text."""
    starts = [i for i, row in enumerate(indicators) if i == 0 or row[col] or row[0]]
    return list(zip(starts, [*starts[1:], len(indicators)], strict=True))


def _merged_indicator_table(document, indicators: list[list[str]]) -> None:
    """The printed form's indicator table: 一级 and 二级 groups vertically merged (w:vMerge)."""
    table = document.add_table(rows=1, cols=4)
    for cell, header in zip(table.rows[0].cells, INDICATOR_HEADERS, strict=True):
        cell.text = header
    for row in indicators:
        cells = table.add_row().cells
        cells[2].text, cells[3].text = row[2], row[3]
    for col in (0, 1):
        for first, end in _runs(indicators, col):
            top = table.cell(first + 1, col)
            if end - first > 1:
                top = top.merge(table.cell(end, col))
            top.text = indicators[first][col]


def official_form(document, info: dict[str, str], budget: dict[str, str], indicators: list[list[str]]) -> None:
    """Append one form in the official layout (the seed documents) to `document`."""
    document.add_paragraph("财政项目支出绩效目标表")
    document.add_paragraph(f"({info['年度']}年度)")
    document.add_paragraph(f"申报单位名称：{info['申报单位名称']}")
    table = document.add_table(rows=0, cols=4)
    for left, right in INFO_PAIRS:
        for cell, text in zip(table.add_row().cells, [f"{left}：", info[left], f"{right}：", info[right]], strict=True):
            _put(cell, text)
    for label in LONG_TEXTS:
        cells = table.add_row().cells
        _put(cells[0], f"{label}：")
        _put(cells[1].merge(cells[3]), info[label])
    document.add_paragraph("本项目上年度市级财政资金使用情况")
    table = document.add_table(rows=0, cols=4)
    for left, right in BUDGET_PAIRS:
        for cell, text in zip(table.add_row().cells, [f"{left}：", budget[left], f"{right}：", budget[right]],
                              strict=True):
            _put(cell, text)
    document.add_paragraph(f"{info['年度']}年绩效目标")
    _merged_indicator_table(document, indicators)


def seed_document(path, *seeds) -> None:
    document = docx.Document()
    for seed in seeds:
        official_form(document, seed["info"], seed["budget"], seed["indicators"])
    document.save(path)


def _as_written(label: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value:,}元" if label.endswith("（元）") else str(value)


def other_layout(path, fields: dict, indicators: list[list[str]]) -> None:
    """A hand-typed form: 2-column label/value tables, no colons, extra empty rows and columns,
    several tables, the year only in the `2021年绩效目标` heading, repeated 一级 text instead of merges."""
    document = docx.Document()
    document.add_paragraph("")
    unit = document.add_table(rows=1, cols=2)
    unit.cell(0, 0).text, unit.cell(0, 1).text = "申报单位名称", fields["申报单位名称"]
    info = document.add_table(rows=0, cols=4)
    for spec in FIELDS[2:14]:
        cells = info.add_row().cells
        cells[1].text = spec.label
        _put(cells[2].merge(cells[3]), _as_written(spec.label, fields[spec.label]))
        info.add_row()  # an empty row between fields
    document.add_paragraph("预算情况")
    budget = document.add_table(rows=0, cols=2)
    for spec in FIELDS[14:]:
        cells = budget.add_row().cells
        cells[0].text, cells[1].text = spec.label, _as_written(spec.label, fields[spec.label])
    document.add_paragraph(f"{fields['年度']}年绩效目标")
    table = document.add_table(rows=2, cols=6)
    for cell, header in zip(table.rows[0].cells[1:], ["一级目标", "二级目标", "三级目标", "", "指标目标值"],
                            strict=True):
        cell.text = header
    level1 = ""
    for level, level2, level3, target in indicators:
        level1 = level or level1
        cells = table.add_row().cells
        cells[1].text, cells[2].text, cells[3].text, cells[5].text = level1, level2, level3, target
    table.add_row()
    document.save(path)


def _project(result) -> dict:
    project = result.project
    fields = {spec.name: getattr(project, spec.name) for spec in FIELDS}
    indicators = [(i.level1, i.level2, i.level3, i.written, i.target, i.operator, i.value, i.unit_of_measure, i.note)
                  for i in project.indicators]
    return {"fields": fields, "indicators": indicators}


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("seed", SEED, ids=[s["file"] for s in SEED])
def test_seed_form_round_trips_to_the_same_project(tmp_path, out, config, seed):
    seed_document(tmp_path / "form.docx", seed)
    result = import_document(tmp_path / "form.docx", out, config)
    assert result.failure == ""
    [form] = result.forms
    assert form.missing == []
    assert form.output.name == seed["info"]["项目名称"].replace("/", "_") + ".xlsx"
    imported = read_project(form.output, "x.xlsx", config)
    expected = read_project(SAMPLES / seed["file"], "x.xlsx", config)
    assert _project(imported) == _project(expected)
    assert imported.findings == expected.findings


def test_official_layout_keeps_line_breaks_and_every_field(tmp_path, out, config, make_workbook, clean_project):
    fields, indicators = clean_project
    fields["项目实施计划"] = "第一季度签订合同；\n第二至第四季度运维。"
    written = {label: f"{v:,}" if label.endswith("（元）") else v.isoformat() if isinstance(v, dt.date) else str(v)
               for label, v in fields.items()}
    document = docx.Document()
    official_form(document, written, written, indicators)
    document.save(tmp_path / "form.docx")
    [form] = import_document(tmp_path / "form.docx", out, config).forms
    assert form.missing == [] and form.notes == []
    expected = read_project(make_workbook(fields=fields), "x.xlsx", config)
    assert _project(read_project(form.output, "x.xlsx", config)) == _project(expected)
    assert expected.project.plan == "第一季度签订合同；\n第二至第四季度运维。"


def test_a_different_layout_gives_every_field_and_indicator(tmp_path, out, config, make_workbook):
    other_layout(tmp_path / "typed.docx", CLEAN_FIELDS, CLEAN_INDICATORS)
    [form] = import_document(tmp_path / "typed.docx", out, config).forms
    assert form.missing == []
    expected = read_project(make_workbook(), "x.xlsx", config)
    assert _project(read_project(form.output, "x.xlsx", config)) == _project(expected)


def test_missing_and_unreadable_fields_are_reported_and_left_empty(tmp_path, out, config):
    fields = dict(CLEAN_FIELDS, 立项依据="", 计划完成日期="年底")
    other_layout(tmp_path / "typed.docx", fields, CLEAN_INDICATORS)
    document = docx.Document(tmp_path / "typed.docx")
    info = document.tables[1]
    info._tbl.remove(next(r for r in info.rows if r.cells[1].text == "绩效类型")._tr)
    document.save(tmp_path / "typed.docx")
    [form] = import_document(tmp_path / "typed.docx", out, config).forms
    assert form.missing == ["计划完成日期：「年底」不是日期，已原样写入，请修改", "绩效类型：未找到", "立项依据：表中为空"]
    project = read_project(form.output, "x.xlsx", config).project
    assert (project.performance_type, project.basis, project.end_date) == (None, None, None)
    assert project.project_name == CLEAN_FIELDS["项目名称"] and len(project.indicators) == len(CLEAN_INDICATORS)


def test_a_document_with_several_forms_gives_one_workbook_each(tmp_path, out, config):
    seed_document(tmp_path / "all.docx", *SEED)
    result = import_document(tmp_path / "all.docx", out, config)
    assert [form.project_name for form in result.forms] == [s["info"]["项目名称"] for s in SEED]
    assert all(form.missing == [] for form in result.forms)
    assert len(list(out.glob("*.xlsx"))) == len(SEED)


def test_an_existing_workbook_is_never_overwritten(tmp_path, out, config):
    seed_document(tmp_path / "form.docx", SEED[1])
    first = import_document(tmp_path / "form.docx", out, config).forms[0].output
    first.write_bytes(b"edited by the user")
    second = import_document(tmp_path / "form.docx", out, config).forms[0]
    assert second.output.name == "2020年上海科技年鉴年报（2）.xlsx"
    assert first.read_bytes() == b"edited by the user"
    assert "未覆盖" in second.notes[-1]


@pytest.mark.parametrize("seed", SEED, ids=[s["file"] for s in SEED])
def test_year_rolls_the_form_forward(tmp_path, out, config, seed):
    seed_document(tmp_path / "form.docx", seed)
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "form.docx"), "--out", str(out), "--year", "2021"])
    assert result.exit_code == 0, result.output
    assert "已滚动到 2021 年度" in result.output
    [path] = out.glob("*.xlsx")
    rolled = read_project(path, "x.xlsx", config)
    before = read_project(SAMPLES / seed["file"], "x.xlsx", config)
    expected = _project(before)
    expected["fields"].update(year=2021, start_date=dt.date(2021, 1, 1), end_date=dt.date(2021, 12, 31),
                              prior_budget=before.project.annual_budget, prior_spent=None)
    assert _project(rolled) == expected
    assert rolled.findings == before.findings
    cell = openpyxl.load_workbook(path)["预算"][rolled.project.cells["prior_spent"]]
    assert cell.value is None and "上年实际执行数" in cell.comment.text


def test_29_february_rolls_to_28_february():
    assert shift_year(dt.date(2020, 2, 29), 1) == dt.date(2021, 2, 28)
    assert shift_year(dt.date(2020, 3, 1), 1) == dt.date(2021, 3, 1)


def test_bad_files_get_a_clear_message_and_the_others_are_imported(tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    seed_document(folder / "good.docx", SEED[0])
    bad_documents(folder)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04" + bytes(100))
    (tmp_path / "notes.txt").write_text("不是 Word", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(folder), str(tmp_path / "notes.txt"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    for file, message in [("old.doc", "旧版 Word（.doc）格式的文件，无法读取：请另存为 .docx"), ("locked.docx", "设置了打开密码"),
                          ("broken.docx", "不是 Word 文档（.docx），或文件已损坏"), ("memo.docx", "没有找到绩效目标表"),
                          ("notes.txt", "不是 Word 文档")]:
        assert any(file in line and message in line for line in result.output.splitlines()), file
    assert [p.name for p in (tmp_path / "o").glob("*.xlsx")] == [SEED[0]["info"]["项目名称"] + ".xlsx"]
    assert "Word 文档 6 个（失败 5），写出工作簿 1 个" in result.output


@pytest.mark.parametrize("args", [["import"], ["import", "missing.docx"], ["import", ".", "--year", "1800"]])
def test_usage_errors_exit_2(args):
    assert CliRunner().invoke(cli, args).exit_code == 2


def test_a_form_inside_a_layout_table_with_the_indicator_table_split_in_two(tmp_path, out, config):
    """The whole form in one outer cell, the unit line followed by another field, the indicator table
    continued in a second table with its header repeated, targets shown normalised (as perfxl's forms do)."""
    seed = SEED[3]
    info = dict(seed["info"], 申报单位名称=f"{seed['info']['申报单位名称']}\t\t填报日期：2020年1月5日")
    indicators = [[*row[:3], row[3].replace(">=", "≥")] for row in seed["indicators"]]
    document = docx.Document()
    outer = document.add_table(rows=1, cols=1).cell(0, 0)
    official_form(outer, info, seed["budget"], indicators[:5])
    outer.add_paragraph("（续表）")
    _merged_indicator_table(outer, indicators[5:])
    document.save(tmp_path / "nested.docx")
    [form] = import_document(tmp_path / "nested.docx", out, config).forms
    assert form.missing == [] and form.notes == []
    imported = _project(read_project(form.output, "x.xlsx", config))
    expected = _project(read_project(SAMPLES / seed["file"], "x.xlsx", config))
    assert imported["fields"] == expected["fields"]
    assert [row[:3] + row[4:] for row in imported["indicators"]] == [row[:3] + row[4:] for row in expected["indicators"]]


def test_a_budget_table_with_labels_above_their_values(tmp_path, out, config):
    seed = SEED[5]
    seed_document(tmp_path / "form.docx", seed)
    document = docx.Document(tmp_path / "form.docx")
    budget = document.tables[1]
    labels = [label for pair in BUDGET_PAIRS for label in pair]
    for col, label in enumerate(labels):
        budget.cell(0, col).text, budget.cell(1, col).text = label, seed["budget"][label]
    document.save(tmp_path / "form.docx")
    [form] = import_document(tmp_path / "form.docx", out, config).forms
    assert form.missing == []
    assert [form.values[name] for name in ("total_budget", "annual_budget", "prior_budget", "prior_spent")] == [
        562000, 562000, 462000, 458453]


def test_an_empty_value_does_not_take_the_value_of_the_row_below(tmp_path, out, config):
    seed = SEED[0]
    info = dict(seed["info"], 项目类别="", 项目名称="")
    document = docx.Document()
    official_form(document, info, seed["budget"], seed["indicators"])
    document.save(tmp_path / "form.docx")
    [form] = import_document(tmp_path / "form.docx", out, config).forms
    assert form.missing == ["项目名称：表中为空", "项目类别：表中为空"]
    assert form.output.name == "form.xlsx"
    assert form.values["end_date"] == dt.date(2020, 12, 31)


def test_a_note_column_after_the_target_is_kept(tmp_path, out, config):
    document = docx.Document()
    document.add_paragraph("项目名称：测试项目")
    table = document.add_table(rows=2, cols=5)
    for cell, text in zip(table.rows[0].cells, [*INDICATOR_HEADERS, "备注"], strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["产出目标", "数量", "印刷册数", "=10册", "含电子版"], strict=True):
        cell.text = text
    document.save(tmp_path / "note.docx")
    [form] = import_document(tmp_path / "note.docx", out, config).forms
    [indicator] = read_project(form.output, "x.xlsx", config).project.indicators
    assert (indicator.level3, indicator.target, indicator.note) == ("印刷册数", "=10册", "含电子版")
    assert "年度：未找到" in form.missing


@pytest.fixture(scope="module")
def own_forms(tmp_path_factory):
    """perfxl's own Word forms of the six samples."""
    from perfxl.core.config import load_config
    from perfxl.target.pipeline import run

    output = tmp_path_factory.mktemp("own")
    batch = run(SAMPLES, output, load_config(ROOT / "perfxl" / "defaults.toml"))
    return {project.file: output / batch.forms[project.file] for project in batch.projects}


@pytest.mark.parametrize("seed", SEED, ids=[s["file"] for s in SEED])
def test_perfxl_own_form_round_trips_to_the_same_project(own_forms, out, config, seed):
    """workbook → perfxl's Word form → import → the same project; the form shows targets normalised
    (`≥3000条` for `> =3000条`), so the as-written target is the one thing that may differ."""
    [form] = import_document(own_forms[seed["file"]], out, config).forms
    assert form.missing == []
    imported = _project(read_project(form.output, "x.xlsx", config))
    expected = _project(read_project(SAMPLES / seed["file"], "x.xlsx", config))
    assert imported["fields"] == expected["fields"]
    assert [row[:3] + row[4:] for row in imported["indicators"]] == [row[:3] + row[4:] for row in expected["indicators"]]


# Issue 13: one document's oddity stays in that document -------------------------------------------


def test_a_grid_span_that_is_not_a_number_does_not_stop_the_import(tmp_path):
    import zipfile

    folder = tmp_path / "forms"
    folder.mkdir()
    seed_document(folder / "a.docx", SEED[0])
    seed_document(folder / "b.docx", SEED[1])
    with zipfile.ZipFile(folder / "a.docx") as old, zipfile.ZipFile(folder / "odd.docx", "w") as new:
        for name in old.namelist():
            data = old.read(name)
            new.writestr(name, data.replace(b'w:gridSpan w:val="3"', b'w:gridSpan w:val="abc"')
                         if name == "word/document.xml" else data)
    (folder / "a.docx").unlink()
    result = CliRunner().invoke(cli, ["import", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "Word 文档 2 个（失败 0），写出工作簿 2 个" in result.output


def test_a_date_that_cannot_roll_forward_is_kept_with_a_note(tmp_path, out):
    seed = {**SEED[0], "info": {**SEED[0]["info"], "计划完成日期": "9999-12-31"}}
    seed_document(tmp_path / "form.docx", seed)
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "form.docx"), "--out", str(out), "--year", "2021"])
    assert result.exit_code == 0, result.output
    assert "计划完成日期：9999-12-31 无法顺延到 2021 年度" in result.output
    assert len(list(out.glob("*.xlsx"))) == 1


def test_a_project_named_like_an_office_lock_file_is_not_skipped_by_the_next_run(tmp_path, out):
    seed = {**SEED[0], "info": {**SEED[0]["info"], "项目名称": "~$lock"}}
    seed_document(tmp_path / "form.docx", seed)
    assert CliRunner().invoke(cli, ["import", str(tmp_path / "form.docx"), "--out", str(out)]).exit_code == 0
    assert [p.name for p in out.glob("*.xlsx")] == ["_$lock.xlsx"]
    checked = CliRunner().invoke(cli, ["check", str(out)])
    assert "文件 1 个（失败 0），项目 1 个" in checked.output
