"""The Word forms (目标表): read back with python-docx and their XML, restyled, rendered by LibreOffice."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import CLEAN_FIELDS_2026, ROOT, SAMPLES, SEED
from docx.oxml.ns import qn
from lxml import etree

from perfxl.cli.main import cli
from perfxl.core.config import shipped_layout
from perfxl.core.model import Indicator, Project
from perfxl.io.files import MANIFEST_NAME, record
from perfxl.io.form_template import INFO_PAIRS, LONG_TEXTS, template_parts
from perfxl.io.forms import FORMS_DIR, FormTemplate, convert_to_pdf, form_context, indicator_rows
from perfxl.target.pipeline import run

TEMPLATES = ROOT / "templates"
TEMPLATE = TEMPLATES / "目标表.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """The six sample projects run end to end: (batch, output folder)."""
    from perfxl.core.config import load_config

    out = tmp_path_factory.mktemp("out")
    batch = run(SAMPLES, out, load_config(ROOT / "perfxl" / "defaults.toml"), templates=TEMPLATES)
    return batch, out


def layout_2020():
    return shipped_layout("上海2020")


def _form(samples, seed) -> Path:
    batch, out = samples
    return out / batch.forms[seed["file"]]


def _project(samples, seed) -> Project:
    return next(p for p in samples[0].projects if p.file == seed["file"])


def _xml(path: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read(part))


def _right_of(table, label: str) -> str:
    for row in table.rows:
        cells = row.cells
        for i, cell in enumerate(cells[:-1]):
            if cell.text == label:
                return cells[i + 1].text
    raise AssertionError(f"{label} not found")


@pytest.mark.parametrize("name", ["上海2020", "上海2026"])
def test_committed_template_is_the_one_the_code_writes(name):
    layout = shipped_layout(name)
    with zipfile.ZipFile(TEMPLATES / layout.form_template) as package:
        committed = {name: package.read(name).decode("utf-8") for name in package.namelist()}
    assert committed == template_parts(layout)


def test_a_form_for_every_sample(samples):
    batch, out = samples
    assert len(batch.forms) == len(SEED) + 1  # and the 上海2026 sample
    assert sorted(p.name for p in (out / FORMS_DIR).iterdir() if p.name != MANIFEST_NAME) == sorted(
        Path(f).name for f in batch.forms.values())


@pytest.mark.parametrize("seed", SEED, ids=[s["file"] for s in SEED])
def test_title_and_every_field_in_its_own_cell(samples, seed):
    document = docx.Document(_form(samples, seed))
    info, budget_table = document.tables[0], document.tables[1]
    texts = [p.text for p in document.paragraphs]
    assert texts[:3] == ["财政项目支出绩效目标表", f"({seed['info']['年度']}年度)",
                         f"申报单位名称：{seed['info']['申报单位名称']}"]
    assert "本项目上年度市级财政资金使用情况" in texts and f"{seed['info']['年度']}年绩效目标" in texts
    for left, _, right, _ in INFO_PAIRS:
        assert _right_of(info, f"{left}：") == seed["info"][left]
        assert _right_of(info, f"{right}：") == seed["info"][right]
    project = _project(samples, seed)
    for label, name in LONG_TEXTS:
        assert _right_of(info, f"{label}：") == (getattr(project, name) or "")
    for label, written in seed["budget"].items():
        assert _right_of(budget_table, f"{label}：") == written


@pytest.mark.parametrize("seed", SEED, ids=[s["file"] for s in SEED])
def test_every_indicator_in_its_own_row(samples, seed):
    table = docx.Document(_form(samples, seed)).tables[2]
    rows = [tuple(c.text for c in row.cells) for row in table.rows]
    expected = [(i.level1, i.level2, i.level3, i.target) for i in _project(samples, seed).indicators]
    assert rows[0] == ("一级目标", "二级目标", "三级目标", "指标目标值")
    assert rows[1:] == expected
    assert not any(re.search(r"[<>]\s*=|> =", target) for *_, target in rows[1:])


def _merges(row: etree._Element) -> list[str]:
    """The vMerge state of a row's first two cells: restart, continue or '' (not merged)."""
    states = []
    for tc in row.findall(f"{W}tc")[:2]:
        merge = tc.find(f"{W}tcPr/{W}vMerge")
        states.append("" if merge is None else merge.get(f"{W}val", "continue"))
    return states


