"""The batch: read every input file, apply the rules, write the outputs."""

from __future__ import annotations

import contextlib
import functools
import importlib
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from perfxl.core.catalogue import finding
from perfxl.core.config import Config
from perfxl.core.model import (
    ERROR,
    FAILED,
    FORMS_DIR,
    PROCESSED,
    REPORT_NAME,
    REQUIRED_SHEETS,
    WARNING,
    Finding,
    LedgerEntry,
    Project,
    column_index,
)
from perfxl.io.files import (
    TEMP_PREFIX,
    InputFile,
    OutputBusy,
    atomic_write,
    discover,
    inside,
    output_lock,
    own_folder,
    remove_stale_temps,
)
from perfxl.io.parallel import Workers, guided
from perfxl.target.reader import read_project
from perfxl.target.rules import check_batch, check_project

if TYPE_CHECKING:  # imported when forms are written: the workers start without jinja2
    from perfxl.io.forms import FormChunk


class OutputError(Exception):
    """An output file cannot be written; the message says which and why, `batch` what the run found."""

    batch: Batch | None = None


@dataclass
class Batch:
    """What a run found: the projects read, every finding, and one ledger row per input file."""

    projects: list[Project] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)  # project file -> form path relative to output
    outputs: list[Path] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # earlier forms and PDFs this run removed
    timings: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # stage -> seconds

    def failed_files(self) -> set[str]:
        return {f.file for f in self.findings if f.severity == ERROR}

    def passed(self) -> list[Project]:
        failed = self.failed_files()
        return [p for p in self.projects if p.file not in failed]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def has_errors(self) -> bool:
        return self.count(ERROR) > 0 or any(e.status == FAILED for e in self.ledger)


def _ledger_message(findings: list[Finding]) -> str:
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = sum(1 for f in findings if f.severity == WARNING)
    if errors:
        return f"已读取；有 {errors} 个错误、{warnings} 个警告，未通过，不生成目标表"
    return f"已读取；{warnings} 个警告" if warnings else "已读取，未发现问题"


def ledger_view(ledger: list[LedgerEntry], findings: list[Finding]) -> list[LedgerEntry]:
    """The ledger's messages from the final findings (batch rules, severities and disabled rules applied),
    so that 处理清单 and 项目汇总 cannot disagree."""
    by_file: defaultdict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_file[f.file].append(f)
    return [replace(e, message=_ledger_message(by_file[e.file])) if e.status == PROCESSED else e for e in ledger]


class FileResult(NamedTuple):
    """What reading and checking one input file gave."""

    project: Project | None
    findings: list[Finding]
    entry: LedgerEntry
    read_seconds: float = 0.0
    check_seconds: float = 0.0


def failed_result(file: InputFile, reason: str, todo: str) -> FileResult:
    return FileResult(None, [finding("S01", file.name, reason=reason, todo=todo)],
                      LedgerEntry(file.name, FAILED, f"{reason}：{todo}"))


def process_file(file: InputFile, config: Config) -> FileResult:
    """Read and check one input file; everything a worker does for one file. Never raises for one file."""
    if file.status == FAILED:
        reason, _, todo = file.message.partition("：")
        return failed_result(file, reason, todo)
    if file.status:
        return FileResult(None, [], LedgerEntry(file.name, file.status, file.message))
    try:
        return _read_and_check(file, config)
    except Exception as error:  # noqa: BLE001 - one file's surprise must not end the batch
        return failed_result(file, f"读取时发生意外错误（{type(error).__name__}: {str(error)[:200]}）",
                       "请用 Excel 打开该文件另存为 .xlsx 后重试；如仍失败，请把该文件发给技术支持")


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


_CELL = re.compile(r"([A-Z]+)(\d+)")


def _sort_key(f: Finding) -> tuple:
    match = _CELL.fullmatch(f.cell)
    position = (int(match.group(2)), column_index(match.group(1))) if match else (0, 0)
    sheet = REQUIRED_SHEETS.index(f.sheet) if f.sheet in REQUIRED_SHEETS else -1
    return (f.file, sheet, position, f.rule, f.message)


def apply_overrides(findings: list[Finding], config: Config) -> list[Finding]:
    """Drop disabled rules, apply per-rule severities, and sort into a stable order."""
    disabled = set(config.rules["disabled"])
    severity = config.rules["severity"]
    kept = [replace(f, severity=severity.get(f.rule, f.severity)) for f in findings if f.rule not in disabled]
    return sorted(kept, key=_sort_key)


def _crashed(file: InputFile) -> FileResult:
    return failed_result(file, "读取该文件时程序异常退出，文件可能已损坏", "请用 Excel 打开后另存为 .xlsx 再试")


