"""The command line: `check` writes nothing, `rules` and the README list the same catalogue, `--previous`."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import CLEAN_FIELDS, ROOT, read_sheet

from perfxl.cli.main import cli
from perfxl.core.catalogue import CATALOGUE
from perfxl.io.workbook import Limits
from perfxl.target.previous import read_previous


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def tree(folder) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_check_lists_findings_by_file_and_exits_1_on_errors(make_workbook, tmp_path, monkeypatch):
    make_workbook("a.xlsx", {**CLEAN_FIELDS, "项目当年预算（元）": 1200000})  # B02 错误 (and B03)
    make_workbook("b.xlsx", {**CLEAN_FIELDS, "项目名称": "另一个项目", "同名项目上年预算执行数（元）": 800000})  # B08
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    result = invoke("check", "input")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == "a.xlsx" and lines[3] == "b.xlsx"
    assert re.match(r"\s+错误 B02 预算!B3\s+项目当年预算 1,200,000 元超过项目总预算 1,000,000 元", lines[1])
    assert re.match(r"\s+警告 B03 预算!B3", lines[2])
    assert re.match(r"\s+警告 B08 预算!B5\s+上年预算执行率为 84.2%，低于 90%", lines[4])
    assert "错误 1，警告 2" in lines[-1]
    assert tree(tmp_path) == before  # nothing written: no output folder, no temp files


def test_check_exits_0_with_warnings_only(make_workbook, tmp_path):
    make_workbook("b.xlsx", {**CLEAN_FIELDS, "同名项目上年预算执行数（元）": 800000})
    result = invoke("check", str(tmp_path / "input"))
    assert result.exit_code == 0, result.output
    assert "B08" in result.output


def test_rules_lists_the_whole_catalogue():
    result = invoke("rules")
    assert result.exit_code == 0
    listed = [tuple(line.split("\t")) for line in result.output.splitlines()]
    assert listed == [(s.id, s.severity, s.title) for s in CATALOGUE.values()]


def test_readme_rule_table_matches_the_catalogue():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("| 编号 | 级别 | 规则 |", 1)[1]
    rows = re.findall(r"^\| ([A-Z]\d\d) \| (\S+) \| (.+?) \|$", section, flags=re.MULTILINE)
    assert rows == [(s.id, s.severity, s.title) for s in CATALOGUE.values()]


# Last year's consolidated workbook (X03) ----------------------------------------------------------


@pytest.fixture
def last_year(make_workbook, tmp_path):
    """Last year's consolidated workbook, written by a real run: this project with 当年预算 900,000."""
    make_workbook("last.xlsx", {**CLEAN_FIELDS, "年度": 2020, "计划开始日期": CLEAN_FIELDS["计划开始日期"].replace(year=2020),
                                "计划完成日期": CLEAN_FIELDS["计划完成日期"].replace(year=2020),
                                "项目总预算（元）": 900000, "项目当年预算（元）": 900000})
    result = invoke("run", str(tmp_path / "input"), str(tmp_path / "last"))
    assert result.exit_code == 0, result.output
    (tmp_path / "input" / "last.xlsx").unlink()
    return tmp_path / "last" / "绩效目标汇总.xlsx"


def test_previous_workbook_is_read_by_unit_and_name(last_year, config):
    key = (CLEAN_FIELDS["申报单位名称"], CLEAN_FIELDS["项目名称"])
    assert read_previous(last_year, Limits.of(config.limits)) == {key: 900000.0}


def test_run_with_previous_reports_x03_in_the_report(make_workbook, tmp_path, last_year):
    make_workbook("this.xlsx")  # 同名项目上年预算额 950,000, last year's 当年预算 900,000
    result = invoke("run", str(tmp_path / "input"), str(tmp_path / "out"), "--previous", str(last_year))
    assert result.exit_code == 0, result.output
    rows = read_sheet(tmp_path / "out" / "绩效目标汇总.xlsx", "校验结果")
    assert [(r["规则"], r["文件"], r["工作表"], r["单元格"]) for r in rows] == [("X03", "this.xlsx", "预算", "B4")]
    assert "950,000" in rows[0]["说明"] and "900,000" in rows[0]["说明"]


def test_check_with_matching_previous_is_quiet(make_workbook, tmp_path, last_year):
    make_workbook("this.xlsx", {**CLEAN_FIELDS, "同名项目上年预算额（元）": 900000, "同名项目上年预算执行数（元）": 890000})
    result = invoke("check", str(tmp_path / "input"), "--previous", str(last_year))
    assert result.exit_code == 0, result.output
    assert "X03" not in result.output


@pytest.mark.parametrize("content, words", [
    (None, "找不到上年汇总表"),
    (b"not a workbook", "无法读取"),
    ("input", "没有工作表「项目汇总」"),
], ids=["missing", "not-a-workbook", "not-a-report"])
def test_unusable_previous_is_a_clear_error(make_workbook, tmp_path, content, words):
    make_workbook("this.xlsx")
    previous = tmp_path / "上年.xlsx"
    if content == "input":
        previous = tmp_path / "input" / "this.xlsx"  # a project workbook, not a consolidated one
    elif content is not None:
        previous.write_bytes(content)
    for command in (["check", str(tmp_path / "input")], ["run", str(tmp_path / "input"), str(tmp_path / "out")]):
        result = invoke(*command, "--previous", str(previous))
        assert result.exit_code == 2
        assert words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_every_command_is_documented_in_the_readme():
    from perfxl.cli.main import cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = {name for name in cli.commands if f"| `perfxl {name}" in readme}
    assert documented == set(cli.commands)
