"""The command line: the only module that knows about click, exit codes and the terminal."""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import click

from . import __version__
from .catalogue import CATALOGUE
from .config import Config, ConfigError, load_config
from .form_template import FORM_TEMPLATE, write_form_template
from .forms import FORMS_DIR, PdfUnavailable, convert_to_pdf
from .model import ERROR, FAILED, INFO, WARNING
from .parallel import Workers
from .pipeline import Batch, OutputError, run, validate

# Commands other than run/check import what they need inside: `perfxl run` starts its workers sooner
# without openpyxl's and the importer's imports.
OK, FOUND_ERRORS, USAGE = 0, 1, 2
DEFAULT_TEMPLATE = Path("templates/绩效目标申报表.xlsx")


def _config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        click.secho(f"配置错误：{error}", fg="red", err=True)
        sys.exit(USAGE)


def _previous(path: Path | None) -> dict | None:
    if path is None:
        return None
    from .previous import PreviousError, read_previous

    try:
        return read_previous(path)
    except PreviousError as error:
        click.secho(f"错误：{error}", fg="red", err=True)
        sys.exit(USAGE)


jobs_option = click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
                           help="并行进程数（默认等于 CPU 核数）")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="不显示进度条、问题列表和汇总，只以退出码表示结果")


def _progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


previous_option = click.option("--previous", "previous_path", type=click.Path(dir_okay=False, path_type=Path),
                               help="上年的汇总表（绩效目标汇总.xlsx），用于核对同名项目上年预算额（X03）")


def _print_findings(batch: Batch) -> None:
    for file, group in itertools.groupby(batch.findings, key=lambda f: f.file):
        click.echo(click.style(file or "（批次）", bold=True))
        for f in group:
            colour = {ERROR: "red", WARNING: "yellow"}.get(f.severity)
            place = f"{f.sheet}!{f.cell}" if f.cell else f.sheet or "—"
            click.echo(f"  {click.style(f.severity, fg=colour)} {f.rule} {place}  {f.message}  → {f.hint}")


def _print_summary(batch: Batch, input_dir: Path) -> None:
    if not batch.ledger:
        click.secho(f"{input_dir} 中没有文件：请把填好的申报表（.xlsx）放进这个文件夹后再运行", fg="yellow")
    failed_files = sum(1 for e in batch.ledger if e.status == FAILED)
    click.echo(
        f"文件 {len(batch.ledger)} 个（失败 {failed_files}），项目 {len(batch.projects)} 个，"
        f"通过 {len(batch.passed())} 个；错误 {batch.count(ERROR)}，警告 {batch.count(WARNING)}，"
        f"提示 {batch.count(INFO)}"
    )
    for path in batch.outputs:
        click.echo(f"已写入：{path}")
    if batch.forms:
        folder = batch.outputs[0].parent / FORMS_DIR if batch.outputs else Path(FORMS_DIR)
        click.echo(f"已写入目标表 {len(batch.forms)} 份：{folder}")


def _require_folder(input_dir: Path) -> None:
    if not input_dir.is_dir():
        click.secho(f"输入文件夹不存在：{input_dir}", fg="red", err=True)
        sys.exit(USAGE)


def _run_batch(input_dir: Path, output_dir: Path, config: Config, previous: dict | None = None,
               jobs: int | None = None, quiet: bool = False) -> Batch:
    _require_folder(input_dir)
    try:
        return run(input_dir, output_dir, config, previous, jobs=jobs, progress=_progress(quiet))
    except OutputError as error:
        if error.batch is not None and not quiet:
            _print_findings(error.batch)
        click.secho(f"输出失败：{error}", fg="red", err=True)
        sys.exit(USAGE)


def _exit_code(batch: Batch) -> int:
    return FOUND_ERRORS if batch.has_errors else OK


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
def run_command(input_dir: Path, output_dir: Path, config_path: Path | None, pdf: bool,
                previous_path: Path | None, jobs: int | None, quiet: bool, timings: bool) -> None:
    """读取 INPUT_DIR 中的全部工作簿，校验并写出汇总表和每个通过项目的目标表（Word）。

    \b
    示例：perfxl run input output
          perfxl run --pdf
          perfxl run input output --previous 2019/绩效目标汇总.xlsx
    """
    config = _config(config_path)
    started = time.perf_counter()
    batch = _run_batch(input_dir, output_dir, config, _previous(previous_path), jobs, quiet)
    if not quiet:
        _print_findings(batch)
        _print_summary(batch, input_dir)
    if timings:
        _print_timings(batch, time.perf_counter() - started)
    if pdf:
        _write_pdfs(output_dir, batch)
    sys.exit(_exit_code(batch))


