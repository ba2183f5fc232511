"""The messages: one per group and year (split by size), their text from a mail template, the forms attached,
written as .eml drafts.

Attachment names carry both encodings clients look for: RFC 2231 (`filename*=utf-8''…`) in
Content-Disposition and an RFC 2047 encoded word in Content-Type's `name`. A form mailed for a 主管部门
is named with its 实施单位 in front (`{实施单位}_{年度}_{项目名称}.docx`), so the bureau sees whose it is.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate, make_msgid
from itertools import groupby
from pathlib import Path, PurePath
from typing import NamedTuple

import jinja2

from perfxl.core.values import strip_invisible, yuan
from perfxl.io.files import atomic_write, remove_unlisted, safe_file_name
from perfxl.io.render.bounds import TemplateProblem
from perfxl.io.render.sandbox import UnsafeTemplate, environment, get_template, refuse_unsafe, template_loader
from perfxl.io.render.sandbox import render as render_bounded
from perfxl.mail.items import Item, LeftOut, MailError, MailSettingsError, one_line

MIME_TYPES = {".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
              ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              ".pdf": ("application", "pdf")}
# Lines end in CRLF, as RFC 5322 wants: smtplib sends bytes as they are, and servers refuse bare LF.
SMTP_LINES = compat32.clone(linesep="\r\n")
OVERHEAD_BYTES = 20_000  # headers and body of one message, on top of its base64 attachments
BREAK = "\ue000"  # a line break inside a value, kept apart from the template's own while rendering
METADATA = "docProps/"  # an Office package's properties: its save time, not what the bureau reads


class Attachment(NamedTuple):
    path: Path
    name: str  # as the message names it


@dataclass
class Draft:
    """One message to send: its key (for the send log), subject, recipients, attachments and MIME form;
    `name` is its file name (by group and year), `left_out` the group's projects not attached."""

    key: str
    subject: str
    recipients: list[str]
    attachments: list[Attachment]
    message: MIMEMultipart
    name: str = ""
    left_out: list[LeftOut] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)  # the attached forms' names (not the summary's)


def _keep_breaks(value: object) -> object:
    """Every `{{ … }}` output: its line breaks marked, so that a value cannot end the subject line."""
    if isinstance(value, str):
        return value.replace("\r\n", BREAK).replace("\r", BREAK).replace("\n", BREAK)
    return value


def template_environment(template: Path) -> jinja2.Environment:
    loader = template_loader(template.parent)
    env = environment(loader=loader, undefined=jinja2.StrictUndefined,
                      keep_trailing_newline=True, finalize=_keep_breaks)
    env.filters["yuan"] = yuan
    try:
        refuse_unsafe(env, loader.get_source(env, template.name)[0])
    except UnsafeTemplate as error:
        raise _unsafe(template, error.expression) from error
    except (jinja2.TemplateError, TemplateProblem, RecursionError):
        pass  # reported with its line when rendered
    return env


def _unsafe(template: Path, expression: str) -> MailSettingsError:
    return MailSettingsError(f"邮件模板 {template} 中有不允许的表达式（{expression}）："
                             "模板只能填入单位、项目等字段，不能调用程序。请删除该表达式")


def render(env: jinja2.Environment, name: str, **values) -> tuple[str, str]:
    """Subject (the template's first line, without a leading `主题：`, folded to one line) and body."""
    path = Path(getattr(env.loader, "searchpath", ["."])[0]) / name
    try:
        text = render_bounded(get_template(env, name), values)
    except UnsafeTemplate as error:
        raise _unsafe(path, error.expression) from error
    except (jinja2.TemplateError, TemplateProblem) as error:  # exit 2, as a configuration error: the unit edits it
        line = f"第 {error.lineno} 行：" if isinstance(error, jinja2.TemplateSyntaxError) else ""
        raise MailSettingsError(f"邮件模板 {name} 有误：{line}{error}（{path}）") from error
    except (ArithmeticError, TypeError, ValueError) as error:  # a filter given what it cannot format
        raise MailError(f"邮件模板 {name} 无法填入{values.get('unit', '')}的内容（{error}）："
                        "请检查模板中的格式（如 format、yuan）和该单位的工作簿") from error
    subject, _, body = text.lstrip("\n").partition("\n")
    subject = one_line(subject.replace(BREAK, "\n")).removeprefix("主题：").strip()
    return subject, body.replace(BREAK, "\n").strip("\n") + "\n"


def _attachment(path: Path, name: str | None = None) -> MIMEBase:
    maintype, subtype = MIME_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
    name = strip_invisible(one_line(name or path.name))
    part = MIMEBase(maintype, subtype, name=Header(name, "utf-8").encode())
    part.set_payload(path.read_bytes())
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
    return part


def _encoded_size(path: Path) -> int:
    return path.stat().st_size * 4 // 3 + 1000


def split_parts(files: list, limit: int) -> list[list]:
    """Pack attachments (paths, or Attachments), in order, into as few parts as keep each message under
    `limit` bytes."""
    parts: list[list] = [[]]
    size = OVERHEAD_BYTES
    for item in files:
        needed = _encoded_size(item.path if isinstance(item, Attachment) else item)
        if parts[-1] and size + needed > limit:
            parts.append([])
            size = OVERHEAD_BYTES
        parts[-1].append(item)
        size += needed
    return parts


