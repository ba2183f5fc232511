"""Configuration: perfxl.toml (or --config) changes lists, thresholds, severities; bad keys exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import CLEAN_FIELDS

from perfxl.cli.main import cli
from perfxl.core.config import ConfigError, load_config
from perfxl.target.pipeline import validate


def check_with(tmp_path, monkeypatch, toml: str, *args: str):
    """Run `perfxl check input` in tmp_path with `toml` as ./perfxl.toml."""
    (tmp_path / "perfxl.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(cli, ["check", "input", *args])


@pytest.mark.parametrize("toml, rule", [
    ("[thresholds]\nbudget_change_ratio = 0.05\n", "B07"),  # 950,000 -> 1,000,000 is +5.3%
    ("[thresholds]\nexecution_rate_floor = 0.995\n", "B08"),  # 940,000 / 950,000 is 98.9%
    ("[thresholds]\nsatisfaction_floor = 96\n", "T08"),  # ≥95%
    ('[profile]\ncategories = ["专项业务费"]\n', "I03"),
    ('[profile]\nrecurring_categories = ["其他一次性项目"]\n', None),  # has 上年 figures: still clean
    ('[profile.hierarchy]\n"投入与管理" = ["投入管理", "财务管理", "实施管理", "资产管理"]\n'
     '"产出目标" = ["数量", "质量", "时效"]\n"效果目标" = ["社会效益", "满意度"]\n"影响力目标" = ["长效管理"]\n', "T03"),
    ('[profile.standard_indicators]\n"资金到位率" = { level1 = "投入与管理", level2 = "投入管理", target = "≥95%" }\n',
     "T07"),
    ('[thresholds]\nplaceholders = ["≥99%"]\n', "T13"),
], ids=["B07-ratio", "B08-floor", "T08-floor", "categories", "recurring", "hierarchy", "standard", "placeholders"])
def test_perfxl_toml_in_cwd_changes_what_fires(make_workbook, tmp_path, monkeypatch, toml, rule):
    make_workbook()
    result = check_with(tmp_path, monkeypatch, toml)
    assert result.exit_code in (0, 1), result.output
    fired = {line.split()[1] for line in result.output.splitlines() if line.startswith("  ")}
    assert fired == ({rule} if rule else set()), result.output


def test_severity_override_and_disabled_rules(make_workbook, tmp_path, monkeypatch):
    make_workbook(fields={**CLEAN_FIELDS, "项目总预算（元）": 1500000, "项目当年预算（元）": 1500000,
                          "同名项目上年预算执行数（元）": 800000})  # B07 and B08
    result = check_with(tmp_path, monkeypatch, '[rules]\nseverity = { B07 = "错误" }\ndisabled = ["B08"]\n')
    assert result.exit_code == 1
    assert "错误 B07 预算!B3" in result.output and "B08" not in result.output


def test_config_option_overrides_cwd_file(make_workbook, tmp_path, monkeypatch):
    make_workbook()
    other = tmp_path / "other.toml"
    other.write_text("[thresholds]\nsatisfaction_floor = 96\n", encoding="utf-8")
    result = check_with(tmp_path, monkeypatch, "[thresholds]\nbudget_change_ratio = 0.05\n", "--config", str(other))
    assert "T08" in result.output and "B07" not in result.output


@pytest.mark.parametrize("toml, words", [
    ("[thresholds]\nbudget_change = 0.3\n", "thresholds.budget_change"),
    ("[threshold]\nbudget_change_ratio = 0.3\n", "threshold"),
    ('[thresholds]\nbudget_change_ratio = "30%"\n', "thresholds.budget_change_ratio"),
    ('[rules]\ndisabled = ["T99"]\n', "T99"),
    ('[rules]\nseverity = { T08 = "严重" }\n', "rules.severity.T08"),
    ("[thresholds\nbudget_change_ratio = 0.3\n", "格式有误"),
], ids=["unknown-key", "unknown-table", "wrong-type", "unknown-rule", "bad-severity", "malformed"])
@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_config_exits_2_naming_the_key(make_workbook, tmp_path, monkeypatch, toml, words, command):
    make_workbook()
    (tmp_path / "perfxl.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [command, "input", "out"][: 3 if command == "run" else 2])
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_missing_config_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["check", str(tmp_path), "--config", str(tmp_path / "无.toml")])
    assert result.exit_code == 2 and "无法读取配置文件" in result.output


def test_library_config_changes_thresholds(make_workbook, tmp_path):
    path = tmp_path / "perfxl.toml"
    path.write_text("[thresholds]\nbudget_change_ratio = 0.05\n", encoding="utf-8")
    make_workbook()
    assert [f.rule for f in validate(tmp_path / "input", load_config(path)).findings] == ["B07"]
    path.write_text("[thresholds]\nbudget_change_ratio = [0.05]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="thresholds.budget_change_ratio"):
        load_config(path)


@pytest.mark.parametrize("toml, words", [
    ('[profile.hierarchy]\n"投入与管理" = 1\n', "profile.hierarchy"),
    ("[thresholds]\nplaceholders = [1]\n", "thresholds.placeholders"),
    ("[thresholds]\nbudget_change_ratio = nan\n", "thresholds.budget_change_ratio"),
    ('[selfeval]\ngrades = { "优" = "x" }\n', "selfeval.grades"),
    ("[mail]\nport = \"465\"\n", "mail.port"),
], ids=["hierarchy-value", "placeholder-type", "nan", "selfeval", "mail-type"])
def test_wrong_types_inside_tables_exit_2_naming_the_key_before_any_workbook(make_workbook, tmp_path, monkeypatch,
                                                                            toml, words):
    """Issue 13: such values used to be blamed on every workbook (exit 1) or silently accepted."""
    make_workbook()
    result = check_with(tmp_path, monkeypatch, toml)
    assert result.exit_code == 2, result.output
    assert words in result.output and "读取时发生意外错误" not in result.output
    assert isinstance(result.exception, SystemExit)
