"""The self-evaluation batch: `prepare` (target workbooks -> 自评 workbooks) and `run` (filled 自评 workbooks ->
自评汇总.xlsx and the Word 自评表 of every project without 错误)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perfxl.core.config import Config
from perfxl.core.model import ERROR, FAILED, PROCESSED, SELFEVAL_FORMS_DIR, WARNING, LedgerEntry, Project
from perfxl.io.files import InputFile, atomic_write, discover, form_file_names, remove_stale_temps
from perfxl.io.forms import FormError, remove_stale_forms
from perfxl.selfeval.book import write_workbook
from perfxl.selfeval.rules import check_evaluation, read_evaluation
from perfxl.selfeval.scoring import Score, allocate_points, grade, score
from perfxl.target.pipeline import (
    Batch,
    FileResult,
    OutputError,
    apply_overrides,
    failed_result,
    output_problem,
    validate,
    written_path,
)

SUMMARY_NAME = "自评汇总.xlsx"


@dataclass
class Prepared:
    """What `prepare` did: the target batch it read, the workbooks written and those left as they were."""

    batch: Batch
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def prepare(input_dir: Path, out_dir: Path, config: Config) -> Prepared:
    """One self-evaluation workbook in `out_dir` for every project of `input_dir` without 错误.

    An existing workbook is never overwritten (it may already hold the unit's answers)."""
    batch = validate(input_dir, config)
    passed = batch.passed()
    outcome = Prepared(batch)
    if not passed:
        return outcome
    out_dir.mkdir(parents=True, exist_ok=True)
    names = form_file_names(passed, ".xlsx")
    for project in passed:
        target = out_dir / names[project.file]
        if target.exists():
            outcome.kept.append(target)
            continue
        with atomic_write(target) as temp:
            write_workbook(temp, project, project_points(project, config), config.selfeval)
        outcome.written.append(target)
    return outcome


def project_points(project: Project, config: Config) -> list[float]:
    return allocate_points([i.level1 for i in project.indicators], config.selfeval_settings(project.layout))


@dataclass
class SelfEvalBatch(Batch):
    """A self-evaluation run: `projects` holds the evaluations read, `scores` their scores by file."""

    scores: dict[str, Score] = field(default_factory=dict)

    def grade(self, file: str, config: Config) -> str:
        return grade(self.scores[file].total, config.selfeval)


def _ledger_message(result: Score, findings: list, settings: dict) -> str:
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = sum(1 for f in findings if f.severity == WARNING)
    scored = f"总分 {result.total:g}（{grade(result.total, settings)}）"
    if errors:
        return f"已读取；{scored}；有 {errors} 个错误、{warnings} 个警告，未通过，不生成自评表"
    return f"已读取；{scored}；{warnings} 个警告" if warnings else f"已读取；{scored}；未发现问题"


def evaluate_file(file: InputFile, config: Config) -> tuple[FileResult, Score | None]:
    """Read, score and check one file of the self-evaluation folder. Never raises for one file."""
    if file.status == FAILED:
        reason, _, todo = file.message.partition("：")
        return failed_result(file, reason, todo), None
    if file.status:
        return FileResult(None, [], LedgerEntry(file.name, file.status, file.message)), None
    try:
        evaluation, findings, failure = read_evaluation(file.path, file.name, config)
        if failure:
            return FileResult(None, findings, LedgerEntry(file.name, FAILED, failure)), None
        result = score(evaluation, config.selfeval)
        findings = findings + check_evaluation(evaluation, result, config.selfeval, config)
        entry = LedgerEntry(file.name, PROCESSED, _ledger_message(result, findings, config.selfeval))
        return FileResult(evaluation, findings, entry), result
    except Exception as error:  # noqa: BLE001 - one file's surprise must not end the batch
        return failed_result(file, f"读取时发生意外错误（{type(error).__name__}: {str(error)[:200]}）",
                       "请用 Excel 打开该文件另存为 .xlsx 后重试；如仍失败，请把该文件发给技术支持"), None


def evaluate(folder: Path, config: Config) -> SelfEvalBatch:
    """Read, score and check every file under `folder`; writes nothing."""
    batch = SelfEvalBatch()
    for file in discover(folder):
        result, scored = evaluate_file(file, config)
        if result.project is not None:
            batch.projects.append(result.project)
            batch.scores[file.name] = scored
        batch.findings.extend(result.findings)
        batch.ledger.append(result.entry)
    batch.findings = apply_overrides(batch.findings, config)
    return batch


def run(folder: Path, output_dir: Path, config: Config) -> SelfEvalBatch:
    """Evaluate `folder` and write 自评汇总.xlsx and the Word 自评表 into `output_dir`.

    Raises OutputError (with `batch` set) when an output cannot be written."""
    batch = evaluate(folder, config)
    try:
        _write_outputs(batch, output_dir, config)
    except FormError as error:
        error = OutputError(str(error))
        error.batch = batch
        raise error from None
    except OSError as error:
        target = written_path(error, output_dir) if error.filename else output_dir / SUMMARY_NAME
        problem = OutputError(output_problem(error, output_dir, target))
        problem.batch = batch
        raise problem from error
    return batch


def _write_outputs(batch: SelfEvalBatch, output_dir: Path, config: Config) -> None:
    from perfxl.selfeval.form import write_forms
    from perfxl.selfeval.report import write_summary

    output_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(output_dir)
    forms_dir = output_dir / SELFEVAL_FORMS_DIR
    passed = batch.passed()
    if passed:
        forms_dir.mkdir(exist_ok=True)
        remove_stale_temps(forms_dir)
        written = write_forms(passed, batch.scores, output_dir, SELFEVAL_FORMS_DIR, config.selfeval)
        batch.forms = {file: f"{SELFEVAL_FORMS_DIR}/{path.name}" for file, path in written.items()}
    if forms_dir.is_dir():
        remove_stale_forms(forms_dir, {Path(p).name for p in batch.forms.values()})
    target = output_dir / SUMMARY_NAME
    with atomic_write(target) as temp:
        write_summary(temp, batch, config.selfeval)
    batch.outputs.append(target)
