"""Emails to the finance bureau: the passed forms attached, as .eml drafts or sent over SMTP.

Two kinds of forms are mailed the same way (KINDS): the 目标表 of a target batch and the 自评表 of a
self-evaluation batch; each kind has its own mail template and drafts folder, both share the send log.

Attachment names carry both encodings clients look for: RFC 2231 (`filename*=utf-8''…`) in
Content-Disposition and an RFC 2047 encoded word in Content-Type's `name`.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import ipaddress
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate, make_msgid
from itertools import groupby
from pathlib import Path

import jinja2

from perfxl.core.config import Config
from perfxl.core.errors import PerfxlError
from perfxl.core.model import ERROR, FAILED, FORMS_DIR, PREPARED_DIR, REPORT_NAME, SELFEVAL_FORMS_DIR, Project
from perfxl.core.values import strip_invisible, to_text, visible, yuan
from perfxl.io.files import atomic_write, own_folder, remove_unlisted, safe_file_name
from perfxl.io.sandbox import (
    TemplateProblem,
    UnsafeTemplate,
    environment,
    get_template,
    refuse_unsafe,
    render,
    template_loader,
)
from perfxl.selfeval.batch import SUMMARY_NAME
from perfxl.selfeval.book import FIELD_LABELS, TITLE, SelfEvaluation
from perfxl.target.pipeline import Batch

PASSWORD_VARIABLE = "PERFXL_SMTP_PASSWORD"
MAIL_FOLDER = "邮件"
LOG_NAME = "发送记录.csv"
LOG_COLUMNS = ("时间", "邮件编号", "收件人", "附件", "结果", "指纹")
SENT = "已发送"
TEMPLATE_NAME = "邮件.txt.j2"
SELFEVAL_TEMPLATE_NAME = "自评邮件.txt.j2"
MIME_TYPES = {".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
              ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              ".pdf": ("application", "pdf")}
# Lines end in CRLF, as RFC 5322 wants: smtplib sends bytes as they are, and servers refuse bare LF.
SMTP_LINES = compat32.clone(linesep="\r\n")
OVERHEAD_BYTES = 20_000  # headers and body of one message, on top of its base64 attachments


class MailError(PerfxlError):
    """Mail cannot be built or sent; the message says why and what to do."""


@dataclass(frozen=True)
class LeftOut:
    """A project (or unreadable file) of the batch whose form is not attached, and why."""

    name: str  # the project's name, else its file's
    unit: str
    year: int
    reason: str


class MailSettingsError(MailError):
    """The [mail] settings or the mail template cannot be used: a configuration error, not a failed send."""


@dataclass(frozen=True)
class Item:
    """One project as a message lists it: its form's key (`file`), grouping and the amount its form names.

    `project` is what the batch read (a Project, a SelfEvaluation), for templates that name its fields."""

    file: str
    name: str
    unit: str
    year: int
    title: str  # the form's title: the layout's, or 项目支出绩效自评表
    amount: float | None
    label: str  # what the amount is called on the form: 项目当年预算, 年度资金申请总额, 全年执行数
    decimals: int  # as the form prints amounts
    project: object = None
    score: float | None = None  # the self-evaluation's 总分 and 等级
    grade: str = ""


def target_item(batch: Batch, project: Project, config: Config) -> Item:
    """A target table as its layout names it: the layout's title and annual amount."""
    layout = config.layout(project.layout)
    annual = layout.budget.annual
    return Item(project.file, project.name, project.unit or "", project.year or 0, layout.title,
                project.get(annual), layout.label(annual), layout.amount_decimals, project)


def selfeval_item(batch: Batch, evaluation: SelfEvaluation, config: Config) -> Item:
    """A self-evaluation: its 全年执行数, 总分 and 等级."""
    year = to_text(evaluation.values.get("year"))
    spent = evaluation.values.get("spent")
    scored = batch.scores.get(evaluation.file)
    return Item(evaluation.file, evaluation.project_name, to_text(evaluation.values.get("unit")),
                int(year) if year.isdigit() else 0, TITLE, spent if isinstance(spent, int | float) else None,
                FIELD_LABELS["spent"].removesuffix("（元）"), 2, evaluation,
                scored.total if scored else None, batch.grade(evaluation.file, config) if scored else "")


