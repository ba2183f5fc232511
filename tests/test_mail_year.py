"""Mail as a 主管部门 files it: one message per 主管部门 and year for 上海2026 (or per 实施单位 by setting),
signed by [mail] sender; fingerprints of substance; the send log before and during a send; one-line headers;
odd self-evaluation values; the password asked at a terminal."""

from __future__ import annotations

import copy
import dataclasses
import email
import json
import shutil
import time
from email import policy

import pytest
from click.testing import CliRunner
from conftest import CLEAN_FIELDS_2026, SAMPLES, SEED
from test_mail import PASSWORD, USER, _settings, smtp_server  # noqa: F401 - smtp_server is a fixture
from test_mail_selfeval import project  # noqa: F401 - a fixture

from perfxl.cli.main import cli
from perfxl.core.config import load_config
from perfxl.mail.send import LOG_NAME, MailError, mail_batch
from perfxl.target.pipeline import run

DEPARTMENT = CLEAN_FIELDS_2026["主管部门"]
SENDER = "上海市普陀区绿化和市容管理局财务科"
# five projects of one 主管部门 in four 实施单位
PROJECTS = [("市容道路保洁", "上海市普陀区市容环境卫生管理所"), ("公厕保洁", "上海市普陀区市容环境卫生管理所"),
            ("绿地养护", "上海市普陀区绿化管理所"), ("行道树修剪", "上海市普陀区林业站"),
            ("垃圾分类宣传", "上海市普陀区废弃物管理所")]


def _five(make_workbook_2026, department=DEPARTMENT):
    for name, unit in PROJECTS:
        fields = copy.deepcopy(CLEAN_FIELDS_2026)
        fields.update({"项目名称": name, "实施单位": unit, "主管部门": department})
        make_workbook_2026(f"{name}.xlsx", fields)


def _mail(*args):
    return CliRunner().invoke(cli, ["mail", *map(str, args)])


def _messages(folder) -> dict[str, email.message.EmailMessage]:
    return {p.name: email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))}


def _toml(folder, **mail) -> None:
    lines = "".join(f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in mail.items())
    (folder / "perfxl.toml").write_text(f"[mail]\n{lines}", encoding="utf-8")


def test_five_projects_of_one_department_are_one_message_signed_by_the_sender(make_workbook_2026, tmp_path,
                                                                             monkeypatch):
    _five(make_workbook_2026)
    _toml(tmp_path, sender=SENDER)
    monkeypatch.chdir(tmp_path)
    result = _mail("input", "output")
    assert result.exit_code == 0, result.output
    messages = _messages(tmp_path / "output/邮件")
    assert list(messages) == [f"{DEPARTMENT}_2026年度.eml"]
    message = messages[f"{DEPARTMENT}_2026年度.eml"]
    assert message["Subject"] == f"{DEPARTMENT}2026年度财政项目支出绩效目标申报表（5个项目）"
    body = message.get_body(("plain",)).get_content()
    assert "共 5 个项目（实施单位 4 个）" in body
    for name, unit in PROJECTS:
        assert f"{name}（实施单位：{unit}）：2,000,000.00 元" in body
    assert body.rstrip().endswith(SENDER)
    names = sorted(p.get_filename() for p in message.iter_attachments())
    assert names == sorted(f"{unit}_2026_{name}.docx" for name, unit in PROJECTS)
    assert "附上目标表 5 份：" in result.output and f"{PROJECTS[2][1]}_2026_绿地养护.docx" in result.output


def test_group_by_unit_keeps_one_message_per_unit(make_workbook_2026, tmp_path, monkeypatch):
    _five(make_workbook_2026)
    _toml(tmp_path, group_by="实施单位")
    monkeypatch.chdir(tmp_path)
    result = _mail("input", "output")
    assert result.exit_code == 0, result.output
    messages = _messages(tmp_path / "output/邮件")
    assert sorted(messages) == sorted({f"{unit}_2026年度.eml" for _, unit in PROJECTS})
    two = messages["上海市普陀区市容环境卫生管理所_2026年度.eml"]
    assert sorted(p.get_filename() for p in two.iter_attachments()) == ["2026_公厕保洁.docx", "2026_市容道路保洁.docx"]
    assert two.get_body(("plain",)).get_content().rstrip().endswith("上海市普陀区市容环境卫生管理所")


