"""Issue 13: hostile templates, text and file names, and faults; one file or setting never takes down more."""

from __future__ import annotations

import contextlib
import email
import email.policy
import gc
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from builders import INDICATOR_PART, read_part, rezip
from click.testing import CliRunner
from conftest import ROOT, SAMPLES, SEED, read_sheet

from perfxl.cli.main import cli
from perfxl.core.config import shipped_layout
from perfxl.core.model import FAILED, PROCESSED, SKIPPED
from perfxl.core.values import visible
from perfxl.io.files import TEMP_PREFIX, record
from perfxl.io.form_template import template_parts
from perfxl.io.forms import FORMS_DIR, convert_to_pdf
from perfxl.target.pipeline import OutputError, run, validate

# FIFOs, process groups and signals: not on Windows
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX only: mkfifo, process groups, signals")


def _cli(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


# --- templates run no code -------------------------------------------------------------------------


def _evil(marker) -> str:
    return f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}"


def test_a_form_template_calling_python_is_refused_naming_the_template(make_workbook, tmp_path, monkeypatch):
    make_workbook("项目.xlsx")
    marker = tmp_path / "pwned"
    parts = template_parts(shipped_layout("上海2020"))
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


def test_a_mail_template_calling_a_method_of_a_project_is_refused(make_workbook, tmp_path, monkeypatch):
    make_workbook("项目.xlsx")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "邮件.txt.j2").write_text(
        '主题：{{ projects[0].set("project_name", "改掉了") }}{{ projects[0].name }}\n正文\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = _cli("mail", "input", "output")
    assert result.exit_code == 2, result.output
    assert "templates/邮件.txt.j2" in result.output and "不允许的表达式" in result.output
    assert not list((tmp_path / "output").rglob("*.eml")), "no draft written"


def test_a_mail_template_reading_project_fields_still_works(make_workbook, tmp_path, monkeypatch):
    make_workbook("项目.xlsx")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "邮件.txt.j2").write_text(
        "主题：{{ projects[0].project_name }}｜{{ items | length }}\n{% for p in items %}{{ p.name }}{% endfor %}\n",
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = _cli("mail", "input", "output")
    assert result.exit_code == 0, result.output
    draft = next((tmp_path / "output").rglob("*.eml")).read_bytes()
    assert email.message_from_bytes(draft, policy=email.policy.default)["Subject"].endswith("｜1")


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
    assert [p.name for p in (tmp_path / "output" / FORMS_DIR).glob("*.docx")] == ["2021_Pgpj.exe.docx"]


@pytest.mark.parametrize("name", ["报表\u202e.docx", "\u2066表\u2069.docx"])
def test_bidi_characters_never_reach_a_mail_attachment_name(tmp_path, name):
    from perfxl.mail.send import _attachment

    path = tmp_path / name
    path.write_bytes(b"x")
    part = _attachment(path)
    assert part.get_filename() == name.replace("\u202e", "").replace("\u2066", "").replace("\u2069", "")


# --- nothing but perfxl's own files is touched in output/ ------------------------------------------


def test_files_the_user_put_among_the_forms_survive_and_stale_forms_go(make_workbook, clean_project, config,
                                                                       tmp_path):
    fields, indicators = clean_project
    make_workbook("a.xlsx")
    make_workbook("b.xlsx", {**fields, "项目名称": "第二个项目"}, indicators)
    out = tmp_path / "output"
    first = run(tmp_path / "input", out, config)
    folder = out / FORMS_DIR
    own = {"盖章扫描件.pdf": b"%PDF", "说明.docx": b"note", "2020_去年的项目.docx": b"old"}
    for name, data in own.items():
        (folder / name).write_bytes(data)
    gone = folder / Path(first.forms["b.xlsx"]).name
    gone.with_suffix(".pdf").write_bytes(b"%PDF")  # the PDF perfxl run --pdf made of it, and listed
    record(folder, [gone.with_suffix(".pdf").name])
    scan = folder / Path(first.forms["a.xlsx"]).with_suffix(".pdf").name  # the unit's stamped scan of a form
    scan.write_bytes(b"%PDF stamped")
    (tmp_path / "input" / "b.xlsx").unlink()
    second = run(tmp_path / "input", out, config)
    names = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    assert names == set(own) | {Path(second.forms["a.xlsx"]).name, scan.name}
    assert all((folder / name).read_bytes() == data for name, data in own.items())
    assert scan.read_bytes() == b"%PDF stamped"


def test_pdf_leaves_a_scan_of_the_same_name_and_replaces_only_its_own(make_workbook, config, tmp_path,
                                                                      monkeypatch):
    make_workbook("a.xlsx")
    fake = tmp_path / "bin" / "soffice"  # writes a PDF of each form into --outdir, as LibreOffice does
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nwhile [ $# -gt 0 ]; do case $1 in --outdir) out=$2; shift;; *.docx)"
                    " n=$(basename \"$1\" .docx); echo made > \"$out/$n.pdf\";; esac; shift; done\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    out = tmp_path / "output"
    form = out / run(tmp_path / "input", out, config).forms["a.xlsx"]
    form.with_suffix(".pdf").write_bytes(b"%PDF stamped")
    assert convert_to_pdf([form]) == []
    assert form.with_suffix(".pdf").read_bytes() == b"%PDF stamped"
    form.with_suffix(".pdf").unlink()
    assert convert_to_pdf([form]) == [form.with_suffix(".pdf")]
    assert convert_to_pdf([form]) == [form.with_suffix(".pdf")]  # its own PDF is made again
    assert form.with_suffix(".pdf").read_text().strip() == "made"
    run(tmp_path / "input", out, config)
    assert not form.with_suffix(".pdf").exists()  # the form was written again: its old PDF went


def test_a_forms_folder_linked_out_of_the_output_folder_is_refused(make_workbook, tmp_path):
    make_workbook("a.xlsx")
    personal = tmp_path / "personal"
    personal.mkdir()
    (personal / "合同.docx").write_bytes(b"mine")
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / FORMS_DIR).symlink_to(personal)
    result = _cli("run", tmp_path / "input", tmp_path / "output")
    assert result.exit_code == 2, result.output
    assert "是指向" in result.output and "链接" in result.output
    assert [p.name for p in personal.iterdir()] == ["合同.docx"]


def _hold_lock(out: Path) -> subprocess.Popen:
    """Another process holding the output folder's lock until its standard input closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from perfxl.io.files import output_lock\n"
         "with output_lock(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()", str(out)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_second_run_into_the_same_output_folder_says_another_run_writes_there(make_workbook, tmp_path):
    make_workbook("a.xlsx")
    out = tmp_path / "output"
    first = _hold_lock(out)  # the first run, still writing
    try:
        result = _cli("run", tmp_path / "input", out)
        mail = _cli("mail", tmp_path / "input", out)
    finally:
        first.stdin.close()
        first.wait()
    assert result.exit_code == mail.exit_code == 2
    assert "另一个 perfxl 正在写入" in result.output and "另一个 perfxl 正在写入" in mail.output
    assert not (out / "绩效目标汇总.xlsx").exists()
    assert _cli("run", tmp_path / "input", out).exit_code == 0, "free again once the first run ends"


@pytest.mark.parametrize("output", ["input", "input/out", "."])
def test_overlapping_input_and_output_folders_are_refused(make_workbook, tmp_path, monkeypatch, output):
    make_workbook("a.xlsx")
    monkeypatch.chdir(tmp_path)
    result = _cli("run", "input", output)
    assert result.exit_code == 2, result.output
    assert "相同或互相包含" in result.output
    assert sorted(p.name for p in (tmp_path / "input").iterdir()) == ["a.xlsx"]


def test_mail_drafts_replace_only_perfxl_drafts(tmp_path, monkeypatch):
    (tmp_path / "input").mkdir()
    for seed in SEED:  # one unit: one draft
        shutil.copy(SAMPLES / seed["file"], tmp_path / "input")
    monkeypatch.chdir(tmp_path)
    drafts = tmp_path / "out" / "邮件"
    drafts.mkdir(parents=True)
    (drafts / "我的草稿.eml").write_text("mine")
    assert _cli("mail", "input", tmp_path / "out").exit_code == 0
    assert _cli("mail", "input", tmp_path / "out").exit_code == 0
    names = sorted(p.name for p in drafts.glob("*.eml"))
    assert names[-1] == "我的草稿.eml" and len(names) == 2


# --- what is not a regular file in input/ ----------------------------------------------------------


def _ledger(batch) -> dict[str, tuple[str, str]]:
    return {e.file: (e.status, e.message) for e in batch.ledger}


@POSIX_ONLY
def test_fifos_links_and_loops_each_get_their_own_ledger_row(make_workbook, config, tmp_path):
    make_workbook("好的.xlsx")
    folder = tmp_path / "input"
    outside = tmp_path / "outside.xlsx"
    outside.write_bytes((folder / "好的.xlsx").read_bytes())
    os.mkfifo(folder / "管道.xlsx")
    (folder / "零.xlsx").symlink_to("/dev/zero")
    (folder / "外面.xlsx").symlink_to(outside)
    (folder / "失效.xlsx").symlink_to(tmp_path / "gone.xlsx")
    (folder / "循环.xlsx").symlink_to(folder / "循环.xlsx")
    (folder / "里面.xlsx").symlink_to(folder / "好的.xlsx")
    (folder / "文件夹链接").symlink_to(tmp_path)
    batch = validate(folder, config)  # would block on the FIFO or read /dev/zero for ever
    rows = _ledger(batch)
    assert rows["管道.xlsx"] == (SKIPPED, "不是普通文件（命名管道、设备等），已跳过")
    assert rows["零.xlsx"][0] == rows["外面.xlsx"][0] == SKIPPED and "input 文件夹以外" in rows["零.xlsx"][1]
    assert rows["失效.xlsx"][0] == FAILED and "指向的文件不存在" in rows["失效.xlsx"][1]
    assert rows["循环.xlsx"][0] == FAILED and "循环" in rows["循环.xlsx"][1]
    assert rows["里面.xlsx"][0] == rows["好的.xlsx"][0] == PROCESSED
    assert rows["文件夹链接/"][0] == SKIPPED
    assert len(batch.ledger) == 8


def test_unreadable_files_and_folders_say_so(make_workbook, config, tmp_path, monkeypatch):
    """As root nothing is unreadable: the operating system's refusals are simulated where perfxl meets them."""
    make_workbook("好的.xlsx")
    make_workbook("锁住.xlsx")
    make_workbook("锁住的文件夹/里面.xlsx")
    real_access, real_scandir = os.access, os.scandir
    monkeypatch.setattr(os, "access", lambda path, mode: "锁住" not in str(path) and real_access(path, mode))

    def scandir(path):
        if "锁住的文件夹" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    rows = _ledger(validate(tmp_path / "input", config))
    assert rows["锁住.xlsx"] == (FAILED, "无法读取该文件（没有读取权限）：请检查文件权限")
    assert rows["锁住的文件夹/"] == (FAILED, "文件夹无法打开（没有读取权限）：请检查该文件夹的权限")
    assert rows["好的.xlsx"][0] == PROCESSED


def test_a_permission_refused_while_reading_is_not_called_damage(make_workbook, config, tmp_path, monkeypatch):
    make_workbook("好的.xlsx")

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("perfxl.io.container.office_container", refuse)
    rows = _ledger(validate(tmp_path / "input", config))
    assert rows["好的.xlsx"] == (FAILED, "无法读取该文件（没有读取权限）：请检查文件权限")


def test_a_file_name_that_is_not_utf8_is_read_and_shown(make_workbook, config, tmp_path):
    good = make_workbook("好的.xlsx")
    raw = os.fsencode(str(tmp_path / "input")) + b"/" + "预算表".encode("gbk") + b".xlsx"
    os.rename(good, raw)
    for command in ("check", "run"):
        result = _cli(command, tmp_path / "input", *([tmp_path / "output"] if command == "run" else []))
        assert result.exit_code == 0, result.output
        assert "失败 0" in result.output
    assert read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "处理清单")[0]["文件"] == "预算表.xlsx"


