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
    assert "perfxl.toml" in result.output  # the user's file is named, not only the key
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


# --- issue 22: nothing a unit can put in perfxl.toml or a layout file produces a traceback -----------

def _nested(opening: str, closing: str, depth: int, inner: str = "1") -> str:
    return "x = " + opening * depth + inner + closing * depth + "\n"


@pytest.mark.parametrize("toml, shown", [
    ("[mail]\nmax_message_mb = nan\n", "mail.max_message_mb」的值 nan 不是有限的数"),
    ("[mail]\ntimeout_seconds = inf\n", "mail.timeout_seconds」的值 inf 不是有限的数"),
    ("[selfeval]\nindicator_points = -inf\n", "selfeval.indicator_points」的值 -inf"),
    ('[layout."上海2020".selfeval.level1_points]\n"产出目标" = nan\n', "level1_points.产出目标」的值 nan"),
    ("[thresholds]\nbudget_change_ratio = -nan\n", "thresholds.budget_change_ratio"),
    ("[selfeval]\nindicator_points = 1e9\n", "应为不大于 100 的数"),
    ('[selfeval]\nattainment = { "达成" = 2.0 }\n', "应为不大于 1 的数"),
    ("[mail]\nmax_message_mb = 0\n", "应为大于 0 的数"),
    ("[thresholds]\nexecution_rate_floor = 90\n", "应为不大于 1 的数"),  # a share, not a percentage
    ("[thresholds]\nsatisfaction_floor = 1e300\n", "应为不大于 100 的数"),
    ("[limits]\nmax_cell_chars = 100000\n", "应为不大于 32767 的整数"),
    ("[limits]\nmax_forms_per_document = 0\n", "limits.max_forms_per_document"),
    ('[layout."上海2020"]\namount_decimals = 99\n', "amount_decimals"),
    (_nested("{a=", "}", 3000), "嵌套过深"),
    (_nested("[", "]", 5000, ""), "嵌套过深"),
    (_nested("{a=", "}", 40), "嵌套超过 16 层"),
    ("[mail\nport = 1\n", "第 1 行第 6 列格式有误"),
    ("x = \"\n", "第 1 行"),
    ('[layout."上海2020"]\nform_template = "../../重要数据.docx"\n', "form_template」的值「../../重要数据.docx」无效"),
    ('[layout."上海2020"]\nworkbook_template = "/tmp/x.xlsx"\n', "workbook_template」的值「/tmp/x.xlsx」无效"),
    ('[layout."上海2020"]\nform_template = "C:目标表.docx"\n', "无效"),
    ('[layout."上海2020"]\nform_template = "目标表.txt"\n', "以 .docx 结尾"),
    ('[layouts]\nfiles = ["/dev/zero"]\n', "不是普通文件"),
    ('[layouts]\nfiles = ["没有这个文件.toml"]\n', "文件或文件夹不存在"),
])
def test_a_bad_value_or_file_in_perfxl_toml_is_one_line_naming_the_key(tmp_path, monkeypatch, toml, shown):
    (tmp_path / "input").mkdir()
    result = check_with(tmp_path, monkeypatch, toml)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), "no traceback"
    assert shown in result.output
    assert result.output.count("\n") == 1 and result.output.startswith("配置错误：")


def test_a_fifo_as_a_layout_file_is_refused_without_waiting(tmp_path, monkeypatch):
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    os.mkfifo(tmp_path / "管道.toml")
    (tmp_path / "input").mkdir()
    result = check_with(tmp_path, monkeypatch, '[layouts]\nfiles = ["管道.toml"]\n')
    assert result.exit_code == 2 and "不是普通文件" in result.output


def test_a_template_name_inside_templates_is_still_accepted(tmp_path, monkeypatch):
    (tmp_path / "input").mkdir()
    result = check_with(tmp_path, monkeypatch, '[layout."上海2020"]\nform_template = "我的目标表.docx"\n')
    assert result.exit_code == 0, result.output


def test_make_template_never_writes_outside_the_project(tmp_path, monkeypatch):
    project = tmp_path / "项目"
    project.mkdir()
    (project / "perfxl.toml").write_text('[layout."上海2020"]\nworkbook_template = "../../重要数据.xlsx"\n',
                                         encoding="utf-8")
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["template"])
    assert result.exit_code == 2 and "workbook_template" in result.output
    assert not list(tmp_path.parent.glob("重要数据.xlsx")) and not list(tmp_path.glob("重要数据.xlsx"))


NOTEPAD = '[mail]\ncontact = "财务科 张三"\n'


@pytest.mark.parametrize("encoding, ok", [("utf-8", True), ("utf-8-sig", True), ("gbk", False), ("utf-16", False)])
def test_perfxl_toml_saved_by_notepad(tmp_path, monkeypatch, encoding, ok):
    (tmp_path / "perfxl.toml").write_bytes(NOTEPAD.encode(encoding))
    (tmp_path / "input").mkdir()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "input"])
    if ok:
        assert result.exit_code == 0, result.output
        assert load_config(tmp_path / "perfxl.toml").mail["contact"] == "财务科 张三"
    else:
        assert result.exit_code == 2 and "UTF-8" in result.output and "另存为" in result.output
        assert ("GBK" in result.output) == (encoding == "gbk")


@pytest.mark.parametrize("encoding, ok", [("utf-8-sig", True), ("gbk", False)])
def test_a_layout_file_saved_by_notepad(tmp_path, monkeypatch, encoding, ok):
    from perfxl.core.paths import BUILT_IN_DIR

    shipped = (BUILT_IN_DIR.parent / "layouts" / "shanghai2026.toml").read_text(encoding="utf-8")
    own = shipped.replace('name = "上海2026"', 'name = "本单位2026"', 1)
    assert own != shipped
    (tmp_path / "本单位.toml").write_bytes(own.encode(encoding))
    (tmp_path / "input").mkdir()
    result = check_with(tmp_path, monkeypatch, '[layouts]\nfiles = ["本单位.toml"]\n')
    if ok:
        assert result.exit_code == 0, result.output
        assert "本单位2026" in load_config(tmp_path / "perfxl.toml").layouts
    else:
        assert result.exit_code == 2 and "GBK" in result.output and "本单位.toml" in result.output