@dataclass(frozen=True)
class MailKind:
    """What a mail carries: which forms, from which template, into which drafts folder."""

    what: str  # the forms, as the user calls them (and the folder they are in under the output)
    source: str  # the folder the batch reads by default
    template: str
    folder: str  # the drafts, under the output folder
    report: str  # the consolidated workbook attached with [mail] attach_report
    rerun: str  # the command that writes the forms again
    item: Callable[[Batch, object, Config], Item]


TARGETS = MailKind(FORMS_DIR, "input", TEMPLATE_NAME, MAIL_FOLDER, REPORT_NAME, "perfxl run", target_item)
KINDS = {kind.what: kind for kind in (
    TARGETS,
    MailKind(SELFEVAL_FORMS_DIR, PREPARED_DIR, SELFEVAL_TEMPLATE_NAME, f"{MAIL_FOLDER}/{SELFEVAL_FORMS_DIR}", SUMMARY_NAME,
             "perfxl selfeval run", selfeval_item),
)}


@dataclass
class Draft:
    """One message to send: its key (for the send log), subject, recipients, attachments and MIME form;
    `name` is its file name (by unit and year), `left_out` the unit's projects not attached."""

    key: str
    subject: str
    recipients: list[str]
    attachments: list[Path]
    message: MIMEMultipart
    name: str = ""
    left_out: list[LeftOut] = field(default_factory=list)


def left_out(batch: Batch, config: Config, kind: MailKind = TARGETS) -> list[LeftOut]:
    """The batch's projects and files that get no form, each with its errors' rule ids as the reason."""
    errors: dict[str, list[str]] = {}
    for f in batch.findings:
        if f.severity == ERROR:
            errors.setdefault(f.file, []).append(f.rule)
    items = {p.file: kind.item(batch, p, config) for p in batch.projects}
    out = []
    for entry in batch.ledger:
        if entry.file not in errors and entry.status != FAILED:
            continue
        item = items.get(entry.file)
        rules = errors.get(entry.file, [])
        out.append(LeftOut(item.name if item and item.name else entry.file, item.unit if item else "",
                           item.year if item else 0,
                           f"有 {len(rules)} 个错误（{'、'.join(dict.fromkeys(rules))}），见汇总表的“校验结果”"))
    return out


def _environment(template: Path) -> jinja2.Environment:
    env = environment(loader=template_loader(template.parent), undefined=jinja2.StrictUndefined,
                      keep_trailing_newline=True)
    env.filters["yuan"] = yuan
    try:
        refuse_unsafe(env, env.loader.get_source(env, template.name)[0])
    except UnsafeTemplate as error:
        raise _unsafe(template, error.expression) from error
    except (jinja2.TemplateError, TemplateProblem, RecursionError):
        pass  # reported with its line when rendered
    return env


def _unsafe(template: Path, expression: str) -> MailSettingsError:
    return MailSettingsError(f"邮件模板 {template} 中有不允许的表达式（{expression}）："
                             "模板只能填入单位、项目等字段，不能调用程序。请删除该表达式")


def _render(env: jinja2.Environment, name: str, **values) -> tuple[str, str]:
    """Subject (the template's first line, without a leading `主题：`) and body."""
    try:
        text = render(get_template(env, name), values)
    except UnsafeTemplate as error:
        raise _unsafe(Path(env.loader.searchpath[0]) / name, error.expression) from error
    except (jinja2.TemplateError, TemplateProblem) as error:  # exit 2, as a configuration error: the unit edits it
        line = f"第 {error.lineno} 行：" if isinstance(error, jinja2.TemplateSyntaxError) else ""
        raise MailSettingsError(f"邮件模板 {Path(env.loader.searchpath[0]) / name} 有误：{line}{error}") from error
    subject, _, body = text.lstrip("\n").partition("\n")
    return subject.removeprefix("主题：").strip(), body.strip("\n") + "\n"