@pytest.mark.parametrize("seed", SEED, ids=[s["file"] for s in SEED])
def test_level1_and_level2_runs_are_merged_vertically(samples, seed):
    table = _xml(_form(samples, seed), "word/document.xml").findall(f".//{W}tbl")[2]
    rows = table.findall(f"{W}tr")[1:]
    expected = [[r["merge1"], r["merge2"]] for r in indicator_rows(_project(samples, seed).indicators)]
    assert [_merges(r) for r in rows] == expected
    assert ["restart", "restart"] in expected or ["restart", ""] in expected


def test_one_level1_cell_spans_several_level2_groups():
    def ind(l1, l2):
        return Indicator(0, l1, l2, "x", "1", "1", "", None, "")

    rows = indicator_rows([ind("产出", "数量"), ind("产出", "数量"), ind("产出", "质量"), ind("效果", "质量")])
    assert [(r["level1"], r["merge1"], r["level2"], r["merge2"]) for r in rows] == [
        ("产出", "restart", "数量", "restart"), ("", "continue", "", "continue"),
        ("", "continue", "质量", ""), ("效果", "", "质量", "")]


@pytest.mark.parametrize("seed", SEED[:1], ids=[s["file"] for s in SEED[:1]])
def test_header_row_repeats_and_rows_never_split(samples, seed):
    table = _xml(_form(samples, seed), "word/document.xml").findall(f".//{W}tbl")[2]
    rows = table.findall(f"{W}tr")
    assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
    assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)
    assert all(r.find(f"{W}trPr/{W}tblHeader") is None for r in rows[1:])


def test_east_asian_font_is_set_and_no_theme_font_overrides_it(samples):
    form = _form(samples, SEED[0])
    styles = _xml(form, "word/styles.xml")
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert default.get(f"{W}eastAsia") == "宋体"
    for part in ("word/styles.xml", "word/document.xml", "word/footer1.xml"):
        for fonts in _xml(form, part).iter(f"{W}rFonts"):
            assert fonts.get(f"{W}eastAsia"), part
            assert not [a for a in fonts.attrib if "Theme" in a], part
    assert docx.Document(form).sections[0].page_width.cm == pytest.approx(21.0, abs=0.01)


def test_restyled_template_changes_the_output_without_code_change(tmp_path, samples):
    restyled = tmp_path / "目标表.docx"
    document = docx.Document(TEMPLATE)
    normal = document.styles["Normal"].element.get_or_add_rPr()
    normal.get_or_add_rFonts().set(qn("w:eastAsia"), "楷体")
    document.styles["Normal"].font.size = docx.shared.Pt(12)
    document.save(restyled)  # saved by python-docx: another serialisation of the same placeholders
    target = tmp_path / "form.docx"
    FormTemplate.load(restyled, layout_2020()).write(_project(samples, SEED[0]), target)
    form = docx.Document(target)
    assert form.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "楷体"
    assert form.styles["Normal"].font.size.pt == 12
    assert form.tables[0].rows[0].cells[1].text == SEED[0]["info"]["项目名称"]


def test_markup_characters_and_line_breaks_in_values(tmp_path):
    project = Project(file="x.xlsx", year=2021, unit="A&B <单位>", project_name='名称 <&> "引号"',
                      overview="第一段\n第二段\r\n\n第四段\x01", total_budget=1234567.5)
    target = tmp_path / "form.docx"
    FormTemplate.load(None, layout_2020()).write(project, target)
    form = docx.Document(target)
    assert form.paragraphs[2].text == "申报单位名称：A&B <单位>"
    assert form.tables[0].rows[0].cells[1].text == '名称 <&> "引号"'
    overview = form.tables[0].rows[3].cells[1]
    assert [p.text for p in overview.paragraphs] == ["第一段", "第二段", "", "第四段"]
    assert overview.paragraphs[1].style.name == "表格正文"
    assert form.tables[1].rows[0].cells[1].text == "1,234,567.50"
    assert form.tables[1].rows[1].cells[1].text == ""  # empty stays empty


