"""perfxl mail: drafts, and sending to a real SMTP server (aiosmtpd) on 127.0.0.1 in the test process."""

from __future__ import annotations

import csv
import dataclasses
import email
import shutil
import socket
import time
from email import policy
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import OTHER_UNIT, ROOT, SAMPLE_2026, SAMPLES, SEED, other_unit_project

from perfxl.core.config import Config
from perfxl.mail.send import LOG_NAME, MailError, build_drafts, mail_batch, split_parts, target_item
from perfxl.target.pipeline import run

USER, PASSWORD = "office@unit.example", "s3cret"
TEMPLATE = ROOT / "templates" / "邮件.txt.j2"


class Inbox:
    """aiosmtpd handler keeping every accepted message; refuses recipients at refused.example."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
        and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A certificate for 127.0.0.1 signed by a test CA; returns (server context, CA file)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = tmp_path_factory.mktemp("ca")
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context, ca_file


@pytest.fixture
def smtp_server():
    """Plain SMTP with AUTH allowed without TLS (loopback only)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), authenticator=_authenticator,
                            auth_require_tls=False)
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def batch_with_forms(tmp_path):
    """The six 2020 samples (one unit) run into tmp_path/output: the real forms of the passed projects are on disk."""
    output, folder = tmp_path / "output", tmp_path / "input"
    folder.mkdir()
    for seed in SEED:
        shutil.copy(SAMPLES / seed["file"], folder)
    batch = run(folder, output, _config())
    assert len(batch.forms) == len(batch.passed()) == 6
    return batch, output


def _config():
    from perfxl.core.config import load_config

    return load_config(ROOT / "perfxl" / "defaults.toml")


def _settings(port: int, **changes) -> Config:
    """The defaults with [mail] set for the test server on `port`."""
    settings = dict(_config().mail)
    settings.update({"from": USER, "to": ["jxb@czj.example"], "cc": ["copy@czj.example"], "host": "127.0.0.1",
                     "port": port, "security": "none", "user": USER, "contact": "联系人：张三 021-12345678",
                     "timeout_seconds": 5})
    settings.update(changes)
    return dataclasses.replace(_config(), mail=settings)


def test_drafts_parse_and_carry_every_passed_form(batch_with_forms):
    batch, output = batch_with_forms
    outcome = mail_batch(batch, output, _settings(25), TEMPLATE)
    assert len(outcome.drafts) == 1
    message = email.message_from_bytes(outcome.drafts[0].read_bytes(), policy=policy.default)
    names = sorted(part.get_filename() for part in message.iter_attachments())
    assert names == sorted(Path(batch.forms[p.file]).name for p in batch.passed())
    for part in message.iter_attachments():
        assert part.get_content() == (output / "目标表" / part.get_filename()).read_bytes()
    body = message.get_body(("plain",)).get_content()
    assert "上海市科技信息中心2020年度" in message["Subject"]
    assert "2020年上海科技年鉴年报：1,500,000 元" in body
    assert "联系人：张三" in body


def test_attachment_names_use_rfc2231_and_rfc2047(batch_with_forms):
    batch, output = batch_with_forms
    raw = mail_batch(batch, output, _settings(25), TEMPLATE).drafts[0].read_bytes().decode("ascii")
    assert "filename*=utf-8''" in raw
    assert 'name="=?utf-8?b?' in raw


def test_failed_projects_are_never_attached(batch_with_forms):
    batch, output = batch_with_forms
    failed = batch.projects[0]
    from perfxl.core.catalogue import finding

    batch.findings.append(finding("B02", failed.file, "预算", "B3", failed.name, amount=2, limit=1))
    outcome = mail_batch(batch, output, _settings(25), TEMPLATE)
    message = email.message_from_bytes(outcome.drafts[0].read_bytes(), policy=policy.default)
    assert Path(batch.forms[failed.file]).name not in [p.get_filename() for p in message.iter_attachments()]
    assert len(list(message.iter_attachments())) == len(batch.projects) - 1


def test_nothing_passed_builds_nothing(batch_with_forms):
    batch, output = batch_with_forms
    from perfxl.core.catalogue import finding

    batch.findings += [finding("T01", p.file, "绩效指标", "", p.name) for p in batch.projects]
    with pytest.raises(MailError, match="没有通过校验的项目"):
        mail_batch(batch, output, _settings(25), TEMPLATE)
    assert not (output / "邮件").exists()


