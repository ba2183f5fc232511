"""`perfxl mail`: run the batch, then write the passed forms as drafts or send them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from perfxl.cli.common import (
    FOUND_ERRORS,
    OK,
    USAGE,
    command,
    config_option,
    config_or_exit,
    print_findings,
    print_removed,
    print_summary,
    require_folder,
    run_batch,
    say,
    say_built_in,
)
from perfxl.core.config import Config
from perfxl.core.model import FORMS_DIR, SELFEVAL_FORMS_DIR
from perfxl.core.paths import is_built_in, is_examples, resolve_template
from perfxl.core.values import visible
from perfxl.io.files import holds_input
from perfxl.target.pipeline import Batch, OutputError, locked


@command("mail")
@click.argument("input_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.argument("output_dir", default="output", type=click.Path(file_okay=False, path_type=Path))
@click.option("--what", default=FORMS_DIR, show_default=True, type=click.Choice([FORMS_DIR, SELFEVAL_FORMS_DIR]),
              help="发送什么：申报的目标表（INPUT 默认 input），或年终的自评表（INPUT 默认 自评）")
@click.option("--send", "do_send", is_flag=True, help="通过 SMTP 发送（默认只写出 .eml 草稿）")
@click.option("--resend", is_flag=True, help="连已发送成功的邮件也重新发送")
@config_option
def mail_command(input_dir: Path | None, output_dir: Path, what: str, do_send: bool, resend: bool,
                 config_path: Path | None) -> None:
    """先运行校验和生成，再把通过的目标表写成邮件草稿（output/邮件/*.eml），或用 --send 发送；
    --what 自评表 则先运行 selfeval run，再把通过的自评表写成草稿（output/邮件/自评表/*.eml）。

    \b
    示例：perfxl mail            写出草稿，用邮件客户端打开检查后发送
          perfxl mail --send     按 perfxl.toml 的 [mail] 设置直接发送
          perfxl mail --what 自评表 --send
    """
    config = config_or_exit(config_path)
    root = config.folder  # the project folder: beside the configuration in use
    from perfxl.mail.send import KINDS, MailError, MailSettingsError, check_settings, left_out, mail_batch

    kind = KINDS[what]
    input_dir = input_dir or Path(kind.source)

    try:
        check_settings(config.mail, do_send)  # before the batch runs: a typo costs no minutes
    except MailSettingsError as error:
        say(f"邮件：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE)
    _refuse_examples(input_dir, root)

    template = resolve_template(kind.template, root)
    assert template is not None  # the built-in copies of the mail templates ship with perfxl
    if is_built_in(template):
        say_built_in(root, kind.template)
    try:
        with locked(output_dir):  # around the run and the mail: no other run replaces the forms between
            batch = _run_for_mail(kind.what, input_dir, output_dir, config)
            outcome = mail_batch(batch, output_dir, config, template, do_send, resend, kind)
    except OutputError as error:
        say(f"输出失败：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE)
    except MailError as error:
        if not isinstance(error, MailSettingsError):
            _print_left_out(left_out(batch, config, kind))
        say(f"邮件：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE if isinstance(error, MailSettingsError) else FOUND_ERRORS)
    _print_messages(outcome)
    if do_send:
        say(f"已发送 {outcome.sent} 封；此前已发送、本次跳过 {outcome.skipped} 封（--resend 可重发）")
    for problem in outcome.problems:
        say(f"未发送：{visible(problem)}", fg="red", err=True)
    sys.exit(FOUND_ERRORS if outcome.problems or batch.has_errors else OK)


def _run_for_mail(what: str, input_dir: Path, output_dir: Path, config: Config) -> Batch:
    """The batch whose forms are mailed, run now and printed as `run` (or `selfeval run`) prints it."""
    if what == FORMS_DIR:
        batch = run_batch(input_dir, output_dir, config)
        print_findings(batch)
        print_summary(batch, input_dir)
        print_removed(batch)
        return batch
    from perfxl.cli.year import print_scores
    from perfxl.selfeval.batch import run as run_selfeval

    batch = run_selfeval(input_dir, output_dir, config)
    print_scores(batch, config)
    return batch


def _refuse_examples(input_dir: Path, root: Path) -> None:
    """Mail only the user's own workbooks: never the samples, never an empty input folder."""
    require_folder(input_dir)
    if is_examples(input_dir, root):
        say(f"{input_dir}/ 是示例文件夹：示例的目标表不会写成邮件或发送。"
                    "请把本单位的申报表放进 input/，再运行 make mail", fg="red", err=True)
        sys.exit(USAGE)
    if not holds_input(input_dir):
        say(f"{input_dir.absolute()} 中没有申报表，没有可发送的目标表：请把本单位填好的申报表（.xlsx）"
                    "放进这个文件夹，运行 make 检查无误后，再运行 make mail", fg="red", err=True)
        sys.exit(FOUND_ERRORS)


def _print_messages(outcome) -> None:
    """Per message: its draft, the projects attached, and the unit's projects not attached and why."""
    say(f"邮件草稿 {len(outcome.drafts)} 封：{outcome.drafts[0].parent}")
    for path, draft in zip(outcome.drafts, outcome.messages, strict=True):
        say(f"邮件「{draft.subject}」：{path}", bold=True)
        forms = draft.forms
        say(f"  附上{outcome.kind.what} {len(forms)} 份：{'、'.join(forms)}")
        for item in draft.left_out:
            say(f"  未附上：{item.name}（{item.reason}）", fg="red")
    in_drafts = {item for draft in outcome.messages for item in draft.left_out}
    _print_left_out([item for item in outcome.left_out if item not in in_drafts])


def _print_left_out(items: list) -> None:
    for item in items:
        unit = f"{item.unit}{item.year or ''}年度" if item.unit else "单位不明"
        say(f"未附在任何邮件中：{item.name}（{unit}；{item.reason}）", fg="red")


COMMANDS = (mail_command,)