def validate(input_dir: Path, config: Config, previous: dict | None = None, workers: Workers | None = None,
             progress: bool = False, meanwhile: Callable[[], object] | None = None) -> Batch:
    """Read and check every file under `input_dir` (on `workers` when given); writes nothing.

    `meanwhile` is called once the workers are reading, in this otherwise idle process."""
    batch = Batch()
    files = discover(input_dir)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        workers = workers or stack.enter_context(Workers(1))
        results = workers.map(functools.partial(process_file, config=config), files, _crashed)
        if meanwhile is not None:
            meanwhile()
        from tqdm import tqdm  # imported once the workers have started: they do not need it

        shown = progress and len(files) > PROGRESS_MIN_FILES
        bar = tqdm(results, total=len(files), desc="读取与校验", unit="个", disable=not shown, leave=False)
        for result in bar:
            if result.project is not None:
                batch.projects.append(result.project)
            batch.findings.extend(result.findings)
            batch.ledger.append(result.entry)
            batch.timings["读取（各进程合计）"] += result.read_seconds
            batch.timings["校验（各进程合计）"] += result.check_seconds
    batch.timings["读取与校验"] = time.perf_counter() - started
    failed = {e.file for e in batch.ledger if e.status == FAILED}
    usable = [p for p in batch.projects if p.file not in failed]
    batch.findings = apply_overrides(batch.findings + check_batch(usable, config, previous), config)
    batch.ledger = ledger_view(batch.ledger, batch.findings)
    return batch


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


def written_path(error: OSError, output_dir: Path) -> Path:
    """The output file an error is about (not the temporary file it was being written to)."""
    path = Path(error.filename) if error.filename else output_dir / REPORT_NAME
    if path.name.startswith(TEMP_PREFIX):
        path = path.with_name(path.name.removeprefix(TEMP_PREFIX).split("-", 1)[1])
    return path


def output_problem(error: OSError, output_dir: Path, target: Path) -> str:
    """What went wrong writing `target`, and what to do, for a user who has never seen a traceback."""
    clash = next((p for p in (output_dir, *output_dir.parents) if p.exists() and not p.is_dir()), None)
    if clash is not None:
        return f"输出文件夹路径中的 {clash} 是一个文件，不是文件夹：请删除或改名该文件，或指定其他输出文件夹"
    if target.is_dir():
        return f"无法写入 {target}：同名的文件夹已存在，请删除或改名该文件夹"
    if isinstance(error, PermissionError):
        return (f"无法写入 {target}：没有写入权限。如果汇总表正在 Excel 或 WPS 中打开，请先关闭；"
                "否则请检查输出文件夹是否只读")
    return f"无法写入 {target}：{error.strerror or error}。请检查输出文件夹是否存在、可写，磁盘是否已满"


PROGRESS_MIN_FILES = 5


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
    for path, layout in sources.values():
        compiled(path, layout)  # an unusable template fails here, before any form is written
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
    from perfxl.target.frames import (
        budget_line_frame,
        finding_frame,
        indicator_frame,
        ledger_frame,
        project_columns,
        project_frame,
    )
    from perfxl.target.report import write_report

    frames = {
        "projects": project_frame(batch.projects, batch.findings, batch.forms, config),
        "indicators": indicator_frame(batch.projects),
        "budget_lines": budget_line_frame(batch.projects),
        "findings": finding_frame(batch.findings),
        "ledger": ledger_frame(batch.ledger),
    }
    target = output_dir / REPORT_NAME
    with atomic_write(target) as temp:
        write_report(temp, frames, project_columns(config))
    batch.outputs.append(target)


def check_folders(input_dir: Path, output_dir: Path) -> None:
    """Refuse an output folder that is, or lies inside, the input folder, or holds it: from the second
    run on the tool would read its own output, or write among the inputs."""
    if inside(output_dir, input_dir) or inside(input_dir, output_dir):
        raise OutputError(f"输入文件夹 {input_dir} 和输出文件夹 {output_dir} 相同或互相包含：请把输出写到"
                          "输入文件夹以外的地方（例如 perfxl run input output）")


@contextlib.contextmanager
def locked(output_dir: Path):
    """The output folder's lock; OutputError when another run holds it or the folder cannot be made."""
    try:
        with output_lock(output_dir):
            yield
    except OutputBusy as error:
        raise OutputError(str(error)) from error
    except OSError as error:
        raise OutputError(output_problem(error, output_dir, output_dir)) from error


def run(input_dir: Path, output_dir: Path, config: Config, previous: dict | None = None,
        templates: Path | None = None, jobs: int | None = None, progress: bool = False) -> Batch:
    """Validate the batch and write its outputs, with `jobs` worker processes (default: one per core).

    Refused (OutputError) when the folders overlap or another run is writing into `output_dir`."""
    check_folders(input_dir, output_dir)
    with Workers(jobs) as workers:
        batch = validate(input_dir, config, previous, workers, progress,
                         meanwhile=functools.partial(_prepare_writers, config, templates))
        try:
            with locked(output_dir):
                write_outputs(batch, output_dir, config, templates, workers)
        except OutputError as error:
            error.batch = batch  # so that the caller can still show the inputs' findings
            raise
    return batch
