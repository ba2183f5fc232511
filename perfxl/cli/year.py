"""The commands for the rest of the year: import last year's Word forms, migrate 2020 workbooks to the
current layout, and the year-end self-evaluation (prepare, run)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from perfxl.cli import click_zh
from perfxl.cli.common import (
    FOUND_ERRORS,
    OK,
    USAGE,
    command,
    config_option,
    config_or_exit,
    exit_code,
    jobs_option,
    prepare_out,
    print_findings,
    require_folder,
    say,
)
from perfxl.core.config import ConfigError
from perfxl.core.model import ERROR, SELFEVAL_FORMS_DIR, WARNING
from perfxl.core.values import visible
from perfxl.target.pipeline import OutputError


@command("import")
@click.argument("sources", nargs=-1, required=True, metavar="WORD文件或文件夹...",
                type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", default="input", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="工作簿写入的文件夹")
@click.option("--year", type=click.IntRange(1990, 2100), help="滚动到新年度：年度和计划日期顺延，当年预算转为上年预算额")
@click.option("--replace", is_flag=True, help="文件夹中已有同一项目且内容不同时，用导入的内容替换（默认不写入）")
@config_option
def import_command(sources: tuple[Path, ...], out_dir: Path, year: int | None, replace: bool,
                   config_path: Path | None) -> None:
    """把已有的 Word 目标表（.docx，或含 .docx 的文件夹）转成标准申报工作簿。

    \b
    示例：perfxl import 旧目标表/ --out input --year 2021
    """
    config = config_or_exit(config_path)
    from perfxl.convert.importer import find_documents, import_documents, summary_lines

    documents = find_documents(sources)
    prepare_out(documents, "任何 Word 文档（.docx）", out_dir)
    results = import_documents(documents, out_dir, config, year, replace=replace)
    for result in results:
        red = bool(result.failure) or any(form.refused for form in result.forms)
        say("\n".join(map(visible, summary_lines(result))), fg="red" if red else None)
    failed = sum(1 for r in results if r.failure)
    written = sum(1 for r in results for form in r.forms if form.output)
    kept = sum(1 for r in results for form in r.forms if form.kept)
    refused = sum(1 for r in results for form in r.forms if form.refused)
    say(f"Word 文档 {len(results)} 个（失败 {failed}），写出工作簿 {written} 个"
               + (f"，内容相同已跳过 {kept} 个" if kept else "") + (f"，已有且内容不同未写入 {refused} 个" if refused else ""))
    sys.exit(FOUND_ERRORS if failed or refused else OK)



@command("migrate")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="新版式工作簿写入的文件夹")
@click.option("--year", type=click.IntRange(1990, 2100), help="同时滚动到新年度：年度和计划日期顺延，年度资金留空待填")
@click.option("--department", help="主管部门（2020 版没有这一项；不给时留空待填）")
@click.option("--replace", is_flag=True, help="文件夹中已有同一项目且内容不同时，用迁移的内容替换（默认不写入）")
@config_option
def migrate_command(sources: tuple[Path, ...], out_dir: Path, year: int | None, department: str | None,
                    replace: bool, config_path: Path | None) -> None:
    """把旧版式（上海2020、上海2023）的申报工作簿或 Word 目标表转成现行版式（上海2026）的工作簿。

    \b
    示例：perfxl migrate 2020年/ --out input --year 2027 --department 上海市科学技术委员会
    """
    config = config_or_exit(config_path)
    from perfxl.convert.migrate import find_sources, migrate_files, summary_lines

    files = find_sources(sources)
    prepare_out(files, "任何工作簿（.xlsx）或 Word 文档（.docx）", out_dir)
    try:
        results = migrate_files(files, out_dir, config, year, {"department": department}, replace=replace)
    except ConfigError as error:
        say(f"配置错误：{error}", fg="red", err=True)
        sys.exit(USAGE)
    for result in results:
        red = bool(result.failure) or any(done.form.refused for done in result.projects)
        say("\n".join(map(visible, summary_lines(result))), fg="red" if red else None)
    failed = sum(1 for r in results if r.failure)
    refused = sum(1 for r in results for done in r.projects if done.form.refused)
    written = sum(1 for r in results for done in r.projects if done.form.output)
    say(f"文件 {len(results)} 个（失败 {failed}），写出新版式工作簿 {written} 个"
               + (f"，已有且内容不同未写入 {refused} 个" if refused else ""))
    sys.exit(FOUND_ERRORS if failed or refused else OK)


@click.group("selfeval", cls=click_zh.ChineseGroup)
def selfeval_group() -> None:
    """年终绩效自评：由申报的目标生成自评表，读取填好的自评表并评分。"""


@selfeval_group.command("prepare")
@click.argument("input_dir", default="input", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="自评", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="自评工作簿写入的文件夹")
@click.option("--year", type=click.IntRange(1990, 2100),
              help="自评的年度；INPUT_DIR 中有几个年度的项目时必须给出（只处理该年度的项目）")
@config_option
def selfeval_prepare_command(input_dir: Path, out_dir: Path, year: int | None, config_path: Path | None) -> None:
    """为 INPUT_DIR 中某一年度每个通过校验的项目生成一个自评工作簿（已存在的不覆盖）。
    INPUT_DIR 可以是申报工作簿（.xlsx）的文件夹，也可以是报送过的目标表（Word，.docx）的文件夹。

    \b
    示例：perfxl selfeval prepare input --out 自评
          perfxl selfeval prepare 归档/2026/目标表 --year 2026
    """
    config = config_or_exit(config_path)
    require_folder(input_dir)
    from perfxl.selfeval.prepare import prepare

    try:
        outcome = prepare(input_dir, out_dir, config, year)
    except OSError as error:
        say(f"无法写入 {out_dir}：{error.strerror or error}", fg="red", err=True)
        sys.exit(USAGE)
    _print_prepared(outcome, out_dir)
    sys.exit(FOUND_ERRORS if outcome.failed or outcome.unread else OK)


def _print_prepared(outcome, out_dir: Path) -> None:
    """Per file of the year not prepared, its errors; the forms that held none; the kept workbooks; a summary."""
    todo = "请修改目标表（或用 perfxl import 转成工作簿修改）后重新生成" if outcome.from_word else \
        "请先用 perfxl check 修改后再生成自评表"
    for name, errors in outcome.failed.items():
        say(f"未生成：{visible(name)} 有错误（{visible('；'.join(errors)) or '无法读取'}），{todo}", fg="yellow")
    for name, reason in outcome.unread.items():
        say(f"未读取：{visible(name)}：{visible(reason)}", fg="red")
    for path in outcome.kept:
        say(f"已存在，未覆盖：{visible(path)}")
    if outcome.ignored_word:
        say(f"文件夹中有申报工作簿，只读取工作簿；其中的 Word 文档 {outcome.ignored_word} 个未读取"
                   "（要从报送过的目标表生成，请给只放目标表的文件夹）")
    if outcome.other_years:
        others = "、".join(f"{y} 年度 {n} 个" for y, n in outcome.other_years.items())
        say(f"其他年度的项目未处理：{others}")
    year = f"{outcome.year} 年度：" if outcome.year else ""
    source = "目标表（Word）" if outcome.from_word else "项目"
    say(f"{year}{source}{len(outcome.projects)} 个，通过 {len(outcome.passed)} 个；"
               f"写出自评工作簿 {len(outcome.written)} 个，已存在 {len(outcome.kept)} 个：{visible(out_dir)}")


@selfeval_group.command("run")
@click.argument("folder", default="自评", type=click.Path(file_okay=False, path_type=Path))
@click.argument("output_dir", default="output", type=click.Path(file_okay=False, path_type=Path))
@config_option
@jobs_option
def selfeval_run_command(folder: Path, output_dir: Path, config_path: Path | None, jobs: int | None) -> None:
    """读取 FOLDER 中填好的自评工作簿，校验、评分，写出 自评汇总.xlsx 和每个通过项目的自评表（Word）。

    \b
    示例：perfxl selfeval run 自评 output
    """
    config = config_or_exit(config_path)
    require_folder(folder)
    from perfxl.selfeval.batch import run

    try:
        batch = run(folder, output_dir, config, jobs=jobs)
    except OutputError as error:
        if error.batch is not None:
            print_findings(error.batch)
        say(f"输出失败：{error}", fg="red", err=True)
        sys.exit(USAGE)
    print_scores(batch, config)
    say(f"已写入：{batch.outputs[0]}；自评表 {len(batch.forms)} 份：{output_dir / SELFEVAL_FORMS_DIR}")
    sys.exit(exit_code(batch))


def print_scores(batch, config) -> None:
    """The findings, one line per project with its year, score and grade, and the summary with the years."""
    print_findings(batch)
    for evaluation in batch.projects:
        year = f"{evaluation.year}年度" if evaluation.year else "年度未填"
        say(f"{visible(year)} {visible(evaluation.project_name)}：总分 {batch.scores[evaluation.file].total:.2f}，"
                   f"等级 {batch.grade(evaluation.file, config)}")
    years = "、".join(sorted({str(e.year) for e in batch.projects if e.year}))
    say(f"{visible(years) + ' 年度：' if years else ''}文件 {len(batch.ledger)} 个，项目 {len(batch.projects)} 个，"
               f"通过 {len(batch.passed())} 个；错误 {batch.count(ERROR)}，警告 {batch.count(WARNING)}")


COMMANDS = (import_command, migrate_command, selfeval_group)