# --- one file cannot take down the run ------------------------------------------------------------


def test_cells_without_addresses_count_in_the_size_check(make_workbook, config, tmp_path):
    """16,384 empty cells in one row, then 100,000 one-cell rows, no `r=`: the engine would allocate 52 GB."""
    make_workbook("好的.xlsx")
    path = make_workbook("炸弹.xlsx")
    rows = "<row>" + "<c/>" * 16384 + "</row>" + "<row><c><v>1</v></c></row>" * 100_000
    sheet = read_part(path, INDICATOR_PART)
    start, end = sheet.index("<sheetData>") + len("<sheetData>"), sheet.index("</sheetData>")
    rezip(path, tmp_path / "bomb.xlsx", {INDICATOR_PART: (sheet[:start] + rows + sheet[end:]).encode()})
    assert (tmp_path / "bomb.xlsx").stat().st_size < 100_000
    (tmp_path / "bomb.xlsx").replace(path)
    rows = _ledger(validate(tmp_path / "input", config))
    assert rows["炸弹.xlsx"][0] == FAILED and "使用范围过大" in rows["炸弹.xlsx"][1]
    assert rows["好的.xlsx"][0] == PROCESSED


def test_a_workbook_with_unaddressed_cells_of_normal_size_is_read(make_workbook, config, tmp_path):
    path = make_workbook("项目.xlsx")
    sheet = read_part(path, INDICATOR_PART)
    rezip(path, tmp_path / "x.xlsx", {INDICATOR_PART: re.sub(r'(<c) r="[A-Z]+\d+"', r"\1", sheet).encode()})
    (tmp_path / "x.xlsx").replace(path)
    batch = validate(tmp_path / "input", config)
    assert _ledger(batch)["项目.xlsx"][0] == PROCESSED
    assert len(batch.projects[0].indicators) == 10


