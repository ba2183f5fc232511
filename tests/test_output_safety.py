"""The consolidated workbook cannot hurt anyone, and is never half-written."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SAMPLES, is_form_link, read_sheet

from perfxl.cli.main import cli
from perfxl.io.files import LOCK_NAME, TEMP_PREFIX
from perfxl.target.pipeline import run

REPORT = "绩效目标汇总.xlsx"
FORMULA_LIKE = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+1", "-2+3", "@SUM(A1:A2)", "=cmd|' /C calc'!A0",
                "http://example.com/连接"]


def test_no_text_becomes_a_formula_or_a_link(make_workbook, clean_project, config, tmp_path):
    fields, indicators = clean_project
    fields["项目名称"] = FORMULA_LIKE[0]
    fields["申报单位名称"] = FORMULA_LIKE[1]
    for row, text in zip(indicators[4:], FORMULA_LIKE, strict=False):
        row[2] = text
    make_workbook("=1+1.xlsx", fields, indicators)
    run(tmp_path / "input", tmp_path / "output", config)

    book = openpyxl.load_workbook(tmp_path / "output" / REPORT)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    risky = [c for c in cells if c.value[:1] in "=+-@" or c.value.startswith("http")]
    assert {c.value for c in risky} >= set(FORMULA_LIKE) | {"=1+1.xlsx"}
    assert {c.data_type for c in risky} == {"s"}
    assert not any(c.hyperlink for c in cells if not is_form_link(c))


def test_characters_outside_the_bmp_survive(make_workbook, clean_project, config, tmp_path):
    fields, indicators = clean_project
    fields["项目名称"] = "𠀀𠀁项目"
    indicators[4][2] = "𪚥指标"
    indicators[4][3] = "≥3𠀂"
    make_workbook("𠀀/甲𠀀.xlsx", fields, indicators)
    run(tmp_path / "input", tmp_path / "output", config)

    report = tmp_path / "output" / REPORT
    assert read_sheet(report, "项目汇总")[0]["项目名称"] == "𠀀𠀁项目"
    indicator = read_sheet(report, "绩效指标")[4]
    assert (indicator["三级目标"], indicator["指标目标值"], indicator["单位"]) == ("𪚥指标", "≥3𠀂", "𠀂")
    assert read_sheet(report, "处理清单")[0]["文件"] == "𠀀/甲𠀀.xlsx"


def _run_cli(*args):
    return CliRunner().invoke(cli, ["run", *map(str, args)])


def _bad_and_good_input(make_workbook, tmp_path):
    make_workbook("好的.xlsx")
    (tmp_path / "input" / "空.xlsx").write_bytes(b"")
    return tmp_path / "input"


def test_an_output_folder_that_is_a_file_is_exit_2_with_findings(make_workbook, tmp_path):
    folder = _bad_and_good_input(make_workbook, tmp_path)
    (tmp_path / "out").write_text("not a folder")
    result = _run_cli(folder, tmp_path / "out" / "2021")
    assert result.exit_code == 2
    assert "是一个文件，不是文件夹" in result.output
    assert "S01" in result.output and "空的（0 字节）" in result.output, "the inputs' findings are still shown"
    assert isinstance(result.exception, SystemExit), "no traceback"


def test_a_report_path_that_is_a_folder_is_exit_2(make_workbook, tmp_path):
    folder = _bad_and_good_input(make_workbook, tmp_path)
    (tmp_path / "out" / REPORT).mkdir(parents=True)
    result = _run_cli(folder, tmp_path / "out")
    assert result.exit_code == 2
    assert "同名的文件夹已存在" in result.output
    assert "空的（0 字节）" in result.output
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(TEMP_PREFIX)]


@pytest.mark.parametrize("where", ["os.replace", "xlsxwriter"])
def test_a_report_held_open_or_a_read_only_folder_is_exit_2(make_workbook, tmp_path, monkeypatch, where):
    """Tests run as root, so Windows' lock on an open workbook and a read-only folder are simulated."""
    folder = _bad_and_good_input(make_workbook, tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / REPORT).write_bytes(b"previous report")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out" / REPORT))

    if where == "os.replace":
        monkeypatch.setattr("perfxl.io.files.os.replace", refuse)
    else:
        monkeypatch.setattr("xlsxwriter.workbook.Workbook._store_workbook", refuse)
    result = _run_cli(folder, tmp_path / "out")
    assert result.exit_code == 2
    assert "请先关闭" in result.output and "只读" in result.output
    assert "空的（0 字节）" in result.output
    assert (tmp_path / "out" / REPORT).read_bytes() == b"previous report"
    assert [p.name for p in (tmp_path / "out").iterdir() if p.is_file() and p.name != LOCK_NAME] == [REPORT]
    assert not list((tmp_path / "out").rglob(f"{TEMP_PREFIX}*"))