def _print_timings(batch: Batch, total: float) -> None:
    stages = "，".join(f"{stage} {seconds:.2f} 秒" for stage, seconds in batch.timings.items())
    click.echo(f"耗时：{stages}；合计 {total:.2f} 秒（{len(batch.projects) / total:.0f} 个项目/秒）")


def _write_pdfs(output_dir: Path, batch: Batch) -> None:
    forms = [output_dir / path for path in batch.forms.values()]
    if not forms:
        return
    try:
        pdfs = convert_to_pdf(forms)
    except PdfUnavailable as error:
        click.secho(f"提示：{error}", fg="yellow", err=True)
        return
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
    config = _config(config_path)
    previous = _previous(previous_path)
    _require_folder(input_dir)
    with Workers(jobs) as workers:
        batch = validate(input_dir, config, previous, workers, _progress(quiet=False))
    _print_findings(batch)
    _print_summary(batch, input_dir)
    sys.exit(_exit_code(batch))


@cli.command("rules")
def rules_command() -> None:
    """列出全部校验规则（编号、级别、名称）。

    \b
    示例：perfxl rules
    """
    for spec in CATALOGUE.values():
        click.echo(f"{spec.id}\t{spec.severity}\t{spec.title}")


@cli.command("template")
@click.argument("path", default=str(DEFAULT_TEMPLATE), type=click.Path(dir_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
def template_command(path: Path, config_path: Path | None) -> None:
    """写出空白的标准申报工作簿（下拉列表取自配置）。

    \b
    示例：perfxl template 绩效目标申报表.xlsx
    """
    config = _config(config_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        from .template import write_template

        write_template(path, config)
    except OSError as error:
        click.secho(f"无法写入 {path}：{error.strerror}", fg="red", err=True)
        sys.exit(USAGE)
    click.echo(f"已写入：{path}")


@cli.command("form-template")
@click.argument("path", default=str(FORM_TEMPLATE), type=click.Path(dir_okay=False, path_type=Path))
def form_template_command(path: Path) -> None:
    """写出目标表的 Word 模板（版式、字体、样式）；可在 Word 中修改样式，生成的目标表随之改变。

    \b
    示例：perfxl form-template templates/目标表.docx
    """
    try:
        write_form_template(path)
    except OSError as error:
        click.secho(f"无法写入 {path}：{error.strerror}", fg="red", err=True)
        sys.exit(USAGE)
    click.echo(f"已写入：{path}")


@cli.command("mail")
@click.argument("input_dir", default="input", type=click.Path(file_okay=False, path_type=Path))
@click.argument("output_dir", default="output", type=click.Path(file_okay=False, path_type=Path))
@click.option("--send", "do_send", is_flag=True, help="通过 SMTP 发送（默认只写出 .eml 草稿）")
@click.option("--resend", is_flag=True, help="连已发送成功的邮件也重新发送")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
def mail_command(input_dir: Path, output_dir: Path, do_send: bool, resend: bool, config_path: Path | None) -> None:
    """先运行校验和生成，再把通过的目标表写成邮件草稿（output/邮件/*.eml），或用 --send 发送。

    \b
    示例：perfxl mail            写出草稿，用邮件客户端打开检查后发送
          perfxl mail --send     按 perfxl.toml 的 [mail] 设置直接发送
    """
    config = _config(config_path)
    batch = _run_batch(input_dir, output_dir, config)
    _print_summary(batch, input_dir)
    from .mail import MailError, mail_batch

    try:
        outcome = mail_batch(batch, output_dir, config.mail, Path("templates"), do_send, resend)
    except MailError as error:
        click.secho(f"邮件：{error}", fg="red", err=True)
        sys.exit(FOUND_ERRORS)
    click.echo(f"邮件草稿 {len(outcome.drafts)} 封：{outcome.drafts[0].parent}")
    if do_send:
        click.echo(f"已发送 {outcome.sent} 封；此前已发送、本次跳过 {outcome.skipped} 封（--resend 可重发）")
    for problem in outcome.problems:
        click.secho(f"未发送：{problem}", fg="red", err=True)
    sys.exit(FOUND_ERRORS if outcome.problems else OK)


@cli.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", default="input", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="工作簿写入的文件夹")
@click.option("--year", type=click.IntRange(1990, 2100), help="滚动到新年度：年度和计划日期顺延，当年预算转为上年预算额")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
def import_command(sources: tuple[Path, ...], out_dir: Path, year: int | None, config_path: Path | None) -> None:
    """把已有的 Word 目标表（.docx，或含 .docx 的文件夹）转成标准申报工作簿。

    \b
    示例：perfxl import 旧目标表/ --out input --year 2021
    """
    config = _config(config_path)
    from .importer import find_documents, import_document, summary_lines

    documents = find_documents(sources)
    if not documents:
        click.secho("没有找到 Word 文档（.docx）", fg="red", err=True)
        sys.exit(USAGE)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        click.secho(f"无法创建输出文件夹 {out_dir}：{error.strerror}", fg="red", err=True)
        sys.exit(USAGE)
    results = [import_document(path, out_dir, config, year) for path in documents]
    for result in results:
        click.secho("\n".join(summary_lines(result)), fg="red" if result.failure else None)
    failed = sum(1 for r in results if r.failure)
    written = sum(1 for r in results for form in r.forms if form.output)
    click.echo(f"Word 文档 {len(results)} 个（失败 {failed}），写出工作簿 {written} 个")
    sys.exit(FOUND_ERRORS if failed else OK)


@cli.group("selfeval")
def selfeval_group() -> None:
    """年终绩效自评：由申报的目标生成自评表，读取填好的自评表并评分。"""


@selfeval_group.command("prepare")
@click.argument("input_dir", default="input", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="自评", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="自评工作簿写入的文件夹")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
def selfeval_prepare_command(input_dir: Path, out_dir: Path, config_path: Path | None) -> None:
    """为 INPUT_DIR 中每个通过校验的项目生成一个自评工作簿（已存在的不覆盖）。

    \b
    示例：perfxl selfeval prepare input --out 自评
    """
    config = _config(config_path)
    _require_folder(input_dir)
    from .selfeval_batch import prepare

    try:
        outcome = prepare(input_dir, out_dir, config)
    except OSError as error:
        click.secho(f"无法写入 {out_dir}：{error.strerror or error}", fg="red", err=True)
        sys.exit(USAGE)
    for file in sorted(outcome.batch.failed_files()):
        click.secho(f"未生成：{file} 有错误，请先用 perfxl check 修改后再生成自评表", fg="yellow")
    for path in outcome.kept:
        click.echo(f"已存在，未覆盖：{path}")
    click.echo(f"项目 {len(outcome.batch.projects)} 个，通过 {len(outcome.batch.passed())} 个；"
               f"写出自评工作簿 {len(outcome.written)} 个，已存在 {len(outcome.kept)} 个：{out_dir}")
    sys.exit(_exit_code(outcome.batch))


@selfeval_group.command("run")
@click.argument("folder", default="自评", type=click.Path(file_okay=False, path_type=Path))
@click.argument("output_dir", default="output", type=click.Path(file_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
def selfeval_run_command(folder: Path, output_dir: Path, config_path: Path | None) -> None:
    """读取 FOLDER 中填好的自评工作簿，校验、评分，写出 自评汇总.xlsx 和每个通过项目的自评表（Word）。

    \b
    示例：perfxl selfeval run 自评 output
    """
    config = _config(config_path)
    _require_folder(folder)
    from .selfeval_batch import SELFEVAL_FORMS_DIR, run

    try:
        batch = run(folder, output_dir, config)
    except OutputError as error:
        if error.batch is not None:
            _print_findings(error.batch)
        click.secho(f"输出失败：{error}", fg="red", err=True)
        sys.exit(USAGE)
    _print_findings(batch)
    for evaluation in batch.projects:
        click.echo(f"{evaluation.project_name}：总分 {batch.scores[evaluation.file].total:.2f}，"
                   f"等级 {batch.grade(evaluation.file, config)}")
    click.echo(f"文件 {len(batch.ledger)} 个，项目 {len(batch.projects)} 个，通过 {len(batch.passed())} 个；"
               f"错误 {batch.count(ERROR)}，警告 {batch.count(WARNING)}")
    click.echo(f"已写入：{batch.outputs[0]}；自评表 {len(batch.forms)} 份：{output_dir / SELFEVAL_FORMS_DIR}")
    sys.exit(_exit_code(batch))


def main() -> None:
    cli()