def test_large_batches_split_into_numbered_parts(batch_with_forms):
    batch, output = batch_with_forms
    for project in batch.passed():
        (output / batch.forms[project.file]).write_bytes(b"x" * 300_000)
    settings = _settings(25, max_message_mb=1)
    forms = {p.file: output / batch.forms[p.file] for p in batch.passed()}
    items = [target_item(batch, p, _config()) for p in batch.passed()]
    drafts = build_drafts(items, forms, settings.mail, TEMPLATE)
    assert len(drafts) == 3
    assert [d.subject[-5:] for d in drafts] == ["（1/3）", "（2/3）", "（3/3）"]
    assert all(len(d.message.as_bytes()) < 2**20 for d in drafts)
    assert sum(len(d.attachments) for d in drafts) == len(forms)


def test_split_keeps_order_and_gives_an_oversized_file_its_own_part(tmp_path):
    files = []
    for name, size in (("a", 10), ("b", 900_000), ("c", 10)):
        (tmp_path / name).write_bytes(b"x" * size)
        files.append(tmp_path / name)
    assert [[p.name for p in part] for part in split_parts(files, 1_000_000)] == [["a"], ["b"], ["c"]]


def test_send_delivers_and_a_second_send_sends_nothing(batch_with_forms, smtp_server, monkeypatch):
    inbox, port = smtp_server
    batch, output = batch_with_forms
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", PASSWORD)
    outcome = mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True)
    assert (outcome.sent, outcome.skipped, outcome.problems) == (1, 0, [])
    recipients, message = inbox.messages[0]
    assert sorted(recipients) == ["copy@czj.example", "jxb@czj.example"]
    for part in message.iter_attachments():
        assert part.get_content() == (output / "目标表" / part.get_filename()).read_bytes()
    with (output / "邮件" / LOG_NAME).open(encoding="utf-8-sig") as handle:
        log = list(csv.DictReader(handle))
    assert [row["结果"] for row in log] == ["已发送"]
    again = mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True)
    assert (again.sent, again.skipped) == (0, 1)
    assert len(inbox.messages) == 1
    forced = mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True, resend=True)
    assert forced.sent == 1 and len(inbox.messages) == 2


def test_starttls_with_auth(batch_with_forms, tls, monkeypatch):
    context, ca_file = tls
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), tls_context=context,
                            require_starttls=True, authenticator=_authenticator)
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        monkeypatch.setenv("PERFXL_SMTP_PASSWORD", PASSWORD)
        batch, output = batch_with_forms
        outcome = mail_batch(batch, output, _settings(controller.port, security="starttls"), TEMPLATE,
                             do_send=True)
    finally:
        controller.stop()
    assert outcome.sent == 1 and len(inbox.messages) == 1


def test_bad_password_is_a_clear_error_and_nothing_is_logged_as_sent(batch_with_forms, smtp_server, monkeypatch):
    _, port = smtp_server
    batch, output = batch_with_forms
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", "wrong")
    with pytest.raises(MailError, match="拒绝登录") as caught:
        mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True)
    assert "wrong" not in str(caught.value)
    assert not (output / "邮件" / LOG_NAME).exists()


def test_refused_connection_is_a_clear_error(batch_with_forms):
    batch, output = batch_with_forms
    with pytest.raises(MailError, match="拒绝连接"):
        mail_batch(batch, output, _settings(_free_port()), TEMPLATE, do_send=True)


def test_rejected_recipient_is_reported_and_not_marked_sent(batch_with_forms, smtp_server, monkeypatch):
    inbox, port = smtp_server
    batch, output = batch_with_forms
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", PASSWORD)
    settings = _settings(port, to=["nobody@refused.example"], cc=[])
    outcome = mail_batch(batch, output, settings, TEMPLATE, do_send=True)
    assert outcome.sent == 0 and "收件人被拒绝" in outcome.problems[0]
    with (output / "邮件" / LOG_NAME).open(encoding="utf-8-sig") as handle:
        assert [row["结果"].startswith("失败") for row in csv.DictReader(handle)] == [True]
    assert inbox.messages == []


