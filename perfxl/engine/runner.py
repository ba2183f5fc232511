"""The batch runner: one for every form kind (目标表, 自评表; later 跟踪表).

A form kind says how one file is read and checked (on a worker), which rules look across the batch, and
how the outputs are written. The runner gives every kind the same protections by construction: reading on
worker processes (a file that crashes its reader costs that file), the output folder's lock, no output
among the inputs, and errors of the outputs as one line a user can act on."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perfxl.core.config import Config
from perfxl.core.errors import PerfxlError
from perfxl.core.model import Finding
from perfxl.engine.batch import (
    Batch,
    FileResult,
    OutputError,
    apply_overrides,
    check_folders,
    crashed_result,
    ledger_view,
    locked,
    output_problem,
    written_path,
)
from perfxl.io.files import discover
from perfxl.io.parallel import Workers

PROGRESS_MIN_FILES = 5


def plain_batch(config: Config) -> Batch:
    return Batch()


def no_batch_rules(projects: list, config: Config, previous: dict | None) -> list[Finding]:
    return []


@dataclass(frozen=True)
class FormKind:
    """One kind of form of the year: what it reads, which rules apply, what it writes."""

    name: str  # 目标表, 自评表: also the folder of its Word forms in the output folder
    summary_name: str  # the consolidated workbook's file name
    process: Callable[..., FileResult]  # process(file, config=config): read and check one file, on a worker
    write: Callable[[Batch, Path, Config, Workers], None]  # the outputs, under the output lock
    check_batch: Callable[[list, Config, dict | None], list[Finding]] = no_batch_rules
    new_batch: Callable[[Config], Batch] = plain_batch  # the kind's Batch, which words its ledger
    progress_label: str = "读取与校验"


def validate(kind: FormKind, input_dir: Path, config: Config, previous: dict | None = None,
             workers: Workers | None = None, progress: bool = False,
             meanwhile: Callable[[], object] | None = None) -> Batch:
    """Read and check every file under `input_dir` on `workers` (a pool of one when none is given);
    writes nothing. `meanwhile` is called once the workers are reading, in this otherwise idle process."""
    batch = kind.new_batch(config)
    files = discover(input_dir)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        workers = workers or stack.enter_context(Workers(1))
        results = workers.map(functools.partial(kind.process, config=config), files, crashed_result)
        if meanwhile is not None:
            meanwhile()
        from tqdm import tqdm  # imported once the workers have started: they do not need it

        shown = progress and len(files) > PROGRESS_MIN_FILES
        for result in tqdm(results, total=len(files), desc=kind.progress_label, unit="个", disable=not shown,
                           leave=False):
            batch.add(result)
    batch.timings["读取与校验"] = time.perf_counter() - started
    batch.findings = apply_overrides(batch.findings + kind.check_batch(batch.usable(), config, previous), config)
    batch.ledger = ledger_view(batch.ledger, batch.findings, batch.ledger_message)
    return batch


def write_guarded(kind: FormKind, batch: Batch, output_dir: Path, config: Config, workers: Workers) -> None:
    """`kind.write` under the output folder's lock; any failure becomes one OutputError with `batch` set,
    so that the caller can still show what the inputs held."""
    try:
        with locked(output_dir):
            try:
                kind.write(batch, output_dir, config, workers)
            except OSError as error:
                target = written_path(error, output_dir, kind.summary_name)
                raise OutputError(output_problem(error, output_dir, target)) from error
            except PerfxlError as error:  # an unusable template, a linked output folder, ...
                if isinstance(error, OutputError):
                    raise
                raise OutputError(str(error)) from error
    except OutputError as error:
        error.batch = batch
        raise


def run(kind: FormKind, input_dir: Path, output_dir: Path, config: Config, previous: dict | None = None,
        jobs: int | None = None, progress: bool = False, meanwhile: Callable[[], object] | None = None) -> Batch:
    """Validate the batch and write its outputs, with `jobs` worker processes (default: one per core).

    Refused (OutputError) when the folders overlap or another run is writing into `output_dir`."""
    check_folders(input_dir, output_dir)
    with Workers(jobs) as workers:
        batch = validate(kind, input_dir, config, previous, workers, progress, meanwhile)
        write_guarded(kind, batch, output_dir, config, workers)
    return batch