def _attachment(path: Path) -> MIMEBase:
    maintype, subtype = MIME_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
    name = strip_invisible(path.name)
    part = MIMEBase(maintype, subtype, name=Header(name, "utf-8").encode())
    part.set_payload(path.read_bytes())
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
    return part


def _encoded_size(path: Path) -> int:
    return path.stat().st_size * 4 // 3 + 1000


def split_parts(files: list[Path], limit: int) -> list[list[Path]]:
    """Pack attachments, in order, into as few parts as keep each message under `limit` bytes."""
    parts: list[list[Path]] = [[]]
    size = OVERHEAD_BYTES
    for path in files:
        needed = _encoded_size(path)
        if parts[-1] and size + needed > limit:
            parts.append([])
            size = OVERHEAD_BYTES
        parts[-1].append(path)
        size += needed
    return parts


def _key(recipients: list[str], files: list[Path]) -> str:
    """The fingerprint of what a person would call the same message: the same recipients, the same forms."""
    digest = hashlib.sha256("\n".join(sorted(recipients)).encode())
    for path in files:
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _message(settings: dict, subject: str, body: str, files: list[Path]) -> MIMEMultipart:
    message = MIMEMultipart()
    message["Subject"] = Header(subject, "utf-8")
    message["From"] = settings["from"]
    if settings["to"]:
        message["To"] = ", ".join(settings["to"])
    if settings["cc"]:
        message["Cc"] = ", ".join(settings["cc"])
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings["from"].rpartition("@")[2] or None)
    message["X-Unsent"] = "1"  # Outlook opens an .eml with this header as a draft to send
    message.attach(MIMEText(body, "plain", "utf-8"))
    for path in files:
        message.attach(_attachment(path))
    return message


def _draft_name(unit: str, year: int, part: int, parts: int) -> str:
    """`{unit}_{year}年度.eml`, `…_第2封共3封.eml` when split: the same on every run."""
    tail = f"_第{part}封共{parts}封" if parts > 1 else ""
    return safe_file_name(f"{unit or '未填单位'}_{year or ''}年度{tail}", ".eml")


def _distinct(values) -> str:
    return "、".join(dict.fromkeys(values))


def build_drafts(items: list[Item], forms: dict[str, Path], settings: dict, template: Path,
                 report: Path | None = None, skipped: list[LeftOut] = ()) -> list[Draft]:
    """One message per unit and year (split by size) for `items`, whose forms are `forms[file]`, its text
    from `template`; `skipped` projects of the same unit and year are named in the message as not attached."""
    env = _environment(template)
    limit = int(settings["max_message_mb"] * 2**20)
    recipients = [*settings["to"], *settings["cc"]]
    drafts = []
    ordered = sorted(items, key=lambda i: (i.unit, i.year, i.name))
    for (unit, year), group in groupby(ordered, key=lambda i: (i.unit, i.year)):
        members = list(group)
        missing = [s for s in skipped if (s.unit, s.year) == (unit, year)]
        files = [forms[i.file] for i in members] + ([report] if report else [])
        parts = split_parts(files, limit)
        for number, part in enumerate(parts, start=1):
            subject, body = _render(
                env, template.name, unit=unit, year=year, items=members, projects=[i.project for i in members],
                title=_distinct(i.title for i in members), label=_distinct(i.label for i in members),
                total=sum(i.amount or 0 for i in members), decimals=max(i.decimals for i in members),
                attachments=[p.name for p in part], part=number, parts=len(parts),
                contact=settings["contact"], forms_total=len(members), left_out=missing,
            )
            drafts.append(Draft(_key(recipients, part), subject, recipients, part,
                                _message(settings, subject, body, part),
                                _draft_name(unit, year, number, len(parts)), missing))
    return drafts


