"""What every command gets from the engine, through the real CLI: reading on workers (a file that kills its
reader costs that file), the output lock, no writing through a linked folder, a user's own files left
alone, no formula from input text, one line for every error, and a console that cannot fail to print."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from builders import string_count_bomb
from click.testing import CliRunner
from conftest import ROOT, SAMPLES
from selfeval_fill import fill

from perfxl.cli.main import cli
from perfxl.core.errors import os_problem
from perfxl.core.model import FORMS_DIR, SELFEVAL_FORMS_DIR

SAMPLE = SAMPLES / "01_上海科技网站群运维.xlsx"
BUDGET = (600000, 600000)


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _copy(source: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    target.write_bytes(source.read_bytes())
    return target


@pytest.fixture
def filled(tmp_path) -> Path:
    """A folder 自评 with one filled self-evaluation workbook of the first sample."""
    _copy(SAMPLE, tmp_path / "input")
    result = invoke("selfeval", "prepare", tmp_path / "input", "--out", tmp_path / "自评")
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "自评").glob("*.xlsx")
    fill(path, BUDGET)
    return tmp_path / "自评"


def _commands(tmp_path: Path, filled: Path) -> dict[str, list]:
    """Each command that reads files and writes, with a folder holding one good file beside the bad."""
    _copy(SAMPLE, tmp_path / "input")
    _copy(SAMPLE, tmp_path / "2020")
    return {
        "run": ["run", tmp_path / "input", tmp_path / "output"],
        "selfeval run": ["selfeval", "run", filled, tmp_path / "output"],
        "selfeval prepare": ["selfeval", "prepare", tmp_path / "input", "--out", tmp_path / "自评2"],
        "migrate": ["migrate", tmp_path / "2020", "--out", tmp_path / "迁移"],
    }


COMMANDS = ["run", "selfeval run", "selfeval prepare", "migrate"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("scanned", [True, False], ids=["refused by the scan", "killed its worker"])
def test_a_string_count_bomb_costs_only_its_file(command, scanned, tmp_path, filled, monkeypatch):
    if not scanned:  # the scan is the first guard; the worker process is the second
        monkeypatch.setattr("perfxl.io.container._check_string_count", lambda head, size: None)
    args = _commands(tmp_path, filled)[command]
    folder = Path(args[2] if command.startswith("selfeval") else args[1])
    string_count_bomb(folder / "炸弹.xlsx")
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    bad = [line for line in result.output.splitlines() if "炸弹.xlsx" in line]
    assert len(bad) == 1 or (command != "migrate" and len(bad) >= 1), result.output
    assert "Traceback" not in result.output
    written = {"run": tmp_path / "output" / FORMS_DIR, "selfeval run": tmp_path / "output" / SELFEVAL_FORMS_DIR,
               "selfeval prepare": tmp_path / "自评2", "migrate": tmp_path / "迁移"}[command]
    assert [p for p in written.iterdir() if p.suffix in (".docx", ".xlsx")], result.output  # the good file


def _hold_lock(folder: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from perfxl.io.files import output_lock\n"
         "with output_lock(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()", str(folder)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.parametrize("command", [*COMMANDS, "import"])
def test_every_command_that_writes_refuses_while_another_perfxl_holds_the_folder(command, tmp_path, filled):
    commands = _commands(tmp_path, filled)
    (tmp_path / "word").mkdir()
    (tmp_path / "word" / "表.docx").write_bytes(b"PK\x03\x04 not really")
    commands["import"] = ["import", tmp_path / "word", "--out", tmp_path / "导入"]
    args = commands[command]
    out = Path(args[-1] if "--out" in args else args[-1])
    holder = _hold_lock(out)
    try:
        result = invoke(*args)
    finally:
        holder.communicate("")
    assert result.exit_code == 2, result.output
    assert f"另一个 perfxl 正在写入 {out}" in result.output
    assert not [p for p in out.iterdir() if p.suffix in (".docx", ".xlsx")]


def test_selfeval_run_refuses_a_forms_folder_linked_elsewhere(tmp_path, filled):
    other = tmp_path / "另一个单位"
    other.mkdir()
    (other / "他们的自评表.docx").write_bytes(b"theirs")
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / SELFEVAL_FORMS_DIR).symlink_to(other)
    result = invoke("selfeval", "run", filled, tmp_path / "output")
    assert result.exit_code == 2, result.output
    assert "是指向" in result.output and "的链接" in result.output
    assert [p.name for p in other.iterdir()] == ["他们的自评表.docx"]


def test_selfeval_run_leaves_the_users_own_files_among_the_forms(tmp_path, filled):
    out = tmp_path / "output"
    assert invoke("selfeval", "run", filled, out).exit_code == 0
    forms = out / SELFEVAL_FORMS_DIR
    [form] = forms.glob("*.docx")
    own = {"盖章扫描件.pdf": b"%PDF", form.with_suffix(".pdf").name: b"%PDF stamped", "说明.docx": b"note"}
    for name, data in own.items():
        (forms / name).write_bytes(data)
    for path in filled.glob("*.xlsx"):  # the project leaves the folder: its form goes, the unit's files stay
        path.unlink()
    result = invoke("selfeval", "run", filled, out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in forms.iterdir() if not p.name.startswith(".")} == set(own)
    assert all((forms / name).read_bytes() == data for name, data in own.items())


def test_selfeval_run_refuses_its_input_folder_as_output(filled):
    result = invoke("selfeval", "run", filled, filled)
    assert result.exit_code == 2, result.output
    assert "相同或互相包含" in result.output


INJECTED = {"项目名称": "=HYPERLINK(\"http://x.invalid\",\"点我\")", "实施单位": "+1+1", "年度总体目标": "@SUM(A1)",
            "申报单位名称": "-2+3"}


def _formulas(folder: Path) -> list[str]:
    """Every cell of every workbook under `folder` that Excel would evaluate."""
    found = []
    for path in folder.rglob("*.xlsx"):
        book = openpyxl.load_workbook(path)
        found += [f"{path.name}!{c.coordinate}" for sheet in book.worksheets for row in sheet.iter_rows()
                  for c in row if c.data_type == "f"]
    return found


def test_no_workbook_perfxl_writes_holds_a_formula_from_input_text(tmp_path, make_workbook, clean_project):
    fields, indicators = clean_project
    make_workbook("注入.xlsx", fields={**fields, **{k: v for k, v in INJECTED.items() if k in fields}})
    book = openpyxl.load_workbook(tmp_path / "input" / "注入.xlsx")
    assert any(c.value == INJECTED["项目名称"] for row in book["项目信息"].iter_rows() for c in row)
    assert invoke("run", tmp_path / "input", tmp_path / "output").exit_code in (0, 1)
    assert invoke("selfeval", "prepare", tmp_path / "input", "--out", tmp_path / "自评").exit_code in (0, 1)
    assert invoke("migrate", tmp_path / "input", "--out", tmp_path / "迁移").exit_code in (0, 1)
    assert list((tmp_path / "自评").glob("*.xlsx")) and list((tmp_path / "迁移").glob("*.xlsx"))
    prepared = openpyxl.load_workbook(next((tmp_path / "自评").glob("*.xlsx")))
    assert any(c.value == INJECTED["项目名称"] for sheet in prepared.worksheets for row in sheet.iter_rows()
               for c in row)
    assert _formulas(tmp_path) == [] or all(path.startswith("注入.xlsx") for path in _formulas(tmp_path))
    assert [f for f in _formulas(tmp_path) if not f.startswith("注入.xlsx")] == []


@pytest.mark.parametrize(("number", "words"), [
    (errno.EACCES, "没有写入权限"), (errno.ENOSPC, "磁盘已满"), (errno.EROFS, "只读"), (errno.EBUSY, "文件被占用"),
])
def test_an_os_error_says_what_happened(number, words):
    assert words in os_problem(OSError(number, os.strerror(number)))
    assert "同名的文件夹" not in os_problem(OSError(number, os.strerror(number)))


def test_a_read_only_output_folder_is_not_called_a_folder_of_the_same_name(tmp_path, make_workbook, monkeypatch):
    make_workbook("a.xlsx")

    def refuse(folder):
        raise PermissionError(errno.EACCES, "Permission denied", str(folder / ".perfxl.lock"))

    monkeypatch.setattr("perfxl.engine.batch.output_lock", refuse)
    result = invoke("run", tmp_path / "input", tmp_path / "output")
    assert result.exit_code == 2, result.output
    assert "没有写入权限" in result.output and "同名的文件夹" not in result.output


def test_an_unexpected_error_is_one_line_with_a_report_and_exit_3(monkeypatch):
    class Broken(dict):
        def values(self):
            raise RuntimeError("a bug")

    monkeypatch.setattr("perfxl.cli.target.CATALOGUE", Broken())
    result = invoke("rules")
    assert result.exit_code == 3, result.output
    [line] = result.output.strip().splitlines()
    report = Path(line.split("详细报告已写入 ")[1].split("：")[0])
    assert "RuntimeError: a bug" in report.read_text(encoding="utf-8")
    report.unlink()


NAMES = "项目😀\x07\u202e名"


@pytest.mark.parametrize("command", ["run", "check", "selfeval run", "migrate", "import", "rules"])
def test_a_gbk_console_prints_every_command_without_a_traceback(command, tmp_path, filled):
    _copy(SAMPLE, tmp_path / "input", f"{NAMES}.xlsx")
    _copy(SAMPLE, tmp_path / "2020", f"{NAMES}.xlsx")
    (tmp_path / "word").mkdir()
    (tmp_path / "word" / f"{NAMES}.docx").write_bytes(b"not a document")
    for path in filled.glob("*.xlsx"):
        path.rename(filled / f"{NAMES}.xlsx")
    args = {"run": ["run", tmp_path / "input", tmp_path / "output"], "check": ["check", tmp_path / "input"],
            "selfeval run": ["selfeval", "run", filled, tmp_path / "output2"],
            "migrate": ["migrate", tmp_path / "2020", "--out", tmp_path / "迁移"],
            "import": ["import", tmp_path / "word", "--out", tmp_path / "导入"], "rules": ["rules"]}[command]
    expected = {"run": 1, "check": 1, "selfeval run": 0, "migrate": 0, "import": 1, "rules": 0}[command]
    done = subprocess.run([sys.executable, "-m", "perfxl", *map(str, args)], cwd=ROOT, capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "gbk"}, timeout=120)
    output = (done.stdout + done.stderr).decode("gbk", errors="replace")
    assert "Traceback" not in output and "UnicodeEncodeError" not in output, output
    assert done.returncode == expected, output
    if command not in ("rules", "selfeval run"):  # these print no file name
        assert "项目?\\x07\\u202e名" in output and "\x07" not in output  # emoji replaced, controls shown


def test_the_printer_escapes_control_characters_and_keeps_its_own_layout(capsys):
    from perfxl.cli.common import say

    say("项目\x1b[2J名称\u202e\tB\n第二行")
    printed = capsys.readouterr().out
    assert printed == "项目\\x1b[2J名称\\u202e\tB\n第二行\n"