# --- Ctrl-C and a killed run --------------------------------------------------------------------------

DRIVER = """
import os, signal, sys, time
from pathlib import Path
from perfxl.cli import main as cli
from perfxl.target import pipeline
real = pipeline.read_project
def hook(path, name, config):  # runs on a worker
    {action}
    return real(path, name, config)
pipeline.read_project = hook
sys.argv = ["perfxl", "run", "--jobs", "2", *sys.argv[1:]]
cli.main()
"""


def _driver(action: str, *args) -> subprocess.Popen:
    code = DRIVER.format(action=action)
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@POSIX_ONLY
def test_ctrl_c_is_exit_130_with_one_line_and_no_worker_traceback(make_workbook, tmp_path):
    for name in ("01.xlsx", "02.xlsx", "03.xlsx"):
        make_workbook(name)
    # Ctrl-C in a terminal interrupts the whole process group: the run and its workers
    run_ = _driver('if name == "02.xlsx": os.killpg(os.getpgrp(), signal.SIGINT)', tmp_path / "input",
                   tmp_path / "output")
    out, err = run_.communicate(timeout=120)
    assert run_.returncode == 130, err
    assert err.strip().splitlines() == ["已中断（Ctrl-C）：本次运行未完成，请重新运行"]
    assert "Traceback" not in out + err


