"""The command line: the only module that knows about click, exit codes and the terminal."""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import time
from collections import Counter
from pathlib import Path

import click

from perfxl import __version__
from perfxl.cli import click_zh
from perfxl.core.catalogue import CATALOGUE
from perfxl.core.config import Config, ConfigError, load_config
from perfxl.core.errors import PerfxlError, os_problem
from perfxl.core.model import ERROR, FAILED, FORMS_DIR, INFO, SELFEVAL_FORMS_DIR, SKIPPED, WARNING
from perfxl.core.paths import EXAMPLES_DIR, TEMPLATES_DIR, is_built_in, is_examples, resolve_template
from perfxl.core.values import visible
from perfxl.io.files import holds_input
from perfxl.io.parallel import Workers
from perfxl.target.pipeline import Batch, OutputError, locked, run, validate

click_zh.install()  # before the decorators below: some take their help texts from click's messages

# Commands other than run/check import what they need inside: `perfxl run` starts its workers sooner
# without openpyxl's and the importer's imports.
OK, FOUND_ERRORS, USAGE, UNEXPECTED, INTERRUPTED = 0, 1, 2, 3, 130


def config_or_exit(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        click.secho(f"配置错误：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE)


def _previous(path: Path | None, config: Config) -> dict | None:
    if path is None:
        return None
    from perfxl.io.workbook import Limits
    from perfxl.target.previous import PreviousError, read_previous

    try:
        return read_previous(path, Limits.of(config.limits))
    except PreviousError as error:
        click.secho(f"错误：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE)


jobs_option = click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None, metavar="N",
                           help="并行进程数（默认等于 CPU 核数）")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="不显示进度条、问题列表和汇总，只以退出码表示结果")


def _progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


previous_option = click.option("--previous", "previous_path", type=click.Path(dir_okay=False, path_type=Path),
                               help="上年的汇总表（绩效目标汇总.xlsx），用于核对同名项目上年预算额（X03）")


def print_findings(batch: Batch) -> None:
    """Each finding under its file; text from the inputs with control characters made visible."""
    for file, group in itertools.groupby(batch.findings, key=lambda f: f.file):
        click.echo(click.style(visible(file or "（批次）"), bold=True))
        for f in group:
            colour = {ERROR: "red", WARNING: "yellow"}.get(f.severity)
            place = visible(f"{f.sheet}!{f.cell}" if f.cell else f.sheet or "—")
            click.echo(f"  {click.style(f.severity, fg=colour)} {f.rule} {place}  {visible(f.message)}  → {visible(f.hint)}")


def _file_counts(batch: Batch) -> str:
    """`文件 N 个（失败 F，跳过 S：reason n 个、…）`: every file the ledger holds, skipped ones by reason."""
    failed = sum(1 for e in batch.ledger if e.status == FAILED)
    skipped = Counter(e.message.removesuffix("，已跳过") for e in batch.ledger if e.status == SKIPPED)
    reasons = "、".join(f"{reason} {count} 个" for reason, count in skipped.items())
    detail = f"，跳过 {skipped.total()}：{reasons}" if skipped else ""
    return f"文件 {len(batch.ledger)} 个（失败 {failed}{detail}）"


def _print_summary(batch: Batch, input_dir: Path) -> None:
    if not batch.ledger:
        click.secho(f"{visible(input_dir)} 中没有文件：请把填好的申报表（.xlsx）放进这个文件夹后再运行", fg="yellow")
    failed_files = {e.file for e in batch.ledger if e.status == FAILED}
    read = sum(1 for p in batch.projects if p.file not in failed_files)
    click.echo(
        f"{_file_counts(batch)}，项目 {read} 个，"
        f"通过 {len(batch.passed())} 个；错误 {batch.count(ERROR)}，警告 {batch.count(WARNING)}，"
        f"提示 {batch.count(INFO)}"
    )
    for path in batch.outputs:
        click.echo(f"已写入：{visible(path)}")
    if batch.forms:
        folder = batch.outputs[0].parent / FORMS_DIR if batch.outputs else Path(FORMS_DIR)
        click.echo(f"已写入目标表 {len(batch.forms)} 份：{visible(folder)}")


def _print_removed(batch: Batch) -> None:
    """Say which earlier forms and PDFs the run removed from the forms folder."""
    pdfs = [name for name in batch.removed if name.lower().endswith(".pdf")]
    forms = [name for name in batch.removed if name not in pdfs]
    if forms:
        click.echo(f"已删除过期的目标表 {len(forms)} 份（项目未通过或已不在输入文件夹中）：{'、'.join(forms)}")
    if pdfs:
        click.echo(f"已删除上次生成的 PDF {len(pdfs)} 份（目标表已重新生成，旧 PDF 可能与之不符）；"
                   "需要 PDF 时请运行 perfxl run --pdf")


def require_folder(input_dir: Path) -> None:
    if not input_dir.is_dir():
        click.secho(f"输入文件夹不存在：{visible(input_dir.absolute())}\n请在 perfxl 项目文件夹中运行（那里有 input 文件夹），"
                    f"或新建该文件夹并放入填好的申报表（.xlsx），或在命令中写明申报表所在的文件夹，"
                    f"例如：perfxl run 申报表文件夹 output", fg="red", err=True)
        sys.exit(USAGE)


def _say_built_in_forms(batch: Batch, config: Config) -> None:
    """Name each layout whose forms came from perfxl's built-in Word template, not the project's."""
    from perfxl.io.form_template import BODIES

    for name in dict.fromkeys(p.layout for p in batch.passed()):
        template = config.layout(name).form_template
        if not (config.templates / template).is_file() and name in BODIES:
            _say_built_in(config.folder, template)


def _say_built_in(root: Path, name: str) -> None:
    click.secho(f"提示：没有找到 {(root / TEMPLATES_DIR / name).absolute()}，本次使用 perfxl 内置的模板 {name}",
                fg="yellow")


def _run_batch(input_dir: Path, output_dir: Path, config: Config, previous: dict | None = None,
               jobs: int | None = None, quiet: bool = False) -> Batch:
    require_folder(input_dir)
    try:
        batch = run(input_dir, output_dir, config, previous, jobs=jobs, progress=_progress(quiet))
    except OutputError as error:
        if error.batch is not None and not quiet:
            print_findings(error.batch)
        click.secho(f"输出失败：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE)
    if not quiet:
        _say_built_in_forms(batch, config)
    return batch


def exit_code(batch: Batch) -> int:
    return FOUND_ERRORS if batch.has_errors else OK


class _Commands(click_zh.ChineseGroup):
    """The commands, with every error turned into one line and an exit code here, in one place:
    a PerfxlError its own (2 unless it says otherwise), an OSError nobody expected 2 with what the system
    said, Ctrl-C 130 (the shell's for SIGINT), and anything else 3 with a report written for support."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("已中断（Ctrl-C）：本次运行未完成，请重新运行", err=True)
            sys.exit(INTERRUPTED)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except PerfxlError as error:
            click.secho(visible(error), fg="red", err=True)
            sys.exit(error.exit_code)
        except OSError as error:
            place = f"{error.filename}：" if error.filename else ""
            click.secho(f"无法读写 {visible(place)}{os_problem(error)}", fg="red", err=True)
            sys.exit(USAGE)
        except Exception:  # noqa: BLE001 - a bug: one line for the user, the details for support
            report = write_crash_report()
            click.secho(f"perfxl 内部错误，本次运行未完成。详细报告已写入 {report}：请把该文件发给技术支持", fg="red",
                        err=True)
            sys.exit(UNEXPECTED)


def write_crash_report() -> Path | str:
    """The traceback of the error being handled, in a file of the system's temporary folder."""
    import tempfile
    import traceback

    text = f"perfxl {__version__}\n{' '.join(sys.argv)}\n\n{traceback.format_exc()}"
    try:
        handle, name = tempfile.mkstemp(prefix="perfxl-错误报告-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as report:
            report.write(text)
        return name
    except OSError:
        return "（无法写入报告文件）"


def safe_console() -> None:
    """Never fail to print: a console that cannot encode a character (a GBK console on Windows, a pipe
    with a narrow encoding) shows a replacement character instead of raising UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="replace")


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perfxl")
def cli() -> None:
    """perfxl：财政项目支出绩效目标表的批量校验与汇总。"""


@cli.command("run")
@click.argument("input_dir", default="input", type=click.Path(file_okay=False, path_type=Path))
@click.argument("output_dir", default="output", type=click.Path(file_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
@click.option("--pdf", is_flag=True, help="同时为每份目标表生成 PDF（需要 LibreOffice）")
@previous_option
@jobs_option
@quiet_option
@click.option("--timings", is_flag=True, help="显示各阶段耗时")
@click.option("--examples", "or_examples", is_flag=True,
              help=f"INPUT_DIR 中没有申报表时，改为运行示例 {EXAMPLES_DIR}/（make 使用）")
def run_command(input_dir: Path, output_dir: Path, config_path: Path | None, pdf: bool,
                previous_path: Path | None, jobs: int | None, quiet: bool, timings: bool, or_examples: bool) -> None:
    """读取 INPUT_DIR 中的全部工作簿，校验并写出汇总表和每个通过项目的目标表（Word）。

    \b
    示例：perfxl run input output
          perfxl run --pdf
          perfxl run input output --previous 2019/绩效目标汇总.xlsx
    """
    config = config_or_exit(config_path)
    root = config.folder  # the project folder: beside the configuration in use
    if or_examples:
        input_dir = _input_or_examples(input_dir, output_dir, root, quiet)
    started = time.perf_counter()
    batch = _run_batch(input_dir, output_dir, config, _previous(previous_path, config), jobs, quiet)
    if not quiet:
        print_findings(batch)
        _print_summary(batch, input_dir)
        if not pdf:
            _print_removed(batch)
    if timings:
        _print_timings(batch, time.perf_counter() - started)
    if pdf:
        _write_pdfs(output_dir, batch, quiet)
    sys.exit(exit_code(batch))


def _input_or_examples(input_dir: Path, output_dir: Path, root: Path, quiet: bool) -> Path:
    """`input_dir`, or the samples when it holds no workbook (said on screen: they are not the user's)."""
    require_folder(input_dir)
    if holds_input(input_dir):
        return input_dir
    examples = root / EXAMPLES_DIR
    if not quiet:
        click.secho(f"{input_dir}/ 中没有申报表，本次运行的是示例 {EXAMPLES_DIR}/ 中的样例项目（不是本单位的），"
                    f"结果写入 {output_dir}/。把本单位填好的申报表放进 {input_dir}/ 后再运行 make，"
                    "就只处理您自己的申报表；示例不会被发送。", fg="yellow")
    return examples


def _print_timings(batch: Batch, total: float) -> None:
    stages = "，".join(f"{stage} {seconds:.2f} 秒" for stage, seconds in batch.timings.items())
    click.echo(f"耗时：{stages}；合计 {total:.2f} 秒（{len(batch.projects) / total:.0f} 个项目/秒）")


def _write_pdfs(output_dir: Path, batch: Batch, quiet: bool) -> None:
    from perfxl.io.forms import PdfUnavailable, convert_to_pdf

    forms = [output_dir / path for path in batch.forms.values()]
    if not forms:
        return
    try:
        pdfs = convert_to_pdf(forms)
    except PdfUnavailable as error:
        click.secho(f"提示：{error}", fg="yellow", err=True)
        return
    if not quiet:
        click.echo(f"已生成 PDF {len(pdfs)} 份（共 {len(forms)} 份目标表）")
    if len(pdfs) < len(forms):
        click.secho("部分目标表未能转换为 PDF：请关闭正在运行的 LibreOffice 后重试", fg="yellow", err=True)


@cli.command("check")
@click.argument("input_dir", default="input", type=click.Path(file_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
@previous_option
@jobs_option
def check_command(input_dir: Path, config_path: Path | None, previous_path: Path | None, jobs: int | None) -> None:
    """只校验 INPUT_DIR 中的工作簿，不写任何文件；有错误时退出码为 1。

    \b
    示例：perfxl check input
    """
    config = config_or_exit(config_path)
    previous = _previous(previous_path, config)
    require_folder(input_dir)
    with Workers(jobs) as workers:
        batch = validate(input_dir, config, previous, workers, _progress(quiet=False))
    print_findings(batch)
    _print_summary(batch, input_dir)
    sys.exit(exit_code(batch))


@cli.command("rules")
def rules_command() -> None:
    """列出全部校验规则（编号、级别、名称）。

    \b
    示例：perfxl rules
    """
    for spec in CATALOGUE.values():
        click.echo(f"{spec.id}\t{spec.severity}\t{spec.title}")


def _chosen_layout(config: Config, name: str | None):
    if name is not None and name not in config.layouts:
        click.secho(f"没有版式「{name}」；可用的版式：{'、'.join(config.layouts)}（perfxl layouts 列出说明）",
                    fg="red", err=True)
        sys.exit(USAGE)
    return config.layout(name)


layout_option = click.option("--layout", "layout_name", help="版式名称，例如 上海2026、上海2020（默认为现行版式；perfxl layouts 列出全部）")
force_option = click.option("--force", is_flag=True, help="文件已存在时覆盖（默认不覆盖）")


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        click.secho(f"{path.absolute()} 已存在，未覆盖：如确要覆盖，请加 --force；"
                    "或写出到另一个文件名", fg="red", err=True)
        sys.exit(USAGE)


@cli.command("layouts")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
def layouts_command(config_path: Path | None) -> None:
    """列出可用的版式（每个一行：名称、适用年度、说明）。

    \b
    示例：perfxl layouts
    """
    config = config_or_exit(config_path)
    for layout in config.layouts.values():
        mark = "（默认）" if layout.name == config.default_layout else ""
        click.echo(f"{layout.name}{mark}\t{layout.years[0]}–{layout.years[1]} 年\t{layout.title}：{layout.description}")


@cli.command("template")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@layout_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
@force_option
def template_command(path: Path | None, layout_name: str | None, config_path: Path | None, force: bool) -> None:
    """写出空白的标准申报工作簿（默认为现行版式，下拉列表取自版式和配置）；已有的文件只在加 --force 时覆盖。

    \b
    示例：perfxl template 新项目.xlsx
          perfxl template --layout 上海2020 旧版项目.xlsx
    """
    config = config_or_exit(config_path)
    layout = _chosen_layout(config, layout_name)
    path = path or config.templates / layout.workbook_template
    _refuse_overwrite(path, force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        from perfxl.target.template import write_template

        write_template(path, layout)
    except OSError as error:
        click.secho(f"无法写入 {visible(path)}：{error.strerror}", fg="red", err=True)
        sys.exit(USAGE)
    click.echo(f"已写入（{layout.name}）：{visible(path)}")


@cli.command("form-template")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@layout_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
@force_option
def form_template_command(path: Path | None, layout_name: str | None, config_path: Path | None, force: bool) -> None:
    """写出目标表的 Word 模板（版式、字体、样式）；可在 Word 中修改样式，生成的目标表随之改变。
    已有的文件只在加 --force 时覆盖。

    \b
    示例：perfxl form-template
          perfxl form-template --layout 上海2020 templates/目标表.docx
    """
    from perfxl.io.form_template import BODIES, write_form_template

    config = config_or_exit(config_path)
    layout = _chosen_layout(config, layout_name)
    if layout.name not in BODIES:
        click.secho(f"版式「{layout.name}」的 Word 模板由版式自带（{layout.form_template}），perfxl 不能重新写出",
                    fg="red", err=True)
        sys.exit(USAGE)
    path = path or config.templates / layout.form_template
    _refuse_overwrite(path, force)
    try:
        write_form_template(path, layout)
    except OSError as error:
        click.secho(f"无法写入 {visible(path)}：{error.strerror}", fg="red", err=True)
        sys.exit(USAGE)
    click.echo(f"已写入（{layout.name}）：{visible(path)}")


@cli.command("mail")
@click.argument("input_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.argument("output_dir", default="output", type=click.Path(file_okay=False, path_type=Path))
@click.option("--what", default=FORMS_DIR, show_default=True, type=click.Choice([FORMS_DIR, SELFEVAL_FORMS_DIR]),
              help="发送什么：申报的目标表（INPUT 默认 input），或年终的自评表（INPUT 默认 自评）")
@click.option("--send", "do_send", is_flag=True, help="通过 SMTP 发送（默认只写出 .eml 草稿）")
@click.option("--resend", is_flag=True, help="连已发送成功的邮件也重新发送")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
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
        click.secho(f"邮件：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE)
    _refuse_examples(input_dir, root)

    template = resolve_template(kind.template, root)
    if is_built_in(template):
        _say_built_in(root, kind.template)
    try:
        with locked(output_dir):  # around the run and the mail: no other run replaces the forms between
            batch = _run_for_mail(kind.what, input_dir, output_dir, config)
            outcome = mail_batch(batch, output_dir, config, template, do_send, resend, kind)
    except OutputError as error:
        click.secho(f"输出失败：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE)
    except MailError as error:
        if not isinstance(error, MailSettingsError):
            _print_left_out(left_out(batch, config, kind))
        click.secho(f"邮件：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE if isinstance(error, MailSettingsError) else FOUND_ERRORS)
    _print_messages(outcome)
    if do_send:
        click.echo(f"已发送 {outcome.sent} 封；此前已发送、本次跳过 {outcome.skipped} 封（--resend 可重发）")
    for problem in outcome.problems:
        click.secho(f"未发送：{visible(problem)}", fg="red", err=True)
    sys.exit(FOUND_ERRORS if outcome.problems or batch.has_errors else OK)


def _run_for_mail(what: str, input_dir: Path, output_dir: Path, config: Config) -> Batch:
    """The batch whose forms are mailed, run now and printed as `run` (or `selfeval run`) prints it."""
    if what == FORMS_DIR:
        batch = _run_batch(input_dir, output_dir, config)
        print_findings(batch)
        _print_summary(batch, input_dir)
        _print_removed(batch)
        return batch
    from perfxl.selfeval.batch import run as run_selfeval

    batch = run_selfeval(input_dir, output_dir, config)
    print_findings(batch)
    click.echo(f"文件 {len(batch.ledger)} 个，项目 {len(batch.projects)} 个，通过 {len(batch.passed())} 个；"
               f"错误 {batch.count(ERROR)}，警告 {batch.count(WARNING)}")
    return batch


def _refuse_examples(input_dir: Path, root: Path) -> None:
    """Mail only the user's own workbooks: never the samples, never an empty input folder."""
    require_folder(input_dir)
    if is_examples(input_dir, root):
        click.secho(f"{input_dir}/ 是示例文件夹：示例的目标表不会写成邮件或发送。"
                    "请把本单位的申报表放进 input/，再运行 make mail", fg="red", err=True)
        sys.exit(USAGE)
    if not holds_input(input_dir):
        click.secho(f"{input_dir.absolute()} 中没有申报表，没有可发送的目标表：请把本单位填好的申报表（.xlsx）"
                    "放进这个文件夹，运行 make 检查无误后，再运行 make mail", fg="red", err=True)
        sys.exit(FOUND_ERRORS)


def _print_messages(outcome) -> None:
    """Per message: its draft, the projects attached, and the unit's projects not attached and why."""
    click.echo(f"邮件草稿 {len(outcome.drafts)} 封：{outcome.drafts[0].parent}")
    for path, draft in zip(outcome.drafts, outcome.messages, strict=True):
        click.echo(click.style(f"邮件「{draft.subject}」：{path}", bold=True))
        forms = draft.forms
        click.echo(f"  附上{outcome.kind.what} {len(forms)} 份：{'、'.join(forms)}")
        for item in draft.left_out:
            click.secho(f"  未附上：{item.name}（{item.reason}）", fg="red")
    in_drafts = {item for draft in outcome.messages for item in draft.left_out}
    _print_left_out([item for item in outcome.left_out if item not in in_drafts])


def _print_left_out(items: list) -> None:
    for item in items:
        unit = f"{item.unit}{item.year or ''}年度" if item.unit else "单位不明"
        click.secho(f"未附在任何邮件中：{item.name}（{unit}；{item.reason}）", fg="red")


def prepare_out(found: list[Path], what: str, out_dir: Path) -> None:
    """Exit 2 when nothing was found or the output folder cannot be made."""
    if not found:
        click.secho(f"没有找到{what}", fg="red", err=True)
        sys.exit(USAGE)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        click.secho(f"无法创建输出文件夹 {visible(out_dir)}：{error.strerror}", fg="red", err=True)
        sys.exit(USAGE)


# import, migrate and selfeval: the commands for the rest of the year, registered on `cli`
from perfxl.cli import year as cli_year  # noqa: E402, F401


def main() -> None:
    """The `perfxl` command. Once a command has finished and its output is flushed, the process ends
    without tearing down the interpreter: freeing a large batch object by object took 0.3 s of a 1,000-
    project run, and there is nothing left to clean up (workers joined, files closed, lock released)."""
    safe_console()
    try:
        cli()
    except SystemExit as done:
        code = done.code
        if not isinstance(code, int | None):  # sys.exit("text"): print it, as Python would
            print(code, file=sys.stderr)
            code = 1
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # the reader of a pipe went away: nothing more can be said
            code = code or 1
        os._exit(code or 0)
