"""What a message lists: one Item per project with a form, grouped into submissions; the projects left out.

A submission is one message per group and year. For a layout with a 主管部门 (上海2026) the group is the
主管部门 (`[mail] group_by = "主管部门"`, the default) or the 实施单位 (`group_by = "实施单位"`); a layout
without one (上海2020) groups by its unit, the 申报单位名称. Names are folded to one line first (a line
break typed with Alt+Enter would otherwise cut the subject and split a group in two).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from perfxl.core.config import Config
from perfxl.core.errors import PerfxlError
from perfxl.core.model import ERROR, FAILED, FORMS_DIR, PREPARED_DIR, REPORT_NAME, SELFEVAL_FORMS_DIR, Project
from perfxl.core.values import to_text
from perfxl.selfeval.batch import SUMMARY_NAME
from perfxl.selfeval.book import FIELD_LABELS, TITLE, SelfEvaluation
from perfxl.selfeval.results import SelfEvalBatch
from perfxl.target.pipeline import Batch

BY_DEPARTMENT, BY_UNIT = "主管部门", "实施单位"
GROUP_BY = (BY_DEPARTMENT, BY_UNIT)
TEMPLATE_NAME = "邮件.txt.j2"
SELFEVAL_TEMPLATE_NAME = "自评邮件.txt.j2"
MAIL_FOLDER = "邮件"
_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")
_YEAR = re.compile(r"[0-9]{4}")


class MailError(PerfxlError):
    """Mail cannot be built or sent; the message says why and what to do."""


class MailSettingsError(MailError):
    """The [mail] settings or the mail template cannot be used: a configuration error, not a failed send."""


def one_line(text: str) -> str:
    """`text` with its line breaks folded: dropped between two Chinese characters, a space elsewhere."""
    def join(match: re.Match) -> str:
        before, after = match.string[match.start() - 1:match.start()], match.string[match.end():match.end() + 1]
        return "" if before and after and not before.isascii() and not after.isascii() else " "
    return _BREAKS.sub(join, text).strip()


@dataclass(frozen=True)
class LeftOut:
    """A project (or unreadable file) of the batch whose form is not attached, and why."""

    name: str  # the project's name, else its file's
    unit: str  # the group it would have been mailed with
    year: int
    reason: str


@dataclass(frozen=True)
class Item:
    """One project as a message lists it: its form's key (`file`), its group and the amount its form names.

    `unit` is the 实施单位 (申报单位名称 in 上海2020), `department` the 主管部门 when the layout has one,
    `group` the one the message goes out for. `project` is what the batch read (a Project, a
    SelfEvaluation), for templates that name its fields."""

    file: str
    name: str
    unit: str
    year: int
    title: str  # the form's title: the layout's, or 项目支出绩效自评表
    amount: Decimal | None
    label: str  # what the amount is called on the form: 项目当年预算, 年度资金申请总额, 全年执行数
    decimals: int  # as the form prints amounts
    project: object = None
    score: Decimal | None = None  # the self-evaluation's 总分 and 等级
    grade: str = ""
    department: str = ""
    group: str = ""


def _exact(value: object) -> Decimal | None:
    """A number as an exact decimal (a float by its shortest repr); None for anything else or not finite."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _year(value: object) -> int:
    """A year as four ASCII digits (2026, 2026.0), else 0: a 年度 that is not a year groups as 年度未知."""
    text = to_text(value).strip()
    return int(text) if _YEAR.fullmatch(text) else 0


def _group(unit: str, department: str, config: Config) -> str:
    return department if department and config.mail.get("group_by", BY_DEPARTMENT) == BY_DEPARTMENT else unit


def target_item(batch: Batch, project: Project, config: Config) -> Item:
    """A target table as its layout names it: the layout's title and annual amount."""
    layout = config.layout(project.layout)
    annual = layout.budget.annual
    unit = one_line(to_text(project.unit))
    department = one_line(to_text(project.department))  # None in a layout without a 主管部门
    return Item(project.file, project.name, unit, _year(project.year), layout.title, _exact(project.get(annual)),
                layout.label(annual), layout.amount_decimals, project, department=department,
                group=_group(unit, department, config))


def selfeval_item(batch: SelfEvalBatch, evaluation: SelfEvaluation, config: Config) -> Item:
    """A self-evaluation: its 全年执行数, 总分 and 等级. Its 主管部门/申报单位 is the 主管部门 of a 上海2026
    project and the 申报单位名称 of a 上海2020 one (prepare writes it so), so 2020 stays per 申报单位."""
    values = evaluation.values
    scored = batch.scores.get(evaluation.file)
    unit = one_line(to_text(values.get("unit")))
    department = one_line(to_text(values.get("department")))
    total = _exact(scored.total) if scored else None
    return Item(evaluation.file, one_line(evaluation.project_name), unit, _year(values.get("year")), TITLE,
                _exact(values.get("spent")), FIELD_LABELS["spent"].removesuffix("（元）"), 2, evaluation,
                total, batch.grade(evaluation.file, config) if total is not None else "",
                department=department, group=_group(unit, department, config))


@dataclass(frozen=True)
class MailKind:
    """What a mail carries: which forms, from which template, into which drafts folder."""

    what: str  # the forms, as the user calls them (and the folder they are in under the output)
    source: str  # the folder the batch reads by default
    template: str
    folder: str  # the drafts, under the output folder
    report: str  # the consolidated workbook attached with [mail] attach_report
    rerun: str  # the command that writes the forms again
    item: Callable[..., Item]  # item(batch, project or evaluation, config)


TARGETS = MailKind(FORMS_DIR, "input", TEMPLATE_NAME, MAIL_FOLDER, REPORT_NAME, "perfxl run", target_item)
KINDS = {kind.what: kind for kind in (
    TARGETS,
    MailKind(SELFEVAL_FORMS_DIR, PREPARED_DIR, SELFEVAL_TEMPLATE_NAME, f"{MAIL_FOLDER}/{SELFEVAL_FORMS_DIR}",
             SUMMARY_NAME, "perfxl selfeval run", selfeval_item),
)}


def item_of(kind: MailKind, batch: Batch, project: object, config: Config) -> Item:
    """kind.item, or a MailError naming the file when its content cannot be listed in a message."""
    try:
        return kind.item(batch, project, config)
    except Exception as error:  # noqa: BLE001 - whatever a unit typed, the message names the file, no traceback
        file = getattr(project, "file", "")
        raise MailError(f"{file} 中的内容无法写入邮件（{type(error).__name__}：{error}）："
                        f"请按 {kind.rerun} 的校验结果修改该文件后重试") from error


def left_out(batch: Batch, config: Config, kind: MailKind = TARGETS) -> list[LeftOut]:
    """The batch's projects and files that get no form, each with its errors' rule ids as the reason."""
    errors: dict[str, list[str]] = {}
    for f in batch.findings:
        if f.severity == ERROR:
            errors.setdefault(f.file, []).append(f.rule)
    failed = {entry.file for entry in batch.ledger if entry.status == FAILED}
    items = {p.file: item_of(kind, batch, p, config) for p in batch.projects if p.file in errors or p.file in failed}
    out = []
    for entry in batch.ledger:
        if entry.file not in errors and entry.file not in failed:
            continue
        item = items.get(entry.file)
        rules = errors.get(entry.file, [])
        out.append(LeftOut(item.name if item and item.name else entry.file, item.group if item else "",
                           item.year if item else 0,
                           f"有 {len(rules)} 个错误（{'、'.join(dict.fromkeys(rules))}），见汇总表的“校验结果”"))
    return out
