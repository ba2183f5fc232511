"""The self-evaluation batch: `prepare` (target workbooks -> 自评 workbooks) and `run` (filled 自评 workbooks ->
自评汇总.xlsx and the Word 自评表 of every project without 错误)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perfxl.core.config import Config
from perfxl.core.model import (
    ERROR,
    FAILED,
    PROCESSED,
    SELFEVAL_FORMS_DIR,
    WARNING,
    Finding,
    LedgerEntry,
    Project,
)
from perfxl.engine import runner
from perfxl.engine.batch import Batch, FileResult, listed_result, locked, unexpected_result
from perfxl.engine.runner import FormKind
from perfxl.io.files import (
    InputFile,
    atomic_write,
    form_file_names,
    own_folder,
    remove_stale_temps,
    write_unique,
)
from perfxl.io.forms import remove_stale_forms
from perfxl.io.parallel import Workers
from perfxl.selfeval.book import write_workbook
from perfxl.selfeval.rules import check_evaluation, read_evaluation
from perfxl.selfeval.scoring import Score, allocate_points, grade, score
from perfxl.target.pipeline import validate

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
    names = form_file_names(passed, ".xlsx")
    with locked(out_dir):
        for project in passed:
            target = out_dir / names[project.file]
            if target.exists():
                outcome.kept.append(target)
                continue
            try:  # created exclusively: a workbook another command writes meanwhile is kept as well
                write_unique([target], lambda temp, p=project: write_workbook(temp, p, project_points(p, config),
                                                                              config.selfeval))
            except FileExistsError:
                outcome.kept.append(target)
                continue
            outcome.written.append(target)
    return outcome


def project_points(project: Project, config: Config) -> list[float]:
    return allocate_points([i.level1 for i in project.indicators], config.selfeval_settings(project.layout))


@dataclass
class SelfEvalBatch(Batch):
    """A self-evaluation run: `projects` holds the evaluations read, `scores` their scores by file."""

    scores: dict[str, Score] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)  # the [selfeval] settings the grades come from

    def add(self, result: FileResult) -> None:
        super().add(result)
        if result.project is not None:
            self.scores[result.entry.file] = result.extra

    def grade(self, file: str, config: Config) -> str:
        return grade(self.scores[file].total, config.selfeval)

    def ledger_message(self, file: str, findings: list[Finding]) -> str:
        """The score and the final findings (severities and disabled rules applied) of a file read."""
        result = self.scores[file]
        errors = sum(1 for f in findings if f.severity == ERROR)
        warnings = sum(1 for f in findings if f.severity == WARNING)
        scored = f"总分 {result.total:g}（{grade(result.total, self.settings)}）"
        if errors:
            return f"已读取；{scored}；有 {errors} 个错误、{warnings} 个警告，未通过，不生成自评表"
        return f"已读取；{scored}；{warnings} 个警告" if warnings else f"已读取；{scored}；未发现问题"


def evaluate_file(file: InputFile, config: Config) -> FileResult:
    """Read, score and check one file of the self-evaluation folder; runs on a worker. Never raises."""
    listed = listed_result(file)
    if listed is not None:
        return listed
    try:
        evaluation, findings, failure = read_evaluation(file.path, file.name, config)
        if failure:
            return FileResult(None, findings, LedgerEntry(file.name, FAILED, failure))
        result = score(evaluation, config.selfeval)
        findings = findings + check_evaluation(evaluation, result, config.selfeval, config)
        return FileResult(evaluation, findings, LedgerEntry(file.name, PROCESSED, ""), extra=result)
    except Exception as error:  # noqa: BLE001 - one file's surprise must not end the batch
        return unexpected_result(file, error)


def _write_outputs(batch: Batch, output_dir: Path, config: Config, workers: Workers) -> None:
    from perfxl.selfeval.form import write_forms
    from perfxl.selfeval.report import write_summary

    assert isinstance(batch, SelfEvalBatch)
    output_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(output_dir)
    forms_dir = own_folder(output_dir, SELFEVAL_FORMS_DIR)
    passed = batch.passed()
    if passed:
        forms_dir.mkdir(exist_ok=True)
        remove_stale_temps(forms_dir)
        written = write_forms(passed, batch.scores, output_dir, SELFEVAL_FORMS_DIR, config.selfeval)
        batch.forms = {file: f"{SELFEVAL_FORMS_DIR}/{path.name}" for file, path in written.items()}
    if forms_dir.is_dir():
        batch.removed = remove_stale_forms(forms_dir, {Path(p).name for p in batch.forms.values()})
    target = output_dir / SUMMARY_NAME
    with atomic_write(target) as temp:
        write_summary(temp, batch, config.selfeval)
    batch.outputs.append(target)


def _new_batch(config: Config) -> SelfEvalBatch:
    return SelfEvalBatch(settings=config.selfeval)


SELFEVAL = FormKind(SELFEVAL_FORMS_DIR, SUMMARY_NAME, evaluate_file, _write_outputs, new_batch=_new_batch,
                    progress_label="读取与评分")


def evaluate(folder: Path, config: Config, workers: Workers | None = None) -> SelfEvalBatch:
    """Read, score and check every file under `folder` on worker processes; writes nothing."""
    batch = runner.validate(SELFEVAL, folder, config, workers=workers)
    assert isinstance(batch, SelfEvalBatch)
    return batch


def run(folder: Path, output_dir: Path, config: Config, jobs: int | None = None,
        progress: bool = False) -> SelfEvalBatch:
    """Evaluate `folder` and write 自评汇总.xlsx and the Word 自评表 into `output_dir`, under its lock.

    Raises OutputError (with `batch` set) when an output cannot be written or the folders overlap."""
    batch = runner.run(SELFEVAL, folder, output_dir, config, jobs=jobs, progress=progress)
    assert isinstance(batch, SelfEvalBatch)
    return batch