def test_the_2020_layout_stays_per_unit(tmp_path, monkeypatch):
    shutil.copytree(SAMPLES, tmp_path / "input")
    monkeypatch.chdir(tmp_path)
    result = _mail("input", "output")
    assert result.exit_code == 0, result.output
    assert "上海市科技信息中心_2020年度.eml" in _messages(tmp_path / "output/邮件")


def test_an_unknown_grouping_is_refused_before_the_batch_runs(tmp_path, monkeypatch):
    shutil.copytree(SAMPLES, tmp_path / "input")
    _toml(tmp_path, group_by="单位")
    monkeypatch.chdir(tmp_path)
    result = _mail("input", "output")
    assert result.exit_code == 2 and "[mail] group_by 应为 主管部门 或 实施单位，而不是「单位」" in result.output
    assert not (tmp_path / "output").exists()


def test_a_line_break_in_a_department_is_folded_in_the_subject(make_workbook_2026, tmp_path, monkeypatch):
    _five(make_workbook_2026, department="上海市普陀区\n绿化和市容管理局")  # typed with Alt+Enter
    monkeypatch.chdir(tmp_path)
    result = _mail("input", "output")
    assert result.exit_code == 0, result.output
    raw = next((tmp_path / "output/邮件").glob("*.eml")).read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == f"{DEPARTMENT}2026年度财政项目支出绩效目标申报表（5个项目）"
    assert message.get_body(("plain",)).get_content().startswith("财政局：")
    assert [p.name for p in (tmp_path / "output/邮件").glob("*.eml")] == [f"{DEPARTMENT}_2026年度.eml"]


def test_a_line_break_in_a_template_value_never_cuts_the_subject(make_workbook_2026, tmp_path, monkeypatch):
    _five(make_workbook_2026)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "邮件.txt.j2").write_text(
        "主题：{{ items[0].unit }}\r\n第二行{{ year }}\n正文\n", encoding="utf-8")
    (tmp_path / "input" / "市容道路保洁.xlsx").unlink()
    fields = copy.deepcopy(CLEAN_FIELDS_2026)
    fields.update({"项目名称": "路灯", "实施单位": "Street\nLights Office"})
    make_workbook_2026("路灯.xlsx", fields)
    monkeypatch.chdir(tmp_path)
    result = _mail("input", "output")
    assert result.exit_code == 0, result.output
    message = next(iter(_messages(tmp_path / "output/邮件").values()))
    assert message["Subject"] == "Street Lights Office"
    assert message.get_body(("plain",)).get_content() == "第二行2026\n正文\n"


def _send_twice(args, folder, monkeypatch, port):
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", PASSWORD)
    _toml(folder, **{"from": USER, "to": ["jxb@czj.example"], "host": "127.0.0.1", "port": port,
                     "security": "none", "user": USER, "attach_report": True})
    first = _mail(*args, "--send")
    report = folder / "output" / ("自评汇总.xlsx" if "自评表" in args else "绩效目标汇总.xlsx")
    saved = report.read_bytes()
    time.sleep(1.1)  # the summary records the second it was saved
    again = _mail(*args, "--send")
    assert report.read_bytes() != saved, "the summary is written anew, its save time with it"
    return first, again


def test_an_unchanged_batch_with_its_summary_is_not_sent_again(tmp_path, smtp_server, monkeypatch):  # noqa: F811
    inbox, port = smtp_server
    (tmp_path / "input").mkdir()
    for seed in SEED:
        shutil.copy(SAMPLES / seed["file"], tmp_path / "input")
    monkeypatch.chdir(tmp_path)
    first, again = _send_twice(["input", "output"], tmp_path, monkeypatch, port)
    assert "已发送 1 封" in first.output, first.output
    assert "已发送 0 封；此前已发送、本次跳过 1 封" in again.output, again.output
    assert [p.get_filename() for p in inbox.messages[0][1].iter_attachments()][-1] == "绩效目标汇总.xlsx"
    assert len(inbox.messages) == 1