def write_drafts(drafts: list[Draft], folder: Path) -> list[Path]:
    """Write each draft as an .eml file into `folder`, replacing the drafts an earlier run wrote (its manifest),
    never a file of the user's own."""
    folder.mkdir(parents=True, exist_ok=True)
    written, taken = [], set()
    for number, draft in enumerate(drafts, start=1):
        name = draft.name or f"{number:02d}.eml"
        if name.casefold() in taken:  # two units whose names differ only in characters a file name cannot hold
            name = f"{name.removesuffix('.eml')}_{number:02d}.eml"
        taken.add(name.casefold())
        path = folder / name
        with atomic_write(path) as temp:
            temp.write_bytes(draft.message.as_bytes(policy=SMTP_LINES))
        written.append(path)
    remove_unlisted(folder, {path.name for path in written})
    return written


def sent_keys(log: Path) -> set[str]:
    """Keys of the messages the send log records as accepted by the server.

    A log re-saved by Excel as GBK is read as such and written back as UTF-8, so that rows appended
    later share one encoding."""
    if not log.exists():
        return set()
    data = log.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
        with atomic_write(log) as temp:
            temp.write_text(text, encoding="utf-8-sig", newline="")
    return {row.get("指纹") for row in csv.DictReader(io.StringIO(text, newline="")) if row.get("结果") == SENT}