def substance(path: Path) -> bytes:
    """The digest of what a person receives in `path`: an .xlsx package's parts but its properties (the
    time it was saved; the summary is saved anew on every run), any other file's bytes (the forms are the
    same bytes when their content is the same)."""
    if path.suffix.lower() == ".xlsx":
        try:
            with zipfile.ZipFile(path) as package:
                digest = hashlib.sha256()
                for info in sorted(package.infolist(), key=lambda i: i.filename):
                    if not info.filename.startswith(METADATA):
                        digest.update(info.filename.encode("utf-8") + b"\0")
                        with package.open(info) as part:
                            while chunk := part.read(2**20):
                                digest.update(chunk)
                return digest.digest()
        except (zipfile.BadZipFile, OSError, ValueError):
            pass  # not a package after all: its bytes
    return hashlib.sha256(path.read_bytes()).digest()


def fingerprint(recipients: list[str], files: list[Path]) -> str:
    """What a person would call the same message: the same recipients, the same forms and summary data."""
    digest = hashlib.sha256("\n".join(sorted(recipients)).encode())
    for path in files:
        digest.update(substance(path))
    return digest.hexdigest()[:16]


def _message(settings: dict, subject: str, body: str, files: list[Attachment]) -> MIMEMultipart:
    message = MIMEMultipart()
    message["Subject"] = Header(subject, "utf-8")  # type: ignore[assignment]  # email accepts a Header
    message["From"] = settings["from"]
    if settings["to"]:
        message["To"] = ", ".join(settings["to"])
    if settings["cc"]:
        message["Cc"] = ", ".join(settings["cc"])
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings["from"].rpartition("@")[2] or None)
    message["X-Unsent"] = "1"  # Outlook opens an .eml with this header as a draft to send
    message.attach(MIMEText(body, "plain", "utf-8"))
    for attachment in files:
        message.attach(_attachment(*attachment))
    return message


def _draft_name(group: str, year: int, part: int, parts: int) -> str:
    """`{group}_{year}年度.eml`, `…_第2封共3封.eml` when split: the same on every run."""
    tail = f"_第{part}封共{parts}封" if parts > 1 else ""
    return safe_file_name(f"{group or '未填单位'}_{year or ''}年度{tail}", ".eml")


def _distinct(values) -> str:
    return "、".join(dict.fromkeys(v for v in values if v))


def form_name(item: Item, form: Path) -> str:
    """The form's name in the message: with its 实施单位 in front when it is mailed for another group."""
    if item.unit and item.group != item.unit:
        return safe_file_name(f"{item.unit}_{PurePath(form.name).stem}", form.suffix)
    return form.name


def build_drafts(items: list[Item], forms: dict[str, Path], settings: dict, template: Path,
                 report: Path | None = None, skipped: Sequence[LeftOut] = ()) -> list[Draft]:
    """One message per group and year (split by size) for `items`, whose forms are `forms[file]`, its text
    from `template`; `skipped` projects of the same group and year are named in the message as not attached."""
    env = template_environment(template)
    drafts = []
    ordered = sorted(items, key=lambda i: (i.group, i.year, i.unit, i.name))
    for (group, year), grouped in groupby(ordered, key=lambda i: (i.group, i.year)):
        members = list(grouped)
        missing = [s for s in skipped if (s.unit, s.year) == (group, year)]
        files = [Attachment(forms[i.file], form_name(i, forms[i.file])) for i in members]
        files += [Attachment(report, report.name)] if report else []
        drafts += _group_drafts(env, template.name, settings, members, files, missing)
    return drafts


def _group_drafts(env: jinja2.Environment, name: str, settings: dict, members: list[Item],
                  files: list[Attachment], missing: list[LeftOut]) -> list[Draft]:
    group, year = members[0].group, members[0].year
    recipients = [*settings["to"], *settings["cc"]]
    parts = split_parts(files, int(settings["max_message_mb"] * 2**20))
    form_names = {a.name for a in files[:len(members)]}
    drafts = []
    for number, part in enumerate(parts, start=1):
        subject, body = render(
            env, name, unit=group, group=group, year=year, items=members, projects=[i.project for i in members],
            units=list(dict.fromkeys(i.unit for i in members if i.unit)),
            department=_distinct(i.department for i in members),
            sender=settings.get("sender") or group, title=_distinct(i.title for i in members),
            label=_distinct(i.label for i in members), total=sum(i.amount or 0 for i in members),
            decimals=max(i.decimals for i in members), attachments=[a.name for a in part], part=number,
            parts=len(parts), contact=settings["contact"], forms_total=len(members), left_out=missing,
        )
        drafts.append(Draft(fingerprint(recipients, [a.path for a in part]), subject, recipients, part,
                            _message(settings, subject, body, part), _draft_name(group, year, number, len(parts)),
                            missing, [a.name for a in part if a.name in form_names]))
    return drafts


def write_drafts(drafts: list[Draft], folder: Path) -> list[Path]:
    """Write each draft as an .eml file into `folder`, replacing the drafts an earlier run wrote (its manifest),
    never a file of the user's own."""
    folder.mkdir(parents=True, exist_ok=True)
    written, taken = [], set()
    for number, draft in enumerate(drafts, start=1):
        name = draft.name or f"{number:02d}.eml"
        if name.casefold() in taken:  # two groups whose names differ only in characters a file name cannot hold
            name = f"{name.removesuffix('.eml')}_{number:02d}.eml"
        taken.add(name.casefold())
        path = folder / name
        with atomic_write(path) as temp:
            temp.write_bytes(draft.message.as_bytes(policy=SMTP_LINES))
        written.append(path)
    remove_unlisted(folder, {path.name for path in written})
    return written