def test_form_context_formats_amounts_and_dates(samples):
    context = form_context(_project(samples, SEED[0]), layout_2020())
    assert (context["total_budget"], context["start_date"], context["year"]) == ("1,338,310", "2020-01-01", 2020)


def test_consolidated_workbook_links_each_form_relatively(samples):
    batch, out = samples
    sheet = openpyxl.load_workbook(out / "绩效目标汇总.xlsx")["项目汇总"]
    header = [c.value for c in sheet[1]]
    column = header.index("目标表")
    links = {}
    for row in sheet.iter_rows(min_row=2, max_row=len(batch.projects) + 1):
        cell = row[column]
        assert cell.hyperlink is not None and "\\" not in cell.hyperlink.target
        links[row[0].value] = out / unquote(cell.hyperlink.target)
        assert cell.value == links[row[0].value].name
    assert all(path.is_file() for path in links.values())
    assert {file: path.relative_to(out).as_posix() for file, path in links.items()} == batch.forms


def test_failing_project_gets_no_form_and_stale_forms_are_removed(tmp_path, make_workbook, config, clean_project):
    fields, indicators = clean_project
    make_workbook("a.xlsx")
    make_workbook("b.xlsx", fields={**fields, "项目名称": "第二个项目"})
    out = tmp_path / "out"
    first = run(tmp_path / "input", out, config, templates=TEMPLATES)
    assert len(first.forms) == 2
    pdf = Path(first.forms["a.xlsx"]).with_suffix(".pdf").name
    (out / FORMS_DIR / pdf).write_bytes(b"%PDF")  # as perfxl run --pdf writes it, listed in the manifest
    record(out / FORMS_DIR, [pdf])
    failing = dict(fields, **{"项目名称": "第二个项目"})
    del failing["项目类别"]
    make_workbook("b.xlsx", fields=failing)
    (tmp_path / "input" / "a.xlsx").unlink()
    second = run(tmp_path / "input", out, config, templates=TEMPLATES)
    assert second.forms == {} and second.failed_files() == {"b.xlsx"}
    assert [p.name for p in (out / FORMS_DIR).iterdir()] == [MANIFEST_NAME]
    rows = openpyxl.load_workbook(out / "绩效目标汇总.xlsx")["项目汇总"]
    assert rows.cell(2, 1).value == "b.xlsx" and rows.cell(2, rows.max_column).hyperlink is None


def test_form_template_command_writes_the_template(tmp_path):
    result = CliRunner().invoke(cli, ["form-template", "--layout", "上海2020", str(tmp_path / "t.docx")])
    assert result.exit_code == 0 and "已写入" in result.output
    assert docx.Document(tmp_path / "t.docx").paragraphs[0].text == "财政项目支出绩效目标表"
    result = CliRunner().invoke(cli, ["form-template", str(tmp_path / "t2026.docx")])
    assert result.exit_code == 0 and "上海2026" in result.output
    assert docx.Document(tmp_path / "t2026.docx").paragraphs[0].text == "财政项目支出绩效目标申报表"


def test_pdf_option_says_so_when_libreoffice_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr("perfxl.io.forms.soffice", lambda setting: None)
    result = CliRunner().invoke(cli, ["run", str(SAMPLES), str(tmp_path), "--pdf"])
    assert result.exit_code == 0, result.output
    assert "未安装 LibreOffice" in result.output
    assert not list((tmp_path / FORMS_DIR).glob("*.pdf"))


