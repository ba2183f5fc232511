"""Issue 14's first-use story in a copy of the project: a new unit's own projects never mix with the samples.

`make` and `make mail` run for real in the copy, with this checkout's .venv (VENV=), so nothing is installed.
"""

from __future__ import annotations

import email
import shutil
import subprocess
from email import policy
from pathlib import Path

import pytest
from conftest import OTHER_UNIT, ROOT, SAMPLES, other_unit_project, read_sheet

VENV = ROOT / ".venv"
SAMPLE_UNITS = {"上海市科技信息中心", "上海市普陀区城市管理行政执法局执法大队"}  # the 2020 and 2026 samples


def _copy_project(target: Path) -> None:
    """The project's tracked files as they are in the working tree, with their times (so make sees the
    .venv's install stamps as newer than pyproject.toml)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _make(project: Path, *goals: str) -> subprocess.CompletedProcess:
    result = subprocess.run(["make", f"VENV={VENV}", *goals], cwd=project, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _projects(project: Path) -> list[tuple[str, str]]:
    """(unit, project name) of each row of 项目汇总, without the totals row; the unit's column is headed
    申报单位名称, 实施单位, or both joined (申报单位名称／实施单位) for a batch of both layouts."""
    rows = read_sheet(project / "output" / "绩效目标汇总.xlsx", "项目汇总")
    unit = next(h for h in rows[0] if h in ("申报单位名称", "实施单位", "申报单位名称／实施单位"))
    return [(r[unit], r["项目名称"]) for r in rows if not r["文件"].startswith("合计")]


@pytest.mark.skipif(shutil.which("make") is None or not (VENV / ".installed-runtime").is_file(),
                    reason="needs make and a .venv installed by make")
def test_a_new_unit_sees_only_its_own_projects(tmp_path, make_workbook):
    project = tmp_path  # make_workbook writes into tmp_path/input: the copy's input/
    _copy_project(project)
    assert [p.name for p in (project / "input").iterdir()] == [".gitkeep"]

    first = _make(project)  # a fresh clone: the samples, said to be the samples
    assert "input/ 中没有申报表，本次运行的是示例 examples/" in first.stdout
    assert {unit for unit, _ in _projects(project)} == SAMPLE_UNITS
    assert "正在安装" not in first.stdout  # the .venv is reused

    make_workbook("课后服务.xlsx", other_unit_project("课后服务"))
    make_workbook("校舍维修.xlsx", other_unit_project("校舍维修"))
    make_workbook("教师培训.xlsx", other_unit_project("教师培训", **{"计划完成日期": "年底"}))
    ours = _make(project)
    assert "示例" not in ours.stdout
    assert "项目 3 个，通过 2 个；错误 1" in ours.stdout
    assert sorted(_projects(project)) == sorted((OTHER_UNIT, n) for n in ("课后服务", "校舍维修", "教师培训"))
    assert read_sheet(project / "output" / "绩效目标汇总.xlsx", "项目汇总")[-1]["文件"] == "合计（3 个项目）"
    forms = sorted(p.name for p in (project / "output" / "目标表").glob("*.docx"))
    assert forms == ["2026_校舍维修.docx", "2026_课后服务.docx"]
    assert f"已删除过期的目标表 {len(list(SAMPLES.glob('*.xlsx')))} 份" in ours.stdout

    mail = _make(project, "mail")
    assert "未附上：教师培训（有 1 个错误（S04）" in mail.stdout
    drafts = sorted((project / "output" / "邮件").glob("*.eml"))
    assert [d.name for d in drafts] == [f"{OTHER_UNIT}_2026年度.eml"]
    message = email.message_from_bytes(drafts[0].read_bytes(), policy=policy.default)
    assert message["Subject"].startswith(f"{OTHER_UNIT}2026年度")
    assert sorted(part.get_filename() for part in message.iter_attachments()) == forms
    body = message.get_body(("plain",)).get_content()
    assert not any(unit in body for unit in SAMPLE_UNITS) and "- 教师培训" in body


def test_make_keeps_pip_quiet_and_names_its_log(tmp_path):
    """A stand-in python that warns like pip on this machine: the warning goes to the log, not the screen."""
    if shutil.which("make") is None:
        pytest.skip("needs make")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "python"
    fake.write_text("#!/bin/sh\necho \"WARNING: Location 'file:///opt/pypi/simple/x/' is ignored\" >&2\n",
                    encoding="utf-8")
    fake.chmod(0o755)
    result = subprocess.run(["make", f"VENV={venv}", f"{venv}/.installed-runtime"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert f"详细信息见 {venv}/pip.log" in result.stdout
    assert "WARNING: Location" in (venv / "pip.log").read_text(encoding="utf-8")

    fake.write_text("#!/bin/sh\necho 'ERROR: No matching distribution found for click' >&2\nexit 1\n",
                    encoding="utf-8")
    (venv / ".installed-runtime").unlink()
    failed = subprocess.run(["make", f"VENV={venv}", f"{venv}/.installed-runtime"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert failed.returncode != 0
    assert "ERROR: No matching distribution found for click" in failed.stdout
    assert f"安装失败，详见 {venv}/pip.log" in failed.stdout