def test_cli_mail_writes_drafts_and_refuses_to_send_without_settings(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from perfxl.cli.main import cli

    shutil.copytree(SAMPLES, tmp_path / "input")
    monkeypatch.chdir(tmp_path)  # no templates/ here: the built-in mail template, said on screen
    drafts = CliRunner().invoke(cli, ["mail", "input", "out"])
    assert drafts.exit_code == 0, drafts.output
    assert "邮件草稿 2 封" in drafts.output  # one per unit: the 2020 samples and the 2026 one
    assert "本次使用 perfxl 内置的模板 邮件.txt.j2" in drafts.output
    sending = CliRunner().invoke(cli, ["mail", "input", "out", "--send"])
    assert sending.exit_code == 2, "a configuration error"
    assert "[mail] 缺少：from、host、to" in sending.output


def _mail(*args):
    from click.testing import CliRunner

    from perfxl.cli.main import cli

    return CliRunner().invoke(cli, ["mail", *map(str, args)])


def test_cli_mail_names_what_it_leaves_out_and_exits_1(make_workbook, tmp_path):
    make_workbook("a.xlsx", other_unit_project("课后服务"))
    make_workbook("b.xlsx", other_unit_project("校舍维修"))
    make_workbook("c.xlsx", other_unit_project("教师培训", **{"计划完成日期": "年底"}))
    result = _mail(tmp_path / "input", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "S04 项目信息!B7" in result.output  # the findings, as `run` prints them
    assert "附上目标表 2 份：2026_校舍维修.docx、2026_课后服务.docx" in result.output
    assert "未附上：教师培训（有 1 个错误（S04），见汇总表的“校验结果”）" in result.output
    drafts = sorted((tmp_path / "out" / "邮件").glob("*.eml"))
    assert [d.name for d in drafts] == [f"{OTHER_UNIT}_2026年度.eml"]
    body = email.message_from_bytes(drafts[0].read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert "共 2 个项目" in body
    assert "另有 1 个项目尚未通过校验，本次未报送，修改后另行报送：\n- 教师培训" in body
    assert [d.name for d in sorted((tmp_path / "out" / "邮件").glob("*.eml"))] == [d.name for d in drafts]
    again = _mail(tmp_path / "input", tmp_path / "out")
    assert [d.name for d in sorted((tmp_path / "out" / "邮件").glob("*.eml"))] == [d.name for d in drafts], again.output


def test_cli_mail_lists_a_unit_with_no_passed_project(make_workbook, tmp_path):
    make_workbook("a.xlsx")
    make_workbook("c.xlsx", other_unit_project("教师培训", **{"计划完成日期": "年底"}))
    (tmp_path / "input" / "坏.xlsx").write_bytes(b"not a workbook")
    result = _mail(tmp_path / "input", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert f"未附在任何邮件中：教师培训（{OTHER_UNIT}2026年度；有 1 个错误（S04）" in result.output
    assert "未附在任何邮件中：坏.xlsx（单位不明；有 1 个错误（S01）" in result.output


def test_cli_mail_never_mails_the_samples(tmp_path):
    result = _mail(SAMPLES, tmp_path / "out")
    assert result.exit_code == 2
    assert "示例的目标表不会写成邮件或发送" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_mail_on_an_empty_input_folder_says_what_to_do(tmp_path):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / ".gitkeep").touch()
    result = _mail(tmp_path / "input", tmp_path / "out")
    assert result.exit_code == 1
    assert "中没有申报表，没有可发送的目标表" in result.output
    assert not (tmp_path / "out").exists()


def test_silent_server_times_out_with_a_clear_error(batch_with_forms):
    batch, output = batch_with_forms
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection but never greets
        settings = _settings(silent.getsockname()[1], timeout_seconds=1)
        with pytest.raises(MailError, match="超时"):
            mail_batch(batch, output, settings, TEMPLATE, do_send=True)


def test_the_projects_mail_template_is_the_built_in_one():
    from perfxl.core.paths import BUILT_IN_DIR, resolve_template

    assert (ROOT / "templates" / "邮件.txt.j2").read_text(encoding="utf-8") == \
        (BUILT_IN_DIR / "邮件.txt.j2").read_text(encoding="utf-8")
    assert resolve_template("邮件.txt.j2", ROOT) == ROOT / "templates" / "邮件.txt.j2"


MAIL_TOML = 'from = "office@unit.example"\nto = ["jxb@czj.example"]\nhost = "127.0.0.1"\nuser = "office@unit.example"\n'


@pytest.mark.parametrize(("setting", "password", "shown"), [
    ('to = ["财政局@czj.中国"]', "x", "to 的「财政局@czj.中国」含有中文"),
    ('user = "办公室"', "x", "user 的「办公室」含有中文"),
    ("", "密码", "PERFXL_SMTP_PASSWORD 中的密码含有中文"),
    ("timeout_seconds = 0", "x", "timeout_seconds 应大于 0"),
    ('host = "..."', "x", "host 的「...」不是有效的服务器名称"),
    ("to = [1, 2]", "x", "配置项「mail.to[0]」的值有误：应为文字"),  # caught with the whole configuration
    ('from = "a@b.example\\r\\nBcc: all@everyone.example"', "x", "from 的「a@b.example\\r\\nBcc"),
])
def test_unusable_mail_settings_are_a_message_and_exit_2(tmp_path, monkeypatch, setting, password, shown):
    from click.testing import CliRunner

    from perfxl.cli.main import cli

    lines = [line for line in MAIL_TOML.splitlines() if line.split(" =")[0] != setting.split(" =")[0]]
    (tmp_path / "perfxl.toml").write_text("[mail]\n" + "\n".join([*lines, setting]) + "\n", encoding="utf-8")
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", password)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["mail", str(SAMPLES), "out", "--send"])
    assert result.exit_code == 2, result.output
    assert shown in result.output
    assert isinstance(result.exception, SystemExit), "no traceback"
    assert not (tmp_path / "out").exists(), "checked before the batch runs"


def test_a_send_log_resaved_as_gbk_is_read_and_nothing_is_resent(batch_with_forms, smtp_server, monkeypatch):
    inbox, port = smtp_server
    batch, output = batch_with_forms
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", PASSWORD)
    assert mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True).sent == 1
    log = output / "邮件" / LOG_NAME
    log.write_bytes(log.read_text(encoding="utf-8-sig").encode("gbk"))  # opened and saved in Excel
    again = mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True)
    assert (again.sent, again.skipped, len(inbox.messages)) == (0, 1, 1)
    forced = mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True, resend=True)
    assert forced.sent == 1
    rows = list(csv.DictReader(log.read_text(encoding="utf-8-sig").splitlines()))
    assert [row["结果"] for row in rows] == ["已发送", "已发送"]


