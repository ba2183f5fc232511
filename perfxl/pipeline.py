"""The batch: read every input file, apply the rules, write the outputs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from openpyxl.utils import column_index_from_string

from .config import Config
from .files import InputFile, atomic_write, discover, remove_stale_temps
from .forms import FORMS_DIR, FormError, write_forms
from .frames import budget_line_frame, finding_frame, indicator_frame, ledger_frame, project_frame
from .model import ERROR, FAILED, PROCESSED, REQUIRED_SHEETS, WARNING, Finding, LedgerEntry, Project
from .reader import read_project
from .report import REPORT_NAME, write_report
from .rules import check_batch, check_project


class OutputError(Exception):
    """An output file cannot be written; the message says which and why."""


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
    """Read and check one input file; everything a worker does for one file."""
    if file.status:
        return None, [], LedgerEntry(file.name, file.status, file.message)
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


def write_outputs(batch: Batch, output_dir: Path, form_template: Path | None = None) -> None:
    """Write the Word forms of the passed projects, then the consolidated workbook, into `output_dir`."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(output_dir)
        batch.forms = _write_forms(batch, output_dir, form_template)
        frames = {
            "projects": project_frame(batch.projects, batch.findings, batch.forms),
            "indicators": indicator_frame(batch.projects),
            "budget_lines": budget_line_frame(batch.projects),
            "findings": finding_frame(batch.findings),
            "ledger": ledger_frame(batch.ledger),
        }
        target = output_dir / REPORT_NAME
        with atomic_write(target) as temp:
            write_report(temp, frames)
        batch.outputs.append(target)
    except OSError as error:
        raise OutputError(f"无法写入 {error.filename or output_dir}：{error.strerror or error}。"
                          "请关闭正在打开的汇总表，或检查输出文件夹是否可写") from error


def _write_forms(batch: Batch, output_dir: Path, form_template: Path | None) -> dict[str, str]:
    if (output_dir / FORMS_DIR).is_dir():
        remove_stale_temps(output_dir / FORMS_DIR)
    try:
        forms = write_forms(batch.passed(), output_dir, form_template)
    except FormError as error:
        raise OutputError(str(error)) from error
    return forms


def run(input_dir: Path, output_dir: Path, config: Config, previous: dict | None = None,
        form_template: Path | None = None) -> Batch:
    """Validate the batch and write its outputs."""
    batch = validate(input_dir, config, previous)
    write_outputs(batch, output_dir, form_template)
    return batch

