"""The batch: read every input file, apply the rules, write the outputs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from openpyxl.utils import column_index_from_string

from .catalogue import finding
from .config import Config
from .files import InputFile, atomic_write, discover, remove_stale_temps
from .frames import budget_line_frame, finding_frame, indicator_frame, ledger_frame, project_frame
from .model import ERROR, FAILED, PROCESSED, REQUIRED_SHEETS, WARNING, Finding, LedgerEntry, Project
from .reader import read_project
from .report import REPORT_NAME, write_report
from .rules import check_batch, check_project


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


def _ledger_message(file: InputFile, findings: list[Finding], failure: str) -> str:
    if failure:
        return failure
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = sum(1 for f in findings if f.severity == WARNING)
    if errors:
        return f"已读取；有 {errors} 个错误、{warnings} 个警告，未通过，不生成目标表"
    return f"已读取；{warnings} 个警告" if warnings else "已读取，未发现问题"


def process_file(file: InputFile, config: Config) -> tuple[Project | None, list[Finding], LedgerEntry]:
    """Read and check one input file; everything a worker does for one file. Never raises for one file."""
    if file.status == FAILED:
        reason, _, todo = file.message.partition("：")
        return None, [finding("S01", file.name, reason=reason, todo=todo)], LedgerEntry(file.name, FAILED, file.message)
    if file.status:
        return None, [], LedgerEntry(file.name, file.status, file.message)
    try:
        return _read_and_check(file, config)
    except Exception as error:  # noqa: BLE001 - one file's surprise must not end the batch
        reason = f"读取时发生意外错误（{type(error).__name__}: {str(error)[:200]}）"
        todo = "请用 Excel 打开该文件另存为 .xlsx 后重试；如仍失败，请把该文件发给技术支持"
        return None, [finding("S01", file.name, reason=reason, todo=todo)], LedgerEntry(file.name, FAILED,
                                                                                         f"{reason}：{todo}")


def _read_and_check(file: InputFile, config: Config) -> tuple[Project | None, list[Finding], LedgerEntry]:
    result = read_project(file.path, file.name, config)
    findings = result.findings
    if result.project is not None and not result.failure:
        findings = findings + [replace(f, project_name=result.project.name)
                               for f in check_project(result.project, config)]
    status = FAILED if result.failure else PROCESSED
    return result.project, findings, LedgerEntry(file.name, status, _ledger_message(file, findings, result.failure))


_CELL = re.compile(r"([A-Z]+)(\d+)")


def _sort_key(f: Finding) -> tuple:
    match = _CELL.fullmatch(f.cell)
    position = (int(match.group(2)), column_index_from_string(match.group(1))) if match else (0, 0)
    sheet = REQUIRED_SHEETS.index(f.sheet) if f.sheet in REQUIRED_SHEETS else -1
    return (f.file, sheet, position, f.rule, f.message)


def apply_overrides(findings: list[Finding], config: Config) -> list[Finding]:
    """Drop disabled rules, apply per-rule severities, and sort into a stable order."""
    disabled = set(config.rules["disabled"])
    severity = config.rules["severity"]
    kept = [replace(f, severity=severity.get(f.rule, f.severity)) for f in findings if f.rule not in disabled]
    return sorted(kept, key=_sort_key)


def validate(input_dir: Path, config: Config, previous: dict | None = None) -> Batch:
    """Read and check every file under `input_dir`; writes nothing."""
    batch = Batch()
    for file in discover(input_dir):
        project, findings, entry = process_file(file, config)
        if project is not None:
            batch.projects.append(project)
        batch.findings.extend(findings)
        batch.ledger.append(entry)
    usable = [p for p in batch.projects if p.file not in {e.file for e in batch.ledger if e.status == FAILED}]
    batch.findings = apply_overrides(batch.findings + check_batch(usable, config, previous), config)
    return batch


def write_outputs(batch: Batch, output_dir: Path) -> None:
    """Write the consolidated workbook of `batch` into `output_dir`."""
    target = output_dir / REPORT_NAME
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(output_dir)
        frames = {
            "projects": project_frame(batch.projects, batch.findings, batch.forms),
            "indicators": indicator_frame(batch.projects),
            "budget_lines": budget_line_frame(batch.projects),
            "findings": finding_frame(batch.findings),
            "ledger": ledger_frame(batch.ledger),
        }
        with atomic_write(target) as temp:
            write_report(temp, frames)
        batch.outputs.append(target)
    except OSError as error:
        raise OutputError(_output_problem(error, output_dir, target)) from error


def _output_problem(error: OSError, output_dir: Path, target: Path) -> str:
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


def run(input_dir: Path, output_dir: Path, config: Config, previous: dict | None = None) -> Batch:
    """Validate the batch and write its outputs."""
    batch = validate(input_dir, config, previous)
    try:
        write_outputs(batch, output_dir)
    except OutputError as error:
        error.batch = batch  # so that the caller can still show the inputs' findings
        raise
    return batch