def test_a_second_send_after_a_new_run_sends_nothing(tmp_path, smtp_server, monkeypatch):
    """Each run writes the forms again: same content, same bytes, so the same message is not sent twice."""
    inbox, port = smtp_server
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", PASSWORD)
    output, folder = tmp_path / "output", tmp_path / "input"
    folder.mkdir()
    for seed in SEED:  # one unit: one message
        shutil.copy(SAMPLES / seed["file"], folder)
    real_localtime = time.localtime
    for expected in (1, 0):
        batch = run(folder, output, _config())
        outcome = mail_batch(batch, output, _settings(port), TEMPLATE, do_send=True)
        assert outcome.sent == expected
        # the next run's forms are written two hours later by the clock
        monkeypatch.setattr(time, "localtime", lambda at=None: real_localtime((at or time.time()) + 7200))
    assert len(inbox.messages) == 1


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_2026_projects_draft_names_its_layouts_title_and_annual_funds(tmp_path):
    """上海2026 has no annual_budget: the amount is its layout's annual field, 年度资金申请总额, with fen."""
    output, folder = tmp_path / "output", tmp_path / "input"
    folder.mkdir()
    shutil.copy(SAMPLES / SAMPLE_2026["file"], folder)
    batch = run(folder, output, _config())
    outcome = mail_batch(batch, output, _settings(25), TEMPLATE)
    message = email.message_from_bytes(outcome.drafts[0].read_bytes(), policy=policy.default)
    department, unit = SAMPLE_2026["fields"]["主管部门"], SAMPLE_2026["fields"]["实施单位"]
    assert message["Subject"] == f"{department}2026年度财政项目支出绩效目标申报表（1个项目）"
    body = _body(message)
    assert f"1. 拆违经费（实施单位：{unit}）：3,498,000.00 元" in body
    assert [p.get_filename() for p in message.iter_attachments()] == [f"{unit}_2026_拆违经费.docx"]
    assert body.rstrip().endswith(department), "signed by the 主管部门 when [mail] sender is empty"
    assert "年度预算（年度资金申请总额）合计 3,498,000.00 元" in body


def test_a_2020_draft_keeps_its_amounts_and_names_its_title(batch_with_forms):
    batch, output = batch_with_forms
    message = email.message_from_bytes(mail_batch(batch, output, _settings(25), TEMPLATE).drafts[0].read_bytes(),
                                       policy=policy.default)
    assert message["Subject"] == "上海市科技信息中心2020年度财政项目支出绩效目标表（6个项目）"
    total = sum(float(seed["budget"]["项目当年预算（元）"].replace(",", "")) for seed in SEED)
    assert f"年度预算（项目当年预算）合计 {total:,.0f} 元" in _body(message)
    for seed in SEED:
        assert f"{seed['info']['项目名称']}：{seed['budget']['项目当年预算（元）']} 元" in _body(message)