@POSIX_ONLY
def test_workers_end_when_the_run_is_killed(make_workbook, tmp_path):
    import psutil

    for name in ("01.xlsx", "02.xlsx"):
        make_workbook(name)
    (tmp_path / "pids").mkdir()
    run_ = _driver(f'(Path({str(tmp_path / "pids")!r}) / str(os.getpid())).touch(); time.sleep(600)',
                   tmp_path / "input", tmp_path / "output")
    workers = []
    try:
        for _ in range(600):  # until both workers are reading (a wait for an event, not a timing assumption)
            workers = [psutil.Process(int(p.name)) for p in (tmp_path / "pids").iterdir()]
            if len(workers) == 2:
                break
            time.sleep(0.1)
        assert len(workers) == 2
        run_.kill()
        run_.communicate()
        gone, alive = psutil.wait_procs(workers, timeout=60)
        assert alive == []
    finally:
        for process in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


def test_previous_gets_the_size_checks_of_the_inputs(make_workbook, tmp_path):
    """A consolidated workbook claiming A1:XFD1048576: a MemoryError traceback before."""
    make_workbook("项目.xlsx")
    assert _cli("run", tmp_path / "input", tmp_path / "last").exit_code == 0
    last = tmp_path / "last" / "绩效目标汇总.xlsx"
    sheet = read_part(last, "xl/worksheets/sheet1.xml")
    huge = re.sub(r'<dimension ref="[^"]+"/>', '<dimension ref="A1:XFD1048576"/>', sheet)
    assert huge != sheet
    rezip(last, tmp_path / "huge.xlsx", {"xl/worksheets/sheet1.xml": huge.encode()})
    result = _cli("check", tmp_path / "input", "--previous", tmp_path / "huge.xlsx")
    assert result.exit_code == 2, result.output
    assert "上年汇总表" in result.output and "使用范围过大" in result.output
    assert isinstance(result.exception, SystemExit), "no traceback"


