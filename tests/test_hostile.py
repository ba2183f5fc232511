"""Issue 13: hostile templates, text and file names, and faults; one file or setting never takes down more."""

from __future__ import annotations

import zipfile

import pytest
from builders import rezip
from click.testing import CliRunner

from perfxl.cli import cli
from perfxl.form_template import template_parts
from perfxl.forms import FORMS_DIR
from perfxl.values import visible


def _cli(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


# --- templates run no code -------------------------------------------------------------------------


def _evil(marker) -> str:
    return f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}"


def test_a_form_template_calling_python_is_refused_naming_the_template(make_workbook, tmp_path, monkeypatch):
    make_workbook("项目.xlsx")
    marker = tmp_path / "pwned"
    parts = template_parts()
    parts["word/document.xml"] = parts["word/document.xml"].replace("{{ project_name }}", _evil(marker), 1)
    (tmp_path / "templates").mkdir()
    with zipfile.ZipFile(tmp_path / "templates" / "目标表.docx", "w") as package:
        for name, xml in parts.items():
            package.writestr(name, xml)
    monkeypatch.chdir(tmp_path)
    result = _cli("run", "input", "output")
    assert result.exit_code == 2, result.output
    assert "templates/目标表.docx" in result.output and "不允许的表达式" in result.output
    assert not marker.exists()
    assert isinstance(result.exception, SystemExit), "no traceback"


def test_a_mail_template_calling_python_is_refused_naming_the_template(make_workbook, tmp_path, monkeypatch):
    make_workbook("项目.xlsx")
    marker = tmp_path / "pwned"
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "邮件.txt.j2").write_text(f"主题：{_evil(marker)}\n正文\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = _cli("mail", "input", "output")
    assert result.exit_code == 2, result.output
    assert "templates/邮件.txt.j2" in result.output and "不允许的表达式" in result.output
    assert not marker.exists()


# --- terminal escapes --------------------------------------------------------------------------------

ESCAPES = "\x1b[2J\x1b]0;owned\x07"
ESCAPES_XML = "_x001b_[2J_x001b_]0;owned_x0007_"  # how the XML of a cell carries them


def _with_parts_replaced(path, old: str, new: str):
    """The workbook at `path`, with `old` replaced by `new` in the XML of every part."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    changed = {name: data.replace(old.encode(), new.encode()) for name, data in parts.items()
               if name.endswith(".xml") and old.encode() in data}
    assert changed, old
    return rezip(path, path.with_name("x" + path.name), changed)


def test_text_from_inputs_reaches_the_terminal_with_control_characters_visible(make_workbook, clean_project,
                                                                              tmp_path):
    fields, indicators = clean_project
    fields["项目类别"] = "ESCAPES其他"  # I03 quotes the category
    path = make_workbook("项目.xlsx", fields, indicators)
    _with_parts_replaced(path, "ESCAPES", ESCAPES_XML).rename(path.with_name(f"名称{ESCAPES[:4]}.xlsx"))
    path.unlink()
    result = _cli("check", tmp_path / "input")
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b[2J\\x1b]0;owned\\x07其他" in result.output
    assert "名称\\x1b[2J.xlsx" in result.output


def test_visible_shows_control_bidi_and_lone_surrogates():
    assert visible("a\x1b[2Jb\u202ec\udcb2\n中") == "a\\x1b[2Jb\\u202ec\\udcb2\\n中"
    assert visible("正常文字") == "正常文字"


# --- bidi and invisible characters in generated names ----------------------------------------------


def test_bidi_and_invisible_characters_never_reach_a_form_name(make_workbook, clean_project, tmp_path):
    fields, indicators = clean_project
    fields["项目名称"] = "P\u202egpj.exe\u200b\ufeff"
    make_workbook("项目.xlsx", fields, indicators)
    result = _cli("run", tmp_path / "input", tmp_path / "output")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "output" / FORMS_DIR).iterdir()] == ["2021_Pgpj.exe.docx"]


@pytest.mark.parametrize("name", ["报表\u202e.docx", "\u2066表\u2069.docx"])
def test_bidi_characters_never_reach_a_mail_attachment_name(tmp_path, name):
    from perfxl.mail import _attachment

    path = tmp_path / name
    path.write_bytes(b"x")
    part = _attachment(path)
    assert part.get_filename() == name.replace("\u202e", "").replace("\u2066", "").replace("\u2069", "")
