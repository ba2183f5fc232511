"""The self-evaluation batch: `run` (filled 自评 workbooks -> 自评汇总.xlsx and the Word 自评表 of every project
without 错误); `prepare` (target workbooks or filed Word forms -> 自评 workbooks) lives in prepare.py."""

from __future__ import annotations

from pathlib import Path

from perfxl.core.config import Config
from perfxl.core.model import (
    FAILED,
    PROCESSED,
    SELFEVAL_FORMS_DIR,
    LedgerEntry,
)
from perfxl.engine import runner
from perfxl.engine.batch import Batch, FileResult, listed_result, unexpected_result
from perfxl.engine.runner import FormKind
from perfxl.io.files import InputFile, atomic_write, own_folder, remove_stale_temps
from perfxl.io.forms import remove_stale_forms
from perfxl.io.parallel import Workers
from perfxl.selfeval.results import SelfEvalBatch
from perfxl.selfeval.rules import check_evaluation, read_evaluation
from perfxl.selfeval.scoring import score

SUMMARY_NAME = "自评汇总.xlsx"


def evaluate_file(file: InputFile, config: Config) -> FileResult:
    """Read, score and check one file of the self-evaluation folder; runs on a worker. Never raises."""
    listed = listed_result(file)
    if listed is not None:
        return listed
    try:
        evaluation, findings, failure = read_evaluation(file.path, file.name, config)
        if failure or evaluation is None:
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

