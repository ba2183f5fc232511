"""The command line through click's CliRunner: exit codes, summary, help texts, the template command."""

from __future__ import annotations

import shutil
import subprocess
import sys

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ROOT

from perfxl.cli import cli

COMMANDS = ["run", "check", "rules", "template"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_run_on_clean_input_exits_0_with_summary(make_workbook, tmp_path):
    make_workbook("a.xlsx")
    result = invoke("run", tmp_path / "input", tmp_path / "output")
    assert result.exit_code == 0, result.output
    assert "文件 1 个（失败 0），项目 1 个，通过 1 个；错误 0" in result.output
    assert f"已写入：{tmp_path / 'output' / '绩效目标汇总.xlsx'}" in result.output
    assert (tmp_path / "output" / "绩效目标汇总.xlsx").is_file()


def test_run_with_an_error_finding_exits_1(make_workbook, clean_project, tmp_path):
    fields, _ = clean_project
    fields["计划完成日期"] = "年底"
    fields["项目名称"] = "另一个项目"
    make_workbook("a.xlsx")
    make_workbook("b.xlsx", fields=fields)
    result = invoke("run", tmp_path / "input", tmp_path / "output")
    assert result.exit_code == 1, result.output
    assert "S04 项目信息!B7" in result.output
    assert "项目 2 个，通过 1 个；错误 1" in result.output


def test_run_with_a_failed_file_exits_1(tmp_path):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "旧表.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    result = invoke("run", tmp_path / "input", tmp_path / "output")
    assert result.exit_code == 1, result.output
    assert "失败 1" in result.output


def test_run_missing_input_folder_exits_2(tmp_path):
    result = invoke("run", tmp_path / "没有", tmp_path / "output")
    assert result.exit_code == 2
    assert "输入文件夹不存在" in result.output
    assert not (tmp_path / "output").exists()


def test_run_unwritable_output_exits_2(make_workbook, tmp_path):
    make_workbook("a.xlsx")
    (tmp_path / "occupied").write_text("a file where the output folder should be", encoding="utf-8")
    result = invoke("run", tmp_path / "input", tmp_path / "occupied" / "output")
    assert result.exit_code == 2
    assert "输出失败" in result.output


@pytest.mark.parametrize("args", [["run", "--bogus"], ["run", "a", "b", "c"], ["nosuchcommand"]])
def test_usage_errors_exit_2(args):
    assert invoke(*args).exit_code == 2


def test_check_writes_nothing(make_workbook, tmp_path, monkeypatch):
    make_workbook("a.xlsx")
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "input")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_command_has_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert f"示例：perfxl {command}" in result.output


def test_rules_lists_the_catalogue():
    lines = invoke("rules").output.splitlines()
    assert lines[0].split("\t")[:2] == ["S01", "错误"]
    assert {line.split("\t")[0] for line in lines} >= {f"S0{i}" for i in range(1, 8)}


def test_template_writes_the_standard_workbook(tmp_path):
    path = tmp_path / "sub" / "模板.xlsx"
    result = invoke("template", path)
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(path).sheetnames == ["填表说明", "项目信息", "预算", "绩效指标"]


def test_template_with_a_broken_config_exits_2(tmp_path):
    config = tmp_path / "perfxl.toml"
    config.write_text("[profile]\ncategorys = []\n", encoding="utf-8")
    result = invoke("template", tmp_path / "t.xlsx", "--config", config)
    assert result.exit_code == 2
    assert "categorys" in result.output
    assert not (tmp_path / "t.xlsx").exists()


def test_python_dash_m_perfxl_help():
    result = subprocess.run([sys.executable, "-m", "perfxl", "--help"], capture_output=True, text=True, cwd=ROOT,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert all(command in result.stdout for command in COMMANDS)


@pytest.mark.parametrize("goal", ["run", "test"])
def test_second_make_does_not_reinstall(goal):
    stamps = [ROOT / ".venv" / ".installed-runtime", ROOT / ".venv" / ".installed-dev"]
    if not all(stamp.is_file() for stamp in stamps) or shutil.which("make") is None:
        pytest.skip("needs a .venv installed by make")
    planned = subprocess.run(["make", "-n", goal], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "pip install" not in planned
    assert "venv" not in planned.replace(".venv/bin/", "")


def test_an_empty_input_folder_says_what_to_do(tmp_path):
    (tmp_path / "input").mkdir()
    result = invoke("run", tmp_path / "input", tmp_path / "output")
    assert result.exit_code == 0
    assert "中没有文件：请把填好的申报表（.xlsx）放进这个文件夹" in result.output
