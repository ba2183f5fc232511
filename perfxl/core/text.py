"""Reading a text file a user edits (perfxl.toml, a layout file, a mail template): only a regular file of
bounded size, with or without the BOM Windows Notepad writes; a file in another encoding is refused with
what to do, never decoded as a guess."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from perfxl.core.errors import PerfxlError, os_problem

MAX_TEXT_BYTES = 4 * 2**20  # perfxl.toml and the shipped layout files are a few KB; a template a few


class TextFileError(PerfxlError):
    """A text file cannot be read: not a regular file, too large, or not UTF-8."""


def read_text(path: Path, what: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The text of the file at `path` (`what` names it in messages: 配置文件, 版式文件, 邮件模板)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)  # O_NONBLOCK: opening a FIFO does not wait for a writer
    except OSError as error:
        raise TextFileError(f"无法读取{what} {path}：{os_problem(error)}") from error
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise TextFileError(f"{what} {path} 不是普通文件（文件夹、设备或命名管道）：请给出一个文本文件")
        if info.st_size > max_bytes:
            raise TextFileError(f"{what} {path} 有 {info.st_size / 2**20:.1f} MB，超过 {max_bytes // 2**20} MB 的上限："
                                "请确认给出的是正确的文件")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TextFileError(f"{what} {path} 超过 {max_bytes // 2**20} MB 的上限：请确认给出的是正确的文件")
    return decode(data, f"{what} {path}")


def decode(data: bytes, name: str) -> str:
    """UTF-8 text, a leading BOM removed; TextFileError saying how to save the file otherwise."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TextFileError(f"{name} 是 UTF-16（Unicode）编码：请用记事本打开，另存为时编码选 UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
            guess = "看起来是 GBK（ANSI）编码"
        except UnicodeDecodeError:
            guess = "不是 UTF-8 编码"
        raise TextFileError(f"{name} {guess}（第 {line} 行）：请用记事本打开，另存为时编码选 UTF-8") from error