def test_an_unchanged_selfevaluation_with_its_summary_is_not_sent_again(project, smtp_server, monkeypatch):  # noqa: F811
    inbox, port = smtp_server
    first, again = _send_twice(["--what", "自评表"], project, monkeypatch, port)
    assert "已发送 2 封" in first.output, first.output
    assert "已发送 0 封；此前已发送、本次跳过 2 封" in again.output, again.output
    assert len(inbox.messages) == 2


@pytest.fixture
def two_units(tmp_path):
    """The 2020 samples and the 2026 one run into tmp_path/output: two messages."""
    shutil.copytree(SAMPLES, tmp_path / "input")
    config = load_config(None)
    batch = run(tmp_path / "input", tmp_path / "output", config)
    return batch, tmp_path / "output"


TEMPLATE = SAMPLES.parent / "templates" / "邮件.txt.j2"


def test_a_send_log_that_cannot_be_written_sends_nothing(two_units, smtp_server, monkeypatch):  # noqa: F811
    inbox, port = smtp_server
    batch, output = two_units
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", PASSWORD)
    (output / "邮件" / LOG_NAME).mkdir(parents=True)  # as a log held open by Excel on Windows would refuse
    with pytest.raises(MailError, match="无法读写发送记录.*没有发送任何邮件"):
        mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True)
    assert inbox.messages == []


def test_a_record_that_fails_stops_the_send_after_that_message(two_units, smtp_server, monkeypatch):  # noqa: F811
    inbox, port = smtp_server
    batch, output = two_units
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", PASSWORD)
    import perfxl.mail.smtp as smtp

    def locked_log(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(smtp, "_log", locked_log)  # writable when checked, locked once the send is under way
    with pytest.raises(MailError, match="已被服务器接收，但无法记入发送记录.*已停止：本次已发送 1 封，其余 1 封未发送"):
        mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True)
    assert len(inbox.messages) == 1


def test_without_a_password_variable_a_terminal_asks_for_it(two_units, smtp_server, monkeypatch):  # noqa: F811
    inbox, port = smtp_server
    batch, output = two_units
    monkeypatch.delenv("PERFXL_SMTP_PASSWORD", raising=False)
    import getpass

    import perfxl.mail.smtp as smtp

    asked = []
    monkeypatch.setattr(smtp, "_interactive", lambda: True)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or PASSWORD)
    outcome = mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True)
    assert outcome.sent == 2 and len(inbox.messages) == 2
    assert asked == [f"邮件服务器 127.0.0.1 用户 {USER} 的密码（输入时不显示）："], "asked once, not per message"


def test_without_a_password_variable_and_no_terminal_the_refusal_names_the_variable(two_units, smtp_server,  # noqa: F811
                                                                                     monkeypatch):
    inbox, port = smtp_server
    batch, output = two_units
    monkeypatch.delenv("PERFXL_SMTP_PASSWORD", raising=False)
    with pytest.raises(MailError, match="拒绝登录.*PERFXL_SMTP_PASSWORD"):
        mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True)
    assert inbox.messages == []


def test_a_selfevaluation_year_that_is_not_a_year_is_no_traceback(project):  # noqa: F811
    import openpyxl

    path = project / "自评" / "2020_上海科技地方报告.xlsx"
    book = openpyxl.load_workbook(path)
    book["自评表"]["B3"] = "²⁰²⁶"  # superscript digits: str.isdigit() says yes, int() says no
    book.save(path)
    result = _mail("--what", "自评表")
    assert isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output
    assert "上海科技地方报告" in result.output and "E08" in result.output


def test_a_template_that_cannot_format_a_value_names_the_template(two_units):
    batch, output = two_units
    config = _settings(25)
    broken = dataclasses.replace(config)
    template = output.parent / "坏.txt.j2"
    template.write_text("主题：{{ '%d' | format(unit) }}\n", encoding="utf-8")
    with pytest.raises(MailError, match="邮件模板 坏.txt.j2"):
        mail_batch(batch, output, broken, template)