def _readable_report(path):
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    return [r["文件"] for r in read_sheet(path, "处理清单")]


def _live_children(pid: int) -> set[int]:
    """The processes whose parent is `pid` and that have not ended (Linux /proc)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            state, ppid = stat.read_text().rpartition(")")[2].split()[:2]
            if int(ppid) == pid and state != "Z":
                children.add(int(stat.parent.name))
    return children


def _ended(pids: set[int]) -> bool:
    return not any(Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2]
                   .split()[0] != "Z" for pid in pids)


def _wait_for(condition, timeout: float = 60.0) -> bool:
    """Poll `condition` until it holds; the timeout only stops a broken run from hanging the suite."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def _kill_when(command, cwd, ready) -> bool:
    """Start `command`, SIGKILL its main process as soon as `ready(pid)` holds, then wait until its workers
    have ended too (they die with it); False when it ended on its own first."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    if not _wait_for(lambda: process.poll() is not None or ready(process.pid)) or process.poll() is not None:
        process.wait()
        return False
    workers = _live_children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert _wait_for(lambda: _ended(workers)), f"workers {workers} outlived the killed run"
    return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="watches processes through Linux /proc")
def test_a_run_killed_midway_leaves_the_previous_report_whole(tmp_path, config):
    """Kill `perfxl run` while it reads, and while it writes the report: the old report stays whole, and the
    killed run's workers do not outlive it."""
    folder, out = tmp_path / "input", tmp_path / "output"
    folder.mkdir()
    samples = sorted((SAMPLES).glob("*.xlsx"))
    (folder / samples[0].name).write_bytes(samples[0].read_bytes())
    run(folder, out, config)
    previous = _readable_report(out / REPORT)
    for i in range(300):
        sample = samples[i % len(samples)]
        (folder / f"{i:03d}_{sample.name}").write_bytes(sample.read_bytes())
    perfxl = [sys.executable, "-m", "perfxl", "run", "--jobs", "2", str(folder), str(out)]

    reading = lambda pid: bool(_live_children(pid))  # noqa: E731 - the workers are up: reading has begun
    assert _kill_when(perfxl, tmp_path, reading), "killed while reading"
    assert _readable_report(out / REPORT) == previous
    writing = [_kill_when(perfxl, tmp_path, lambda pid: any(out.glob(f"{TEMP_PREFIX}*"))) for _ in range(3)]
    assert any(writing), "killed while the temporary report was being written"
    listed = _readable_report(out / REPORT)
    assert listed == previous or len(listed) == 301, "the old report whole, or (rename just done) the new one"

    finished = subprocess.run(perfxl, capture_output=True, cwd=tmp_path, timeout=120)
    assert finished.returncode in (0, 1), finished.stderr.decode()
    assert len(_readable_report(out / REPORT)) == 301
    assert [p.name for p in out.iterdir() if p.is_file() and p.name != LOCK_NAME] == [REPORT]
    assert not list(out.rglob(f"{TEMP_PREFIX}*")), "no temporary litter is left after the next run"
