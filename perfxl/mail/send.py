"""Emails to the finance bureau: the passed forms of a batch just run, attached, as .eml drafts or sent over SMTP.

Two kinds of forms are mailed the same way (KINDS): the 目标表 of a target batch and the 自评表 of a
self-evaluation batch; each kind has its own mail template and drafts folder, both share the send log.
The pieces: items.py (what a message lists, and the groups), drafts.py (the messages), settings.py (the
[mail] checks), smtp.py (sending and the send log).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perfxl.core.config import Config
from perfxl.io.files import own_folder
from perfxl.mail.drafts import Draft, _attachment, build_drafts, split_parts, write_drafts
from perfxl.mail.items import (
    KINDS,
    MAIL_FOLDER,
    SELFEVAL_TEMPLATE_NAME,
    TARGETS,
    TEMPLATE_NAME,
    Item,
    LeftOut,
    MailError,
    MailKind,
    MailSettingsError,
    item_of,
    left_out,
    selfeval_item,
    target_item,
)
from perfxl.mail.settings import PASSWORD_VARIABLE, check_settings
from perfxl.mail.smtp import LOG_NAME, send, sent_keys
from perfxl.target.pipeline import Batch

__all__ = ["KINDS", "LOG_NAME", "MAIL_FOLDER", "PASSWORD_VARIABLE", "SELFEVAL_TEMPLATE_NAME", "TARGETS",
           "TEMPLATE_NAME", "Draft", "Item", "LeftOut", "MailError", "MailKind", "MailOutcome", "MailSettingsError",
           "_attachment", "build_drafts", "check_settings", "left_out", "mail_batch", "selfeval_item", "send",
           "sent_keys", "split_parts", "target_item", "write_drafts"]


@dataclass
class MailOutcome:
    drafts: list[Path]
    messages: list[Draft] = field(default_factory=list)  # drafts[i] is messages[i] on disk
    left_out: list[LeftOut] = field(default_factory=list)  # every project of the batch not attached
    sent: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    kind: MailKind = TARGETS


def _forms(batch: Batch, items: list[Item], output_dir: Path, kind: MailKind) -> dict[str, Path]:
    forms = {i.file: output_dir / batch.forms[i.file] for i in items if i.file in batch.forms}
    missing = [i.name for i in items if i.file not in forms or not forms[i.file].is_file()]
    if missing:
        raise MailError(f"找不到以下项目的{kind.what}：{'、'.join(missing)}；请重新运行 {kind.rerun}")
    return forms


def mail_batch(batch: Batch, output_dir: Path, config: Config, template: Path, do_send: bool = False,
               resend: bool = False, kind: MailKind = TARGETS) -> MailOutcome:
    """Drafts for the passed projects of a batch just run (so they match the input), their text from
    `template`; sent with `do_send`. The send log, in the 邮件 folder, is shared by every kind."""
    settings = config.mail
    check_settings(settings, do_send)
    items = [item_of(kind, batch, p, config) for p in batch.passed()]
    if not items:
        raise MailError("没有通过校验的项目（有“错误”的项目不会发送），未生成邮件：请先按校验结果修改工作簿")
    forms = _forms(batch, items, output_dir, kind)
    if not template.is_file():
        raise MailError(f"找不到邮件模板 {template}")
    report = output_dir / kind.report if settings["attach_report"] else None
    skipped = left_out(batch, config, kind)
    drafts = build_drafts(items, forms, settings, template, report, skipped)
    try:
        folder = own_folder(output_dir, kind.folder)
        log = own_folder(output_dir, MAIL_FOLDER) / LOG_NAME
    except ValueError as error:
        raise MailSettingsError(str(error)) from error
    outcome = MailOutcome(write_drafts(drafts, folder), drafts, skipped, kind=kind)
    if do_send:
        outcome.sent, outcome.skipped, outcome.problems = send(drafts, settings, log, resend)
    return outcome
