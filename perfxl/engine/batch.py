"""What a batch found, whatever the form kind: projects, findings, one ledger row per input file; and the
outputs' errors in words a user can act on."""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from perfxl.core.catalogue import finding
from perfxl.core.config import Config
from perfxl.core.errors import PerfxlError, os_problem
from perfxl.core.model import (
    ERROR,
    FAILED,
    PROCESSED,
    REPORT_NAME,
    REQUIRED_SHEETS,
    WARNING,
    Finding,
    LedgerEntry,
    column_index,
)
from perfxl.io.files import TEMP_PREFIX, InputFile, OutputBusy, inside, output_lock

UNEXPECTED_TODO = "请用 Excel 打开该文件另存为 .xlsx 后重试；如仍失败，请把该文件发给技术支持"


class OutputError(PerfxlError):
    """An output file cannot be written; the message says which and why, `batch` what the run found."""

    batch: Batch | None = None


@dataclass
class Batch:
    """What a run found: the projects read, every finding, and one ledger row per input file."""

    projects: list[Any] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)  # project file -> form path relative to output
    outputs: list[Path] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # earlier forms and PDFs this run removed
    timings: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # stage -> seconds

    def add(self, result: FileResult) -> None:
        """One file's result, as a worker returned it."""
        if result.project is not None:
            self.projects.append(result.project)
        self.findings.extend(result.findings)
        self.ledger.append(result.entry)
        self.timings["读取（各进程合计）"] += result.read_seconds
        self.timings["校验（各进程合计）"] += result.check_seconds

    def ledger_message(self, file: str, findings: list[Finding]) -> str:
        """处理清单's words for a file that was read, from its final findings."""
        return _ledger_message(findings)

    def failed_files(self) -> set[str]:
        return {f.file for f in self.findings if f.severity == ERROR}

    def passed(self) -> list[Any]:
        failed = self.failed_files()
        return [p for p in self.projects if p.file not in failed]

    def usable(self) -> list[Any]:
        """The projects of files that were read (not failed), for the batch rules."""
        failed = {e.file for e in self.ledger if e.status == FAILED}
        return [p for p in self.projects if p.file not in failed]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def has_errors(self) -> bool:
        return self.count(ERROR) > 0 or any(e.status == FAILED for e in self.ledger)


class FileResult(NamedTuple):
    """What reading and checking one input file gave; `extra` what the form kind adds (a score)."""

    project: Any
    findings: list[Finding]
    entry: LedgerEntry
    read_seconds: float = 0.0
    check_seconds: float = 0.0
    extra: Any = None


def failed_result(file: InputFile, reason: str, todo: str) -> FileResult:
    return FileResult(None, [finding("S01", file.name, reason=reason, todo=todo)],
                      LedgerEntry(file.name, FAILED, f"{reason}：{todo}"))


def listed_result(file: InputFile) -> FileResult | None:
    """The result of a file discovery already judged (failed or skipped), else None: it is to be read."""
    if file.status == FAILED:
        reason, _, todo = file.message.partition("：")
        return failed_result(file, reason, todo)
    if file.status:
        return FileResult(None, [], LedgerEntry(file.name, file.status, file.message))
    return None


def unexpected_result(file: InputFile, error: Exception) -> FileResult:
    return failed_result(file, f"读取时发生意外错误（{type(error).__name__}: {str(error)[:200]}）", UNEXPECTED_TODO)


def crashed_result(file: InputFile) -> FileResult:
    return failed_result(file, "读取该文件时程序异常退出，文件可能已损坏", "请用 Excel 打开后另存为 .xlsx 再试")


def _ledger_message(findings: list[Finding]) -> str:
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = sum(1 for f in findings if f.severity == WARNING)
    if errors:
        return f"已读取；有 {errors} 个错误、{warnings} 个警告，未通过，不生成目标表"
    return f"已读取；{warnings} 个警告" if warnings else "已读取，未发现问题"


def ledger_view(ledger: list[LedgerEntry], findings: list[Finding],
                message: Callable[[str, list[Finding]], str] | None = None) -> list[LedgerEntry]:
    """The ledger's messages from the final findings (batch rules, severities and disabled rules applied),
    so that 处理清单 and the projects' sheet cannot disagree. `message(file, findings)` words them."""
    by_file: defaultdict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_file[f.file].append(f)
    message = message or (lambda file, found: _ledger_message(found))
    return [replace(e, message=message(e.file, by_file[e.file])) if e.status == PROCESSED else e for e in ledger]


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


def written_path(error: OSError, output_dir: Path, default: str = REPORT_NAME) -> Path:
    """The output file an error is about (not the temporary file it was being written to)."""
    path = Path(error.filename) if error.filename else output_dir / default
    if path.name.startswith(TEMP_PREFIX):
        path = path.with_name(path.name.removeprefix(TEMP_PREFIX).split("-", 1)[1])
    return path


def output_problem(error: OSError, output_dir: Path, target: Path) -> str:
    """What went wrong writing `target`, and what to do, for a user who has never seen a traceback."""
    clash = next((p for p in (output_dir, *output_dir.parents) if p.exists() and not p.is_dir()), None)
    if clash is not None:
        return f"输出文件夹路径中的 {clash} 是一个文件，不是文件夹：请删除或改名该文件，或指定其他输出文件夹"
    if isinstance(error, IsADirectoryError) or (target != output_dir and target.is_dir()):
        return f"无法写入 {target}：同名的文件夹已存在，请删除或改名该文件夹"
    if isinstance(error, PermissionError) and getattr(error, "winerror", None) not in (32, 33):
        return (f"无法写入 {target}：没有写入权限。如果汇总表正在 Excel 或 WPS 中打开，请先关闭；"
                "否则请检查输出文件夹是否只读")
    return f"无法写入 {target}：{os_problem(error)}"


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
