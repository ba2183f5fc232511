"""What the commands share: exit codes, options, loading the configuration, printing a batch."""

from __future__ import annotations

import functools
import itertools
import sys
from collections import Counter
from pathlib import Path

import click

from perfxl.cli import click_zh
from perfxl.core.config import Config, ConfigError, load_config
from perfxl.core.model import ERROR, FAILED, FORMS_DIR, INFO, SKIPPED, WARNING
from perfxl.core.paths import TEMPLATES_DIR
from perfxl.core.values import visible
from perfxl.target.pipeline import Batch, OutputError, run

click_zh.install()  # before the decorators of the command modules: some take their help texts from click

# Commands other than run/check import what they need inside: `perfxl run` starts its workers sooner
# without openpyxl's and the importer's imports.
OK, FOUND_ERRORS, USAGE, UNEXPECTED, INTERRUPTED = 0, 1, 2, 3, 130


command = functools.partial(click.command, cls=click_zh.ChineseCommand)
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                              help="配置文件（默认 ./perfxl.toml）")


def config_or_exit(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        click.secho(f"配置错误：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE)


def previous_summary(path: Path | None, config: Config) -> dict | None:
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


def show_progress(quiet: bool) -> bool:
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


def file_counts(batch: Batch) -> str:
    """`文件 N 个（失败 F，跳过 S：reason n 个、…）`: every file the ledger holds, skipped ones by reason."""
    failed = sum(1 for e in batch.ledger if e.status == FAILED)
    skipped = Counter(e.message.removesuffix("，已跳过") for e in batch.ledger if e.status == SKIPPED)
    reasons = "、".join(f"{reason} {count} 个" for reason, count in skipped.items())
    detail = f"，跳过 {skipped.total()}：{reasons}" if skipped else ""
    return f"文件 {len(batch.ledger)} 个（失败 {failed}{detail}）"


def print_summary(batch: Batch, input_dir: Path) -> None:
    if not batch.ledger:
        click.secho(f"{visible(input_dir)} 中没有文件：请把填好的申报表（.xlsx）放进这个文件夹后再运行", fg="yellow")
    failed_files = {e.file for e in batch.ledger if e.status == FAILED}
    read = sum(1 for p in batch.projects if p.file not in failed_files)
    click.echo(
        f"{file_counts(batch)}，项目 {read} 个，"
        f"通过 {len(batch.passed())} 个；错误 {batch.count(ERROR)}，警告 {batch.count(WARNING)}，"
        f"提示 {batch.count(INFO)}"
    )
    for path in batch.outputs:
        click.echo(f"已写入：{visible(path)}")
    if batch.forms:
        folder = batch.outputs[0].parent / FORMS_DIR if batch.outputs else Path(FORMS_DIR)
        click.echo(f"已写入目标表 {len(batch.forms)} 份：{visible(folder)}")


def print_removed(batch: Batch) -> None:
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


def say_built_in_forms(batch: Batch, config: Config) -> None:
    """Name each layout whose forms came from perfxl's built-in Word template, not the project's."""
    from perfxl.io.form_template import BODIES

    for name in dict.fromkeys(p.layout for p in batch.passed()):
        template = config.layout(name).form_template
        if not (config.templates / template).is_file() and name in BODIES:
            say_built_in(config.folder, template)


def say_built_in(root: Path, name: str) -> None:
    click.secho(f"提示：没有找到 {(root / TEMPLATES_DIR / name).absolute()}，本次使用 perfxl 内置的模板 {name}",
                fg="yellow")


def run_batch(input_dir: Path, output_dir: Path, config: Config, previous: dict | None = None,
               jobs: int | None = None, quiet: bool = False) -> Batch:
    require_folder(input_dir)
    try:
        batch = run(input_dir, output_dir, config, previous, jobs=jobs, progress=show_progress(quiet))
    except OutputError as error:
        if error.batch is not None and not quiet:
            print_findings(error.batch)
        click.secho(f"输出失败：{visible(error)}", fg="red", err=True)
        sys.exit(USAGE)
    if not quiet:
        say_built_in_forms(batch, config)
    return batch


def exit_code(batch: Batch) -> int:
    return FOUND_ERRORS if batch.has_errors else OK


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
