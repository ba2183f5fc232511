"""The commands of the target tables: run, check, rules, layouts, template, form-template."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from perfxl.cli.common import (
    USAGE,
    command,
    config_option,
    config_or_exit,
    exit_code,
    jobs_option,
    previous_option,
    previous_summary,
    print_findings,
    print_removed,
    print_summary,
    quiet_option,
    require_folder,
    run_batch,
    say,
    show_progress,
)
from perfxl.core.catalogue import CATALOGUE
from perfxl.core.config import Config
from perfxl.core.paths import EXAMPLES_DIR
from perfxl.core.values import visible
from perfxl.io.files import holds_input
from perfxl.io.parallel import Workers
from perfxl.target.pipeline import Batch, validate


@command("run")
@click.argument("input_dir", default="input", type=click.Path(file_okay=False, path_type=Path))
@click.argument("output_dir", default="output", type=click.Path(file_okay=False, path_type=Path))
@config_option
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
    batch = run_batch(input_dir, output_dir, config, previous_summary(previous_path, config), jobs, quiet)
    if not quiet:
        print_findings(batch)
        print_summary(batch, input_dir)
        if not pdf:
            print_removed(batch)
    if timings:
        _print_timings(batch, time.perf_counter() - started)
    if pdf:
        _write_pdfs(output_dir, batch, config.pdf["soffice"], quiet)
    sys.exit(exit_code(batch))


def _input_or_examples(input_dir: Path, output_dir: Path, root: Path, quiet: bool) -> Path:
    """`input_dir`, or the samples when it holds no workbook (said on screen: they are not the user's)."""
    require_folder(input_dir)
    if holds_input(input_dir):
        return input_dir
    examples = root / EXAMPLES_DIR
    if not quiet:
        say(f"{input_dir}/ 中没有申报表，本次运行的是示例 {EXAMPLES_DIR}/ 中的样例项目（不是本单位的），"
                    f"结果写入 {output_dir}/。把本单位填好的申报表放进 {input_dir}/ 后再运行 make，"
                    "就只处理您自己的申报表；示例不会被发送。", fg="yellow")
    return examples


def _print_timings(batch: Batch, total: float) -> None:
    stages = "，".join(f"{stage} {seconds:.2f} 秒" for stage, seconds in batch.timings.items())
    say(f"耗时：{stages}；合计 {total:.2f} 秒（{len(batch.projects) / total:.0f} 个项目/秒）")


def _write_pdfs(output_dir: Path, batch: Batch, setting: str, quiet: bool) -> None:
    from perfxl.io.forms import PdfUnavailable, convert_to_pdf

    forms = [output_dir / path for path in batch.forms.values()]
    if not forms:
        return
    try:
        pdfs = convert_to_pdf(forms, setting)
    except PdfUnavailable as error:
        say(f"提示：{error}", fg="yellow", err=True)
        return
    if not quiet:
        say(f"已生成 PDF {len(pdfs)} 份（共 {len(forms)} 份目标表）")
    if len(pdfs) < len(forms):
        say("部分目标表未能转换为 PDF：请关闭正在运行的 LibreOffice 后重试", fg="yellow", err=True)


@command("check")
@click.argument("input_dir", default="input", type=click.Path(file_okay=False, path_type=Path))
@config_option
@previous_option
@jobs_option
def check_command(input_dir: Path, config_path: Path | None, previous_path: Path | None, jobs: int | None) -> None:
    """只校验 INPUT_DIR 中的工作簿，不写任何文件；有错误时退出码为 1。

    \b
    示例：perfxl check input
    """
    config = config_or_exit(config_path)
    previous = previous_summary(previous_path, config)
    require_folder(input_dir)
    with Workers(jobs) as workers:
        batch = validate(input_dir, config, previous, workers, show_progress(quiet=False))
    print_findings(batch)
    print_summary(batch, input_dir)
    sys.exit(exit_code(batch))


@command("rules")
def rules_command() -> None:
    """列出全部校验规则（编号、级别、名称）。

    \b
    示例：perfxl rules
    """
    for spec in CATALOGUE.values():
        say(f"{spec.id}\t{spec.severity}\t{spec.title}")


def _chosen_layout(config: Config, name: str | None):
    if name is not None and name not in config.layouts:
        say(f"没有版式「{name}」；可用的版式：{'、'.join(config.layouts)}（perfxl layouts 列出说明）",
                    fg="red", err=True)
        sys.exit(USAGE)
    return config.layout(name)


layout_option = click.option("--layout", "layout_name", help="版式名称，例如 上海2026、上海2020（默认为现行版式；perfxl layouts 列出全部）")
force_option = click.option("--force", is_flag=True, help="文件已存在时覆盖（默认不覆盖）")


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        say(f"{path.absolute()} 已存在，未覆盖：如确要覆盖，请加 --force；"
                    "或写出到另一个文件名", fg="red", err=True)
        sys.exit(USAGE)


@command("layouts")
@config_option
def layouts_command(config_path: Path | None) -> None:
    """列出可用的版式（每个一行：名称、适用年度、说明）。

    \b
    示例：perfxl layouts
    """
    config = config_or_exit(config_path)
    for layout in config.layouts.values():
        mark = "（默认）" if layout.name == config.default_layout else ""
        say(f"{layout.name}{mark}\t{layout.years[0]}–{layout.years[1]} 年\t{layout.title}：{layout.description}")


@command("template")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@layout_option
@config_option
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
        say(f"无法写入 {visible(path)}：{error.strerror}", fg="red", err=True)
        sys.exit(USAGE)
    say(f"已写入（{layout.name}）：{visible(path)}")


@command("form-template")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@layout_option
@config_option
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
    if layout.body not in BODIES:
        say(f"版式「{layout.name}」的 Word 模板由版式自带（{layout.form_template}），perfxl 不能重新写出",
                    fg="red", err=True)
        sys.exit(USAGE)
    path = path or config.templates / layout.form_template
    _refuse_overwrite(path, force)
    try:
        write_form_template(path, layout)
    except OSError as error:
        say(f"无法写入 {visible(path)}：{error.strerror}", fg="red", err=True)
        sys.exit(USAGE)
    say(f"已写入（{layout.name}）：{visible(path)}")


COMMANDS = (run_command, check_command, rules_command, layouts_command, template_command, form_template_command)
