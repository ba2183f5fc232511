"""The input folder's files, and output files written so that a killed run never leaves one half-written."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .model import FAILED, SKIPPED

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
CONVERT_SUFFIXES = {".xls": "旧版 Excel（.xls）", ".et": "WPS 表格（.et）", ".ods": "OpenDocument 表格（.ods）",
                    ".xlsb": "Excel 二进制工作簿（.xlsb）", ".csv": "CSV 文本文件", ".numbers": "Numbers 表格"}
TEMP_PREFIX = ".perfxl-"


@dataclass(frozen=True)
class InputFile:
    """A file under the input folder; `status`/`message` are set when it is not to be read."""

    path: Path
    name: str  # relative to the input folder, with `/`
    status: str = ""
    message: str = ""


def _classify(path: Path, name: str) -> InputFile:
    suffix = path.suffix.lower()
    if path.name.startswith("~$"):
        return InputFile(path, name, SKIPPED, "Office 临时锁定文件（有人正打开该工作簿），已跳过")
    if any(part.startswith(".") for part in Path(name).parts):
        return InputFile(path, name, SKIPPED, "隐藏文件，已跳过")
    if suffix in WORKBOOK_SUFFIXES:
        return InputFile(path, name)
    if suffix in CONVERT_SUFFIXES:
        return InputFile(path, name, FAILED, f"{CONVERT_SUFFIXES[suffix]}无法读取：请用 Excel 或 WPS 打开，另存为 .xlsx 格式")
    return InputFile(path, name, SKIPPED, "不是电子表格，已跳过")


def discover(folder: Path) -> list[InputFile]:
    """Every file under `folder`, recursively, in a stable order."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for file_name in sorted(names):
            path = Path(root) / file_name
            found.append(_classify(path, path.relative_to(folder).as_posix()))
    return found


@contextlib.contextmanager
def atomic_write(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename."""
    temp = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{target.name}")
    try:
        yield temp
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def remove_stale_temps(folder: Path) -> None:
    """Remove temporary files a killed run left behind."""
    for temp in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            temp.unlink()