# --- a full disk ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_full_disk_is_one_message_without_zip_noise(make_workbook, config, tmp_path, monkeypatch, jobs):
    """The consolidated workbook's temporary file is /dev/full: every write fails with ENOSPC."""
    make_workbook("项目.xlsx")
    out = tmp_path / "output"
    out.mkdir()
    (out / f"{TEMP_PREFIX}{os.getpid()}-绩效目标汇总.xlsx").symlink_to("/dev/full")
    monkeypatch.setattr("perfxl.target.pipeline.remove_stale_temps", lambda folder: None)
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with pytest.raises(OutputError, match="：磁盘已满：请清理磁盘空间") as caught:
        run(tmp_path / "input", out, config, jobs=jobs)
    del caught
    gc.collect()
    assert unraisable == []


# --- the README's promises over one hostile input folder -----------------------------------------------


def _state(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder` (links not followed): kind, size, modification time, and a file's bytes."""
    state = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else os.readlink(path) \
            if path.is_symlink() else None
        state[str(path.relative_to(folder))] = (info.st_mode, info.st_size, info.st_mtime_ns, data)
    return state


@POSIX_ONLY
def test_a_hostile_folder_every_file_listed_inputs_unchanged_exit_1(make_workbook, clean_project, tmp_path):
    fields, indicators = clean_project
    make_workbook("好的.xlsx")
    make_workbook("子/恶意.xlsx", {**fields, "项目名称": "=HYPERLINK(\"http://x\")\u202e"}, indicators)
    folder = tmp_path / "input"
    os.mkfifo(folder / "管道.xlsx")
    (folder / "零.xlsx").symlink_to("/dev/zero")
    (folder / "循环.xlsx").symlink_to(folder / "循环.xlsx")
    (folder / "空.xlsx").write_bytes(b"")
    (folder / "~$好的.xlsx").write_bytes(b"lock")
    os.rename(make_workbook("gbk.xlsx"), os.fsencode(str(folder)) + b"/" + "预算".encode("gbk") + b".xlsx")
    before = _state(folder)
    result = _cli("run", folder, tmp_path / "output")
    assert result.exit_code == 1, result.output  # the empty and the looping file failed
    assert _state(folder) == before
    ledger = read_sheet(tmp_path / "output" / "绩效目标汇总.xlsx", "处理清单")
    assert len(ledger) == len(before) - 1  # every file, not the folder 子
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output


def test_readme_promises_name_real_tests():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("#### What the README promises"):readme.index("`test_readme_promises_name_real")]
    named = re.findall(r"`(?:(test_\w+\.py))?:{0,2}(test_\w+)`", table)
    assert len(named) > 15
    file = None
    for module, test in named:
        file = module or file
        assert f"def {test}(" in (ROOT / "tests" / file).read_text(encoding="utf-8"), (file, test)
