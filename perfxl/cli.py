"""The command line: the only module that knows about click, exit codes and the terminal."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import click

from . import __version__
from .catalogue import CATALOGUE
from .config import Config, ConfigError, load_config
from .model import ERROR, INFO, WARNING
from .pipeline import Batch, OutputError, run, validate
from .template import write_template

OK, FOUND_ERRORS, USAGE = 0, 1, 2
DEFAULT_TEMPLATE = Path("templates/绩效目标申报表.xlsx")


def _config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as error:
        click.secho(f"配置错误：{error}", fg="red", err=True)
        sys.exit(USAGE)


def _print_findings(batch: Batch) -> None:
    for file, group in itertools.groupby(batch.findings, key=lambda f: f.file):
        click.echo(click.style(file or "（批次）", bold=True))
        for f in group:
            colour = {ERROR: "red", WARNING: "yellow"}.get(f.severity)
            place = f"{f.sheet}!{f.cell}" if f.cell else f.sheet or "—"
            click.echo(f"  {click.style(f.severity, fg=colour)} {f.rule} {place}  {f.message}  → {f.hint}")


def _print_summary(batch: Batch) -> None:
    failed_files = sum(1 for e in batch.ledger if e.status == "失败")
    click.echo(
        f"文件 {len(batch.ledger)} 个（失败 {failed_files}），项目 {len(batch.projects)} 个，"
        f"通过 {len(batch.passed())} 个；错误 {batch.count(ERROR)}，警告 {batch.count(WARNING)}，"
        f"提示 {batch.count(INFO)}"
    )
    for path in batch.outputs:
        click.echo(f"已写入：{path}")


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
def run_command(input_dir: Path, output_dir: Path, config_path: Path | None) -> None:
    """读取 INPUT_DIR 中的全部工作簿，校验并写出汇总表。

    \b
    示例：perfxl run input output
    """
    config = _config(config_path)
    if not input_dir.is_dir():
        click.secho(f"输入文件夹不存在：{input_dir}", fg="red", err=True)
        sys.exit(USAGE)
    try:
        batch = run(input_dir, output_dir, config)
    except OutputError as error:
        if error.batch is not None:
            _print_findings(error.batch)
        click.secho(f"输出失败：{error}", fg="red", err=True)
        sys.exit(USAGE)
    _print_findings(batch)
    _print_summary(batch)
    sys.exit(_exit_code(batch))


@cli.command("check")
@click.argument("input_dir", default="input", type=click.Path(file_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="配置文件（默认 ./perfxl.toml）")
def check_command(input_dir: Path, config_path: Path | None) -> None:
    """只校验 INPUT_DIR 中的工作簿，不写任何文件；有错误时退出码为 1。

    \b
    示例：perfxl check input
    """
    config = _config(config_path)
    if not input_dir.is_dir():
        click.secho(f"输入文件夹不存在：{input_dir}", fg="red", err=True)
        sys.exit(USAGE)
    batch = validate(input_dir, config)
    _print_findings(batch)
    _print_summary(batch)
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
        write_template(path, config)
    except OSError as error:
        click.secho(f"无法写入 {path}：{error.strerror}", fg="red", err=True)
        sys.exit(USAGE)
    click.echo(f"已写入：{path}")


def main() -> None:
    cli()
