"""The 目标表 form kind: read and check a target workbook, write the consolidated workbook and the Word forms."""

from __future__ import annotations

import contextlib
import functools
import importlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from perfxl.core.config import Config
from perfxl.core.model import FAILED, FORMS_DIR, PROCESSED, REPORT_NAME, LedgerEntry
from perfxl.engine import runner
from perfxl.engine.batch import (  # noqa: F401 - the target batch's names, as callers know them
    Batch,
    FileResult,
    OutputError,
    apply_overrides,
    check_folders,
    failed_result,
    ledger_view,
    listed_result,
    locked,
    output_problem,
    unexpected_result,
    written_path,
)
from perfxl.io.files import InputFile, atomic_write, own_folder, remove_stale_temps
from perfxl.io.parallel import Workers, guided
from perfxl.target.checks import check_batch, check_project
from perfxl.target.reader import read_project

if TYPE_CHECKING:  # imported when forms are written: the workers start without jinja2
    from perfxl.io.forms import FormChunk


def process_file(file: InputFile, config: Config) -> FileResult:
    """Read and check one input file; everything a worker does for one file. Never raises for one file."""
    listed = listed_result(file)
    if listed is not None:
        return listed
    try:
        return _read_and_check(file, config)
    except Exception as error:  # noqa: BLE001 - one file's surprise must not end the batch
        return unexpected_result(file, error)


def _read_and_check(file: InputFile, config: Config) -> FileResult:
    started = time.perf_counter()
    result = read_project(file.path, file.name, config)
    read = time.perf_counter()
    findings = result.findings
    if result.project is not None and not result.failure:
        findings = findings + [replace(f, project_name=result.project.name)
                               for f in check_project(result.project, config)]
    status = FAILED if result.failure else PROCESSED
    entry = LedgerEntry(file.name, status, result.failure)  # a processed file's message comes from ledger_view
    return FileResult(result.project, findings, entry, read - started, time.perf_counter() - read)


def validate(input_dir: Path, config: Config, previous: dict | None = None, workers: Workers | None = None,
             progress: bool = False, meanwhile: Callable[[], object] | None = None) -> Batch:
    """Read and check every target workbook under `input_dir` (on `workers` when given); writes nothing."""
    return runner.validate(TARGET, input_dir, config, previous, workers, progress, meanwhile)


def write_outputs(batch: Batch, output_dir: Path, config: Config, templates: Path | None = None,
                  workers: Workers | None = None) -> None:
    """Write the Word forms of the passed projects (on `workers`) while the consolidated workbook is
    written here; then remove forms this run did not write. Word templates are looked up in `templates`
    (default: the configuration's templates/ folder)."""
    from perfxl.io.forms import FormError, remove_stale_forms, write_form_chunk

    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(output_dir)
        with contextlib.ExitStack() as stack:
            workers = workers or stack.enter_context(Workers(1))
            started = time.perf_counter()
            chunks = _plan_forms(batch, output_dir, config, templates or config.templates, workers.jobs)

            def report() -> None:
                _write_report(batch, output_dir, config)
                batch.timings["汇总表"] = time.perf_counter() - started

            workers.alongside(write_form_chunk, chunks, report, background=workers.worth_it(len(batch.forms)))
            batch.timings["目标表（与汇总表同时写）"] = time.perf_counter() - started
        if (output_dir / FORMS_DIR).is_dir():
            batch.removed = remove_stale_forms(own_folder(output_dir, FORMS_DIR),
                                               {Path(p).name for p in batch.forms.values()})
    except (FormError, ValueError) as error:
        raise OutputError(str(error)) from error
    except OSError as error:
        raise OutputError(output_problem(error, output_dir, written_path(error, output_dir))) from error


def _plan_forms(batch: Batch, output_dir: Path, config: Config, templates: Path, jobs: int) -> list[FormChunk]:
    """Plan the passed projects' forms into `batch.forms`; the chunks to write them in, in input order,
    each with the templates of every layout (one chunk may hold projects of both)."""
    from perfxl.io.forms import FormChunk, compiled, plan_forms, resolve_template

    passed = batch.passed()
    if not passed:
        batch.forms = {}
        return []
    layouts = {name: config.layout(name) for name in dict.fromkeys(p.layout for p in passed)}
    sources = {name: (resolve_template(layout, templates), layout) for name, layout in layouts.items()}
    firsts = {p.layout: p for p in reversed(passed)}
    for name, (path, layout) in sources.items():  # an unusable template fails here, before any form is written
        compiled(path, layout).render(firsts[name])
    targets = plan_forms(passed, output_dir)
    own_folder(output_dir, FORMS_DIR).mkdir(parents=True, exist_ok=True)
    remove_stale_temps(output_dir / FORMS_DIR)
    batch.forms = {file: f"{FORMS_DIR}/{target.name}" for file, target in targets.items()}
    pairs = [(p, targets[p.file]) for p in passed]
    return [FormChunk(sources, chunk) for chunk in guided(pairs, jobs)]


def _prepare_writers(config: Config, templates: Path | None) -> None:
    """While the workers read: import the writers' libraries (pandas alone takes ~0.4 s) and compile each
    layout's Word template (~0.07 s each), so that neither waits in line before the outputs. A template
    that does not compile is reported later, if a passed project uses it."""
    from perfxl.io.forms import FormError, compiled, resolve_template

    importlib.import_module(".report", __package__)
    for layout in config.layouts.values():
        with contextlib.suppress(FormError):
            compiled(resolve_template(layout, templates or config.templates), layout)


def _write_report(batch: Batch, output_dir: Path, config: Config) -> None:
    from perfxl.target import frames
    from perfxl.target.report import write_report

    layouts = frames.batch_layouts(batch.projects, config)
    columns = {
        "projects": frames.project_columns(layouts), "indicators": frames.indicator_columns(layouts),
        "budget_lines": frames.BUDGET_LINE_COLUMNS, "descriptions": frames.description_columns(layouts),
        "findings": frames.FINDING_COLUMNS, "ledger": frames.LEDGER_COLUMNS,
    }
    tables = {
        "projects": frames.project_frame(batch.projects, batch.findings, batch.forms, columns["projects"], config),
        "indicators": frames.indicator_frame(batch.projects, columns["indicators"]),
        "budget_lines": frames.budget_line_frame(batch.projects),
        "descriptions": frames.description_frame(batch.projects, columns["descriptions"]),
        "findings": frames.finding_frame(batch.findings),
        "ledger": frames.ledger_frame(batch.ledger),
    }
    target = output_dir / REPORT_NAME
    with atomic_write(target) as temp:
        write_report(temp, tables, columns)
    batch.outputs.append(target)


def _write(batch: Batch, output_dir: Path, config: Config, workers: Workers, templates: Path | None = None) -> None:
    write_outputs(batch, output_dir, config, templates, workers)


TARGET = runner.FormKind(FORMS_DIR, REPORT_NAME, process_file, _write, check_batch)


def run(input_dir: Path, output_dir: Path, config: Config, previous: dict | None = None,
        templates: Path | None = None, jobs: int | None = None, progress: bool = False) -> Batch:
    """Validate the batch and write its outputs, with `jobs` worker processes (default: one per core).

    Refused (OutputError) when the folders overlap or another run is writing into `output_dir`."""
    kind = replace(TARGET, write=functools.partial(_write, templates=templates)) if templates else TARGET
    return runner.run(kind, input_dir, output_dir, config, previous, jobs, progress,
                      meanwhile=functools.partial(_prepare_writers, config, templates))