def _log(log: Path, draft: Draft, result: str) -> None:
    new = not log.exists()
    with log.open("a", encoding="utf-8-sig" if new else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(LOG_COLUMNS)
        writer.writerow([dt.datetime.now().isoformat(timespec="seconds"), draft.message["Message-ID"],
                         "; ".join(draft.recipients), "; ".join(p.name for p in draft.attachments), result, draft.key])
        handle.flush()
        os.fsync(handle.fileno())


HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+")


def _text_problem(value: object) -> str:
    if not isinstance(value, str):
        return "不是文字（请加引号）"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "含有换行等控制字符"
    if not value.isascii():
        return "含有中文等非 ASCII 字符，邮件服务器不接受：请改用英文地址或账号（中文域名请写成 xn-- 开头的形式）"
    return ""


def _address_problem(value: object) -> str:
    return _text_problem(value) or ("" if ADDRESS.fullmatch(value) else "不是邮件地址（应形如 name@example.com）")


def _host_problem(host: str) -> str:
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return ""
    return _text_problem(host) or ("" if HOST_NAME.fullmatch(host) else "不是有效的服务器名称（应形如 smtp.example.com）")


def _settings_problems(settings: dict, sending: bool) -> list[str]:
    addresses = [("from", settings["from"])] if settings["from"] else []
    addresses += [(key, value) for key in ("to", "cc") for value in settings[key]]
    problems = [f"[mail] {key} 的「{visible(value)}」{problem}" for key, value in addresses
                if (problem := _address_problem(value))]
    if not sending:
        return problems
    missing = [key for key in ("from", "host") if not settings[key]] + ([] if settings["to"] else ["to"])
    if missing:
        return [f"perfxl.toml 的 [mail] 缺少：{'、'.join(missing)}"] + problems
    if settings["security"] not in ("ssl", "starttls", "none"):
        problems.append(f"[mail] security 应为 ssl、starttls 或 none，而不是「{visible(settings['security'])}」")
    if problem := _host_problem(settings["host"]):
        problems.append(f"[mail] host 的「{visible(settings['host'])}」{problem}")
    if not 0 < settings["port"] < 65536:
        problems.append(f"[mail] port 应在 1 到 65535 之间，而不是 {settings['port']}")
    if not settings["timeout_seconds"] > 0:
        problems.append(f"[mail] timeout_seconds 应大于 0（秒），而不是 {settings['timeout_seconds']}")
    if settings["user"] and (problem := _text_problem(settings["user"])):
        problems.append(f"[mail] user 的「{visible(settings['user'])}」{problem}")
    if settings["user"] and (problem := _text_problem(os.environ.get(PASSWORD_VARIABLE, ""))):
        problems.append(f"环境变量 {PASSWORD_VARIABLE} 中的密码{problem.split('，')[0]}：请检查密码")
    return problems


def check_settings(settings: dict, sending: bool) -> None:
    """Raise MailSettingsError naming every unusable [mail] setting; the server ones only when `sending`."""
    problems = _settings_problems(settings, sending)
    if problems:
        raise MailSettingsError("；".join(problems))


def _connect(settings: dict) -> smtplib.SMTP:
    host, port, timeout = settings["host"], settings["port"], settings["timeout_seconds"]
    where = f"{host}:{port}"
    try:
        if settings["security"] == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
            if settings["security"] == "starttls":
                server.starttls(context=ssl.create_default_context())
        if settings["user"]:
            server.login(settings["user"], os.environ.get(PASSWORD_VARIABLE, ""))
        return server
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(f"邮件服务器 {where} 拒绝登录（用户 {settings['user']}）：请检查用户名和环境变量 "
                        f"{PASSWORD_VARIABLE} 中的密码") from error
    except ConnectionRefusedError as error:
        raise MailError(f"邮件服务器 {where} 拒绝连接：请检查 [mail] host、port 和 security") from error
    except (OSError, smtplib.SMTPException) as error:
        if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
            raise MailError(f"连接邮件服务器 {where} 超时（{timeout} 秒无应答）：请检查网络和 [mail] host、port") from error
        raise MailError(f"无法连接邮件服务器 {where}：{error}") from error


def send(drafts: list[Draft], settings: dict, log: Path, resend: bool = False) -> tuple[int, int, list[str]]:
    """Send the drafts not yet accepted (all with `resend`); returns (sent, skipped, problems)."""
    check_settings(settings, sending=True)
    done = sent_keys(log)  # also when resending: it turns a log re-saved as GBK back into UTF-8
    if resend:
        done = set()
    pending = [d for d in drafts if d.key not in done]
    if not pending:
        return 0, len(drafts), []
    server = _connect(settings)
    sent, problems = 0, []
    try:
        for draft in pending:
            try:
                server.sendmail(settings["from"], draft.recipients, draft.message.as_bytes(policy=SMTP_LINES))
            except smtplib.SMTPRecipientsRefused as error:
                refused = "、".join(error.recipients)
                problems.append(f"「{draft.subject}」：收件人被拒绝（{refused}），未发送")
                _log(log, draft, f"失败：收件人被拒绝 {refused}")
            except (smtplib.SMTPException, OSError) as error:
                problems.append(f"「{draft.subject}」：服务器拒绝（{error}），未发送")
                _log(log, draft, f"失败：{error}")
            else:
                sent += 1
                _log(log, draft, SENT)
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()
    return sent, len(drafts) - len(pending), problems


@dataclass
class MailOutcome:
    drafts: list[Path]
    messages: list[Draft] = field(default_factory=list)  # drafts[i] is messages[i] on disk
    left_out: list[LeftOut] = field(default_factory=list)  # every project of the batch not attached
    sent: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    kind: MailKind = TARGETS


def mail_batch(batch: Batch, output_dir: Path, config: Config, template: Path, do_send: bool = False,
               resend: bool = False, kind: MailKind = TARGETS) -> MailOutcome:
    """Drafts for the passed projects of a batch just run (so they match the input), their text from
    `template`; sent with `do_send`. The send log, in the 邮件 folder, is shared by every kind."""
    settings = config.mail
    check_settings(settings, do_send)
    items = [kind.item(batch, p, config) for p in batch.passed()]
    if not items:
        raise MailError("没有通过校验的项目（有“错误”的项目不会发送），未生成邮件：请先按校验结果修改工作簿")
    forms = {i.file: output_dir / batch.forms[i.file] for i in items if i.file in batch.forms}
    missing = [i.name for i in items if i.file not in forms or not forms[i.file].is_file()]
    if missing:
        raise MailError(f"找不到以下项目的{kind.what}：{'、'.join(missing)}；请重新运行 {kind.rerun}")
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