def test_pdf_setting_naming_no_program_says_so_and_keeps_the_forms(tmp_path):
    (tmp_path / "perfxl.toml").write_text("[pdf]\nsoffice = 'D:\\LibreOffice\\soffice.exe'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(SAMPLES), str(tmp_path / "out"), "--pdf",
                                      "--config", str(tmp_path / "perfxl.toml")])
    assert result.exit_code == 0, result.output
    assert "配置项「pdf.soffice」（perfxl.toml）所写的「D:\\LibreOffice\\soffice.exe」不存在" in result.output
    assert len(list((tmp_path / "out" / FORMS_DIR).glob("*.docx"))) == len(SEED) + 1
    assert not list((tmp_path / "out" / FORMS_DIR).glob("*.pdf"))


NEEDS_SOFFICE = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext")),
    reason="LibreOffice (soffice) or poppler-utils (pdftotext) not installed: "
           "apt-get install libreoffice-writer-nogui poppler-utils (.ci/run does this)")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@NEEDS_SOFFICE
def test_samples_render_in_libreoffice(samples, tmp_path):
    forms = [shutil.copy(_form(samples, seed), tmp_path / f"{i}.docx") for i, seed in enumerate(SEED)]
    pdfs = convert_to_pdf([Path(f) for f in forms])
    assert len(pdfs) == len(SEED)
    for seed, pdf in zip(SEED, sorted(pdfs), strict=True):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert 1 <= pages <= 4, (seed["file"], pages)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        squashed = _squash(text)
        assert f"第{pages}页共{pages}页" in squashed  # the footer's fields
        assert _squash(seed["info"]["项目名称"]) in squashed
        for indicator in _project(samples, seed).indicators:
            assert _squash(indicator.level3) in squashed, indicator.level3


@NEEDS_SOFFICE
def test_pdf_option_writes_a_pdf_beside_each_form(tmp_path):
    result = CliRunner().invoke(cli, ["run", str(SAMPLES), str(tmp_path), "--pdf"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / FORMS_DIR).glob("*.pdf"))) == len(SEED) + 1


