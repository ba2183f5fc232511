"""Safe, distinct file names for the forms."""

from __future__ import annotations

import pytest

from perfxl.core.model import Project
from perfxl.io.files import LOCK_NAME, MANIFEST_NAME, MAX_NAME_BYTES, form_file_names, safe_file_name
from perfxl.io.forms import FORMS_DIR
from perfxl.target.pipeline import run


@pytest.mark.parametrize(("stem", "expected"), [
    ("2020_网站运维", "2020_网站运维.docx"),
    ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j.docx"),
    ("../../etc/passwd", "____etc_passwd.docx"),
    ("项目..名称", "项目_名称.docx"),
    (".hidden", "hidden.docx"),
    ("名称\n第二行\t\x07", "名称_第二行__.docx"),
    ("尾部空格和点 . .", "尾部空格和点.docx"),
    ("CON", "_CON.docx"),
    ("nul", "_nul.docx"),
    ("com1.report", "_com1.report.docx"),
    ("LPT9", "_LPT9.docx"),
    ("CONSOLE", "CONSOLE.docx"),
    ("", "未命名.docx"),
    ("...", "_.docx"),
    ("增长#1 100%", "增长_1 100_.docx"),
    ("2021_P\u202egpj.exe", "2021_Pgpj.exe.docx"),
    ("零\u200b宽\ufeff\u2066字\u2069", "零宽字.docx"),
    ("~$lock", "_$lock.docx"),
])
def test_safe_file_name(stem, expected):
    assert safe_file_name(stem, ".docx") == expected


def test_long_names_are_cut_on_a_character_boundary():
    name = safe_file_name("项" * 300, ".docx")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES and name.endswith(".docx")
    assert set(name[:-5]) == {"项"}


def _project(file: str, name: str, year: int = 2021) -> Project:
    return Project(file=file, year=year, project_name=name)


def test_names_that_clash_get_the_input_file_as_suffix():
    projects = [_project("b/运维.xlsx", "网站:运维"), _project("a.xlsx", "网站/运维"),
                _project("c.xlsx", "网站运维"), _project("d.xlsx", "Abc"), _project("e.xlsx", "abc")]
    names = form_file_names(projects, ".docx")
    assert names == {"a.xlsx": "2021_网站_运维_a.docx", "b/运维.xlsx": "2021_网站_运维_b_运维.docx",
                     "c.xlsx": "2021_网站运维.docx", "d.xlsx": "2021_Abc_d.docx", "e.xlsx": "2021_abc_e.docx"}
    assert form_file_names(list(reversed(projects)), ".docx") == names


def test_a_clash_left_after_the_suffix_gets_a_number():
    long_name = "项" * 200
    projects = [_project("x" * 100 + "1.xlsx", long_name), _project("x" * 100 + "2.xlsx", long_name),
                _project("2021_项目_x.xlsx", "项目"), _project("x.xlsx", "项目_x")]
    names = form_file_names(projects, ".docx")
    assert len({n.casefold() for n in names.values()}) == len(projects)
    assert all(len(n.encode("utf-8")) <= MAX_NAME_BYTES for n in names.values())


def test_hostile_names_are_written_inside_the_forms_folder(make_workbook, clean_project, config, tmp_path):
    names = ["../../逃逸", "/etc/passwd", "CON", "长" * 300, "../../逃逸"]
    for number, name in enumerate(names):
        fields, _ = clean_project
        fields["项目名称"] = name
        fields["申报单位名称"] = f"单位{number}"  # the same name twice is not X01 when the units differ
        make_workbook(f"{number}.xlsx", fields=fields)
    batch = run(tmp_path / "input", tmp_path / "output", config)
    folder = tmp_path / "output" / FORMS_DIR
    assert sorted(p.name for p in folder.iterdir() if p.name != MANIFEST_NAME) == sorted(f.split("/", 1)[1] for f in batch.forms.values())
    assert len(batch.forms) == 5
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == sorted([FORMS_DIR, LOCK_NAME, "绩效目标汇总.xlsx"])
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "逃逸").exists()
