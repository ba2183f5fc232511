"""perfxl mail --what 自评表: the year-end 自评表 mailed per unit and year beside the target tables' drafts."""

from __future__ import annotations

import csv
import email
import re
import shutil
from email import policy

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLE_2026, SAMPLES, SEED
from selfeval_fill import fill
from test_mail import PASSWORD, USER, smtp_server  # noqa: F401 - smtp_server is a fixture

from perfxl.cli.main import cli
from perfxl.core.config import load_config
from perfxl.selfeval.prepare import prepare

MISSED = "06_上海科技音像资料库运行.xlsx"  # a target missed without a reason: E04, no 自评表


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder: the samples as input/, 自评/ prepared and filled (all passed but MISSED), perfxl.toml."""
    shutil.copytree(SAMPLES, tmp_path / "input")
    config = load_config(ROOT / "perfxl" / "defaults.toml")
    for year in (2020, 2026):
        prepare(tmp_path / "input", tmp_path / "自评", config, year)
    for seed in SEED:
        budget = float(seed["budget"]["项目当年预算（元）"].replace(",", ""))
        plan = {"整理并入库科技活动照片": {"actual": "8000张"}} if seed["file"] == MISSED else {}
        fill(tmp_path / "自评" / f"2020_{seed['info']['项目名称']}.xlsx", (budget, budget), plan)
    budget = float(SAMPLE_2026["fields"]["年度资金申请总额（元）"])
    fill(tmp_path / "自评" / f"2026_{SAMPLE_2026['fields']['项目名称']}.xlsx", (budget, budget * 0.9))
    monkeypatch.chdir(tmp_path)
    return tmp_path


UNIT_2026 = SAMPLE_2026["fields"]["实施单位"]  # mailed for its 主管部门: its forms are named with it in front


def _on_disk(name: str) -> str:
    return name.removeprefix(f"{UNIT_2026}_")


def _mail(*args):
    return CliRunner().invoke(cli, ["mail", *args])


def _messages(folder) -> dict[str, email.message.Message]:
    return {p.name: email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))}


def test_selfeval_drafts_carry_exactly_the_passed_forms_and_leave_the_target_drafts(project):
    targets = _mail("input", "output")
    assert targets.exit_code == 0, targets.output
    target_drafts = {name: (project / "output/邮件" / name).read_bytes() for name in _messages(project / "output/邮件")}
    result = _mail("--what", "自评表")  # reads 自评/ by default
    assert result.exit_code == 1, result.output  # the E04 of the missed project
    assert "本次使用 perfxl 内置的模板 自评邮件.txt.j2" in result.output
    messages = _messages(project / "output/邮件/自评表")
    assert sorted(messages) == sorted(target_drafts), "one per unit and year, named as the target drafts are"
    attached = sorted(_on_disk(part.get_filename()) for m in messages.values() for part in m.iter_attachments())
    assert f"{UNIT_2026}_2026_拆违经费.docx" in {p.get_filename() for m in messages.values() for p in m.iter_attachments()}
    passed = sorted(p.name for p in (project / "output/自评表").glob("*.docx"))
    assert attached == passed and len(passed) == 6
    assert "2020_上海科技音像资料库运行.docx" not in attached
    for message in messages.values():
        for part in message.iter_attachments():
            assert part.get_content() == (project / "output/自评表" / _on_disk(part.get_filename())).read_bytes()
    subjects = sorted(m["Subject"] for m in messages.values())
    assert any(s.endswith("2020年度项目支出绩效自评表（5个项目）") for s in subjects), subjects
    body = next(m for m in messages.values() if "（5个项目）" in m["Subject"]).get_body(("plain",)).get_content()
    assert "另有 1 个项目的自评表尚未通过校验" in body and "- 上海科技音像资料库运行" in body
    assert "总分 100.00，等级“优”" in body
    assert re.search(r"未附上：上海科技音像资料库运行.*（有 1 个错误（E04）", result.output)
    assert {name: (project / "output/邮件" / name).read_bytes() for name in target_drafts} == target_drafts


def test_a_second_selfeval_send_sends_nothing(project, smtp_server, monkeypatch):  # noqa: F811
    inbox, port = smtp_server
    monkeypatch.setenv("PERFXL_SMTP_PASSWORD", PASSWORD)
    (project / "perfxl.toml").write_text(
        f'[mail]\nfrom = "{USER}"\nto = ["jxb@czj.example"]\nhost = "127.0.0.1"\nport = {port}\n'
        f'security = "none"\nuser = "{USER}"\n', encoding="utf-8")
    first = _mail("--what", "自评表", "--send")
    assert "已发送 2 封" in first.output, first.output
    again = _mail("--what", "自评表", "--send")
    assert "已发送 0 封；此前已发送、本次跳过 2 封" in again.output, again.output
    assert len(inbox.messages) == 2
    names = sorted(_on_disk(p.get_filename()) for _, m in inbox.messages for p in m.iter_attachments())
    assert names == sorted(p.name for p in (project / "output/自评表").glob("*.docx"))
    with (project / "output/邮件/发送记录.csv").open(encoding="utf-8-sig") as handle:
        assert [row["结果"] for row in csv.DictReader(handle)] == ["已发送", "已发送"]


def test_the_projects_selfeval_mail_template_is_the_built_in_one():
    from perfxl.core.paths import BUILT_IN_DIR

    assert (ROOT / "templates" / "自评邮件.txt.j2").read_text(encoding="utf-8") == \
        (BUILT_IN_DIR / "自评邮件.txt.j2").read_text(encoding="utf-8")