@NEEDS_SOFFICE
def test_pdf_setting_names_the_libreoffice_folder(tmp_path, monkeypatch):
    folder = Path(os.path.realpath(shutil.which("soffice"))).parent  # LibreOffice's program/ folder
    monkeypatch.setattr("perfxl.io.office.shutil.which", lambda name: None)  # not on PATH, as on Windows
    (tmp_path / "perfxl.toml").write_text(f"[pdf]\nsoffice = '{folder}'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(SAMPLES), str(tmp_path / "out"), "--pdf",
                                      "--config", str(tmp_path / "perfxl.toml")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out" / FORMS_DIR).glob("*.pdf"))) == len(SEED) + 1


def schema_errors(path: Path) -> list[str]:
    """The OOXML schema errors openxml-audit finds in a Word document (an element out of order, unknown...)."""
    from openxml_audit import OpenXmlValidator

    result = OpenXmlValidator(max_errors=1000).validate(path)
    return [str(e) for e in result.errors if str(e).startswith("[schema]")]


@pytest.mark.parametrize("name", ["目标表.docx", "目标表（上海2023）.docx", "目标表（上海2026）.docx"])
def test_committed_templates_pass_the_ooxml_schema(name):
    assert schema_errors(TEMPLATES / name) == []


def test_every_written_form_passes_the_ooxml_schema(samples):
    batch, out = samples
    forms = [out / f for f in batch.forms.values()]
    assert len(forms) == len(SEED) + 1
    assert {str(f): schema_errors(f) for f in forms} == {str(f): [] for f in forms}


def font_problems(path: Path) -> list[str]:
    """Every rFonts of the document, its styles and footer without an East Asian or a Latin (ascii/hAnsi)
    face, the defaults without one, and East Asian faces the fontTable gives no Latin altName for."""
    with zipfile.ZipFile(path) as package:
        parts = {n: etree.fromstring(package.read(n)) for n in package.namelist()
                 if n in ("word/document.xml", "word/styles.xml", "word/footer1.xml", "word/fontTable.xml")}
    problems, faces = [], set()
    if parts["word/styles.xml"].find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts") is None:
        problems.append("no rFonts in rPrDefault")
    for name in ("word/document.xml", "word/styles.xml", "word/footer1.xml"):
        for fonts in parts[name].iter(f"{W}rFonts"):
            missing = [a for a in ("eastAsia", "ascii", "hAnsi") if not fonts.get(f"{W}{a}")]
            problems += [f"{name}: rFonts without {a}" for a in missing]
            faces.add(fonts.get(f"{W}eastAsia"))
    alt = {f.get(f"{W}name"): f.find(f"{W}altName") for f in parts["word/fontTable.xml"].iter(f"{W}font")}
    return problems + [f"{face}: no altName" for face in sorted(faces - {None}) if alt.get(face) is None]


def test_every_form_names_east_asian_and_latin_faces(samples):
    batch, out = samples
    forms = [out / f for f in batch.forms.values()] + [TEMPLATES / "目标表（上海2026）.docx"]
    assert {str(f): font_problems(f) for f in forms} == {str(f): [] for f in forms}
    table = _xml(forms[0], "word/fontTable.xml")
    assert {f.get(f"{W}name"): f.find(f"{W}altName").get(f"{W}val") for f in table.iter(f"{W}font")
            if f.find(f"{W}altName") is not None} == {"宋体": "SimSun", "黑体": "SimHei", "仿宋": "FangSong"}


def test_goal_and_indicator_texts_are_left_aligned_not_justified(samples):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    batch, out = samples
    for form in batch.forms.values():
        document = docx.Document(out / form)
        texts = [p for t in document.tables for c in t._cells for p in c.paragraphs if p.style.name == "表格正文"]
        assert texts and all(p.alignment is None for p in texts)
        assert document.styles["表格正文"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.LEFT


def _indicators(count: int) -> list[list[str]]:
    """`count` indicators (≥ 6): 产出指标 takes what the other 一级 do not; each 三级 name unique."""
    rows = [["成本指标", "经济成本指标", "成本甲", "≤200万元"]]
    rows += [["产出指标" if i == 0 else "", "数量指标", f"产出{i:02d}", "≥1项"] for i in range(count - 3)]
    return rows + [["效益指标", "社会效益指标", "效益甲", "提升"], ["满意度指标", "服务对象满意度指标", "满意甲", "≥90%"]]


@NEEDS_SOFFICE
def test_a_level1_group_never_leaves_a_row_alone_on_the_next_page(make_workbook_2026, tmp_path, config):
    goal_lines = range(0, 60, 4)  # the goals push the indicator table down the first page, past its end
    for lines in goal_lines:
        goals = "\n".join(f"{n}.道路保洁质量稳定达标。" for n in range(1, lines + 2))
        make_workbook_2026(f"{lines:02d}.xlsx", fields=dict(CLEAN_FIELDS_2026, 项目总体目标=goals, 项目名称=f"保洁{lines:02d}"),
                           indicators=_indicators(9))
    batch = run(tmp_path / "input", tmp_path / "output", config)
    pdfs = convert_to_pdf([tmp_path / "output" / form for form in batch.forms.values()])
    split = 0
    for pdf in sorted(pdfs):
        pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                               check=True).stdout.split("\f")
        pages = [_squash(page) for page in pages]  # pdftotext spaces 产出 00
        where = {name: [i for i, page in enumerate(pages) if name in page]
                 for name in ("成本甲", *(f"产出{i:02d}" for i in range(6)), "效益甲", "满意甲")}
        assert all(len(found) == 1 for found in where.values()), (pdf.name, where)
        group = {where[f"产出{i:02d}"][0] for i in range(6)}
        assert len(group) == 1, (pdf.name, where)  # the 产出指标 rows on one page
        assert where["效益甲"] == where["满意甲"], (pdf.name, where)  # the last row not alone
        split += where["成本甲"] != where["满意甲"]
    assert split, "no form's table crossed a page: the test shows nothing"
    raw = subprocess.run(["pdftotext", "-raw", str(pdfs[0]), "-"], capture_output=True, text=True, check=True).stdout
    assert any("服务对象满意度指标" in line for line in raw.splitlines())  # the 二级 column holds it on one line
    assert "年度(/项目)指标值" in raw  # the heading as published, on one line
