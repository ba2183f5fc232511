"""`perfxl selfeval prepare`: one self-evaluation workbook per passed project of ONE year, from the target
workbooks or from the Word forms that were filed (read by the importer, perfxl/convert/importer.py).

A self-evaluation is of one year. In January the unit's `input/` already holds next year's projects, and
what it has of the year evaluated may be only the filed forms; so a folder holding several years is never
mixed: `year` chooses, and without it prepare stops naming the years found.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from perfxl.core.config import Config
from perfxl.core.errors import PerfxlError
from perfxl.core.model import ERROR, FAILED, Project
from perfxl.engine.batch import Batch, locked
from perfxl.io.files import form_file_names, holds_input, write_unique
from perfxl.selfeval.book import write_workbook
from perfxl.selfeval.scoring import allocate_points
from perfxl.target.pipeline import validate

WORD_FORMS = (".docx",)


class YearNotChosen(PerfxlError):
    """The folder holds projects of several years (or not of the year asked for): the message names them."""


@dataclass
class Prepared:
    """What `prepare` did for `year`: the target batch it read, the workbooks written and those left as
    they were, the files of that year not prepared (display name -> their errors), the other years' counts,
    and, when it read Word forms, the documents that held none (display name -> why)."""

    batch: Batch
    year: int | None = None
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)
    projects: list[Project] = field(default_factory=list)  # of `year`
    passed: list[Project] = field(default_factory=list)
    other_years: dict[int, int] = field(default_factory=dict)
    from_word: bool = False
    unread: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # batch file -> what the user calls it
    ignored_word: int = 0  # Word forms beside the workbooks read, not read


def _write(temp: Path, project: Project, config: Config) -> None:
    write_workbook(temp, project, project_points(project, config), config.selfeval)


def project_points(project: Project, config: Config) -> list[Decimal]:
    return allocate_points([i.level1 for i in project.indicators], config.selfeval_settings(project.layout))


def _shown(path: str, folder: Path) -> str:
    try:
        return str(Path(path).relative_to(folder))
    except ValueError:
        return path


def read_word_forms(folder: Path, config: Config) -> Prepared:
    """The filed Word forms under `folder` read as target projects: imported by the importer into a
    temporary folder, then read and checked there like workbooks. Writes nothing under `folder`."""
    from perfxl.convert.importer import find_documents, import_documents

    documents = find_documents([folder], WORD_FORMS)
    with tempfile.TemporaryDirectory(prefix="perfxl-自评-") as temp:
        results = import_documents(documents, Path(temp), config)
        batch = validate(Path(temp), config)
    outcome = Prepared(batch, from_word=True)
    for result in results:
        if result.failure:
            outcome.unread[_shown(result.file, folder)] = result.failure
        for form in result.forms:
            if form.output is not None:
                outcome.names[form.output.name] = _shown(form.source, folder)
            elif form.refused:  # the importer writes one workbook per project
                outcome.unread[_shown(form.source, folder)] = "与另一份目标表是同一项目、内容不同，未使用：请只保留报送的那一份"
    return outcome


def read_targets(folder: Path, config: Config) -> Prepared:
    """The target workbooks of `folder`, or its Word forms when it holds no workbook but .docx files."""
    word = sum(1 for p in folder.rglob("*") if p.suffix.lower() in WORD_FORMS and not p.name.startswith(("~$", ".")))
    if word and not holds_input(folder):
        return read_word_forms(folder, config)
    return Prepared(validate(folder, config), ignored_word=word)


def _choose_year(outcome: Prepared, folder: Path, year: int | None) -> int | None:
    counts: dict[int, int] = {}
    for project in outcome.batch.projects:
        if project.year:
            counts[project.year] = counts.get(project.year, 0) + 1
    found = "、".join(f"{y} 年度 {n} 个" for y, n in sorted(counts.items()))
    if year is None and len(counts) > 1:
        raise YearNotChosen(f"{folder} 中有几个年度的项目（{found}）：自评只针对一个年度，不会混在一起。"
                            f"请加 --year 选择要自评的年度，例如 perfxl selfeval prepare {folder} --year {min(counts)}")
    if year is not None and year not in counts:
        raise YearNotChosen(f"{folder} 中没有 {year} 年度的项目（有：{found or '没有读到任何项目'}）："
                            "请检查 --year，或换成存放该年度申报表或目标表（Word）的文件夹")
    chosen = year if year is not None else next(iter(counts), None)
    outcome.other_years = {y: n for y, n in sorted(counts.items()) if y != chosen}
    return chosen


def _sort_by_year(outcome: Prepared) -> None:
    """Keep the chosen year's projects; the failed files of that year (or of no year) with their errors."""
    batch, year = outcome.batch, outcome.year
    years = {p.file: p.year for p in batch.projects}
    outcome.projects = [p for p in batch.projects if year is None or p.year == year]
    outcome.passed = [p for p in batch.passed() if year is None or p.year == year]
    errors: dict[str, list[str]] = {}
    for f in batch.findings:
        if f.severity == ERROR:
            errors.setdefault(f.file, []).append(f"{f.rule} {f.message}")
    failed = {e.file for e in batch.ledger if e.status == FAILED} | set(errors)
    for file in sorted(failed):
        if years.get(file) in (year, None) or year is None:
            outcome.failed[outcome.names.get(file, file)] = errors.get(file, [])


def prepare(input_dir: Path, out_dir: Path, config: Config, year: int | None = None) -> Prepared:
    """One self-evaluation workbook in `out_dir` for every project of `year` in `input_dir` without 错误;
    `input_dir` holds target workbooks, or the filed Word forms. Raises YearNotChosen when it holds
    several years and `year` is None, or none of `year`.

    An existing workbook is never overwritten (it may already hold the unit's answers)."""
    outcome = read_targets(input_dir, config)
    outcome.year = _choose_year(outcome, input_dir, year)
    _sort_by_year(outcome)
    if not outcome.passed:
        return outcome
    names = form_file_names(outcome.passed, ".xlsx")
    with locked(out_dir):
        for project in outcome.passed:
            target = out_dir / names[project.file]
            if target.exists():
                outcome.kept.append(target)
                continue
            try:  # created exclusively: a workbook another command writes meanwhile is kept as well
                write_unique([target], functools.partial(_write, project=project, config=config))
            except FileExistsError:
                outcome.kept.append(target)
                continue
            outcome.written.append(target)
    return outcome
