"""The command line through click's CliRunner: exit codes, summary, help texts, the template command."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES

from perfxl.cli.main import cli
from perfxl.io.files import record

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


def test_run_missing_input_folder_exits_2_with_its_full_path_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run")
    assert result.exit_code == 2
    assert f"输入文件夹不存在：{tmp_path / 'input'}\n请在 perfxl 项目文件夹中运行" in result.output
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


@pytest.mark.parametrize("command", ["template", "form-template"])
def test_template_commands_never_overwrite_without_force(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    default = {"template": "templates/绩效目标申报表（上海2026）.xlsx",
               "form-template": "templates/目标表（上海2026）.docx"}[command]  # the default layout's
    for path in (tmp_path / "mine.xlsx", tmp_path / default):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"the user's own file")
        args = [path] if path.name == "mine.xlsx" else []
        refused = invoke(command, *args)
        assert refused.exit_code == 2
        assert f"{path} 已存在，未覆盖：如确要覆盖，请加 --force" in refused.output
        assert path.read_bytes() == b"the user's own file"
        forced = invoke(command, *args, "--force")
        assert forced.exit_code == 0, forced.output
        assert zipfile.is_zipfile(path)


def test_a_plain_run_says_which_forms_and_pdfs_it_removed(make_workbook, clean_project, tmp_path):
    fields, _ = clean_project
    fields["项目名称"] = "第二个项目"
    make_workbook("a.xlsx")
    make_workbook("b.xlsx", fields=fields)
    invoke("run", tmp_path / "input", tmp_path / "output")
    (tmp_path / "output" / "目标表" / "2021_科技文献数据库运维.pdf").write_bytes(b"%PDF-1.4")
    record(tmp_path / "output" / "目标表", ["2021_科技文献数据库运维.pdf"])  # as run --pdf lists it
    (tmp_path / "input" / "b.xlsx").unlink()
    result = invoke("run", tmp_path / "input", tmp_path / "output")
    assert "已删除过期的目标表 1 份（项目未通过或已不在输入文件夹中）：2021_第二个项目.docx" in result.output
    assert "已删除上次生成的 PDF 1 份" in result.output
    assert "需要 PDF 时请运行 perfxl run --pdf" in result.output


def test_quiet_pdf_prints_nothing(make_workbook, tmp_path, monkeypatch):
    make_workbook("a.xlsx")
    monkeypatch.setattr("perfxl.io.forms.convert_to_pdf", lambda forms, setting: [f.with_suffix(".pdf") for f in forms])
    result = invoke("run", tmp_path / "input", tmp_path / "output", "-q", "--pdf")
    assert result.exit_code == 0
    assert result.output == ""


def test_counts_skipped_files_by_reason_and_projects_only_from_read_files(make_workbook, tmp_path):
    make_workbook("a.xlsx")
    folder = tmp_path / "input"
    openpyxl.Workbook().save(folder / "三张表都没有.xlsx")
    (folder / "说明.txt").write_text("x", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"x")
    shutil.copy(folder / "a.xlsx", folder / "~$a.xlsx")
    result = invoke("run", folder, tmp_path / "output")
    assert ("文件 5 个（失败 1，跳过 3：隐藏文件 1 个、Office 临时锁定文件（有人正打开该工作簿） 1 个、不是电子表格 1 个），"
            "项目 1 个，通过 1 个") in result.output


def _edited_form_template(folder):
    """The committed Word template with a marker text added to its document part."""
    (folder / "templates").mkdir(parents=True)
    with zipfile.ZipFile(ROOT / "templates" / "目标表.docx") as source, \
            zipfile.ZipFile(folder / "templates" / "目标表.docx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                data = data.replace("财政项目支出绩效目标表".encode(), "区教育局专用目标表".encode(), 1)
            target.writestr(item, data)


def test_templates_come_from_beside_the_configuration_else_built_in_said_on_screen(make_workbook, tmp_path,
                                                                                   monkeypatch):
    project = tmp_path / "项目"
    _edited_form_template(project)
    (project / "perfxl.toml").write_text("", encoding="utf-8")
    make_workbook("a.xlsx")
    elsewhere = tmp_path / "别处"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    ours = invoke("run", tmp_path / "input", tmp_path / "out", "--config", project / "perfxl.toml")
    assert ours.exit_code == 0, ours.output
    assert "内置的模板" not in ours.output
    with zipfile.ZipFile(tmp_path / "out" / "目标表" / "2021_科技文献数据库运维.docx") as form:
        assert "区教育局专用目标表" in form.read("word/document.xml").decode()
    built_in = invoke("run", tmp_path / "input", tmp_path / "out2")
    assert f"提示：没有找到 {elsewhere / 'templates' / '目标表.docx'}，本次使用 perfxl 内置的模板 目标表.docx" \
        in built_in.output
    with zipfile.ZipFile(tmp_path / "out2" / "目标表" / "2021_科技文献数据库运维.docx") as form:
        assert "区教育局专用目标表" not in form.read("word/document.xml").decode()


def test_run_examples_only_when_input_holds_no_workbook(make_workbook, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    (tmp_path / "input").mkdir(exist_ok=True)  # make_workbook's folder
    (tmp_path / "input" / ".gitkeep").touch()
    (tmp_path / "input" / "说明.txt").write_text("x", encoding="utf-8")
    samples = invoke("run", "--examples", tmp_path / "input", tmp_path / "out")
    assert samples.exit_code == 0, samples.output
    assert f"{tmp_path / 'input'}/ 中没有申报表，本次运行的是示例 examples/ 中的样例项目" in samples.output
    assert len(list((tmp_path / "out" / "目标表").glob("*.docx"))) == len(list(SAMPLES.glob("*.xlsx")))
    make_workbook("a.xlsx")
    ours = invoke("run", "--examples", tmp_path / "input", tmp_path / "out")
    assert "示例" not in ours.output
    assert [p.name for p in (tmp_path / "out" / "目标表").glob("*.docx")] == ["2021_科技文献数据库运维.docx"]


ENGLISH = ["Usage", "Error", "Missing", "Show this", "Options", "Try ", "Aborted", "No such", "Invalid value",
           "Commands", "unexpected"]


@pytest.mark.parametrize("args", [[], ["--help"], ["run", "--help"], ["import"], ["run", "--bogus"],
                                  ["run", "-j", "x"], ["nosuchcommand"], ["run", "a", "b", "c"], ["--version"]])
def test_click_speaks_chinese(args):
    result = CliRunner().invoke(cli, args)
    assert result.output.strip()
    assert [word for word in ENGLISH if word in result.output] == [], result.output


def test_interrupted_run_says_so_in_chinese(tmp_path, monkeypatch):
    (tmp_path / "input").mkdir()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("perfxl.cli.common.run", interrupted)
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "input"), str(tmp_path / "out")])
    assert result.exit_code == 130  # the shell's code for Ctrl-C, not 1 ("errors found")
    assert result.output.strip() == "已中断（Ctrl-C）：本次运行未完成，请重新运行"


def test_the_command_ends_with_its_exit_code_and_all_its_output_through_a_pipe(make_workbook, clean_project,
                                                                              tmp_path):
    """main() ends the process without interpreter teardown: the exit code and every line must survive."""
    fields, _ = clean_project
    make_workbook("好.xlsx")
    make_workbook("坏.xlsx", fields={**fields, "计划完成日期": "年底", "项目名称": "另一个项目"})

    def perfxl(*args):
        return subprocess.run([sys.executable, "-m", "perfxl", *map(str, args)], capture_output=True, text=True,
                              cwd=ROOT, check=False)

    checked = perfxl("check", tmp_path / "input")
    assert checked.returncode == 1, checked.stderr
    assert "S04 项目信息!B7" in checked.stdout
    assert "项目 2 个，通过 1 个；错误 1" in checked.stdout.splitlines()[-1], "the summary is the last line"
    assert perfxl("check", tmp_path / "nowhere").returncode == 2
    assert perfxl("rules").returncode == 0
