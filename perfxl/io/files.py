"""The input folder's files, and output files written so that a killed run never leaves one half-written."""

from __future__ import annotations

import contextlib
import errno
import io
import itertools
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from perfxl.core.errors import PerfxlError
from perfxl.core.model import FAILED, SKIPPED
from perfxl.core.values import strip_invisible

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
CONVERT_SUFFIXES = {".xls": "旧版 Excel（.xls）", ".et": "WPS 表格（.et）", ".ods": "OpenDocument 表格（.ods）",
                    ".xlsb": "Excel 二进制工作簿（.xlsb）", ".csv": "CSV 文本文件", ".numbers": "Numbers 表格"}
TEMP_PREFIX = ".perfxl-"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office files, and encrypted new ones
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
PLACEHOLDER = ".gitkeep"  # keeps the empty input/ folder in git; not an input file


OLE_SCAN_BYTES = 2**20  # where an OLE file's directory names its streams: its first sectors, or those it points to
MAX_RATIO = 200  # a part expanding more than this (and past 1 MB) is a zip bomb: XML deflates about 10 : 1
RATIO_FROM_BYTES = 2**20


def office_container(path: Path) -> str:
    """What an Office file is: "special" (not a regular file: a FIFO, a device), or what its first bytes
    say: "empty", "encrypted", "legacy" (.xls/.doc) or "".

    Never reads a whole file: an encrypted document is told from the stream names in the OLE directory,
    looked for in the first MB and in the first directory sector the header points to. Never waits: a
    FIFO is opened without blocking and told apart before anything is read."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return "special"
        head = handle.read(OLE_SCAN_BYTES)
        if not head:
            return "empty"
        if head[:8] != OLE_MAGIC:
            return ""
        if ENCRYPTED_MARK in head:
            return "encrypted"
        shift = int.from_bytes(head[0x1E:0x20], "little")
        if len(head) >= 0x34 and shift in (9, 12):  # 512- or 4096-byte sectors, as the format allows
            handle.seek((int.from_bytes(head[0x30:0x34], "little") + 1) << shift)
            if ENCRYPTED_MARK in handle.read(4 << shift):
                return "encrypted"
    return "legacy"


class OversizedFile(PerfxlError):
    """A file, or what it expands to, is larger than perfxl reads; the message says which limit."""


def read_zip(path: Path | bytes, max_bytes: int, wanted: Callable[[str], bool] = lambda name: True) -> dict[str, bytes]:
    """The members of the zip at `path` (or in the bytes `path`) that `wanted` names (all by default), in its order; refused
    (OversizedFile) before reading when the file or its members' total expands past `max_bytes`, or a
    member expands more than MAX_RATIO times. Members are read bounded by the sizes their headers give
    (zipfile checks them and their CRC). Raises zipfile.BadZipFile for a damaged file."""
    limit = f"{max_bytes // 2**20} MB"
    if (len(path) if isinstance(path, bytes) else path.stat().st_size) > max_bytes:
        raise OversizedFile(f"文件超过 {limit}，疑似异常文件，已拒绝读取")
    with zipfile.ZipFile(io.BytesIO(path) if isinstance(path, bytes) else path) as archive:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > max_bytes:
            raise OversizedFile(f"文件解压后超过 {limit}，疑似异常文件，已拒绝读取")
        for info in infos:
            if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise OversizedFile(f"文件中的 {info.filename} 压缩比异常（解压后 {info.file_size // 2**20} MB），"
                                    "疑似异常文件，已拒绝读取")
        return {info.filename: archive.read(info) for info in infos if wanted(info.filename)}


@dataclass(frozen=True)
class InputFile:
    """A file under the input folder; `status`/`message` are set when it is not to be read."""

    path: Path
    name: str  # relative to the input folder, with `/`
    status: str = ""
    message: str = ""


def _os_reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "没有读取权限"
    if error.errno == errno.ELOOP:
        return "链接循环指向自身"
    return error.strerror or type(error).__name__


def _kind_problem(path: Path, folder: Path, name: str) -> InputFile | None:
    """The ledger row of what cannot be read as a file: a dangling or looping link, one leading out of
    the input folder, a FIFO or device (reading it would block or never end), a file without permission."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except FileNotFoundError:
            return InputFile(path, name, FAILED, "这是一个链接（快捷方式），指向的文件不存在：请放入文件本身")
        except (OSError, RuntimeError):  # RuntimeError: a loop, before Python 3.13
            return InputFile(path, name, FAILED, "这是一个循环指向自身的链接：请放入文件本身")
        if not inside(target, folder):
            return InputFile(path, name, SKIPPED, f"这是指向 input 文件夹以外（{target}）的链接，已跳过")
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return InputFile(path, name, FAILED, f"无法读取该文件（{_os_reason(error)}）：请检查文件权限")
    if not stat.S_ISREG(mode):
        return InputFile(path, name, SKIPPED, "不是普通文件（命名管道、设备等），已跳过")
    if not os.access(path, os.R_OK):
        return InputFile(path, name, FAILED, "无法读取该文件（没有读取权限）：请检查文件权限")
    return None


def display_name(name: str) -> str:
    """A relative file name for the ledger and the terminal. A name that is not valid UTF-8 (a GBK name
    from a Windows zip) is shown decoded as GBK, else with its odd bytes as `\\xNN`."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="backslashreplace")


def _classify(path: Path, name: str, folder: Path) -> InputFile:
    suffix = path.suffix.lower()
    if path.name.startswith("~$"):
        return InputFile(path, name, SKIPPED, "Office 临时锁定文件（有人正打开该工作簿），已跳过")
    if any(part.startswith(".") for part in Path(name).parts):
        return InputFile(path, name, SKIPPED, "隐藏文件，已跳过")
    problem = _kind_problem(path, folder, name)
    if problem is not None:
        return problem
    if suffix in WORKBOOK_SUFFIXES:
        return InputFile(path, name)
    if suffix in CONVERT_SUFFIXES:
        return InputFile(path, name, FAILED, f"{CONVERT_SUFFIXES[suffix]}无法读取：请用 Excel 或 WPS 打开，另存为 .xlsx 格式")
    return InputFile(path, name, SKIPPED, "不是电子表格，已跳过")


def discover(folder: Path) -> list[InputFile]:
    """Every file under `folder`, recursively, in a stable order; also a row for each folder that cannot
    be listed and for each link to a folder (not followed)."""
    found = []

    def unlistable(error: OSError) -> None:
        path = Path(error.filename)
        name = display_name(path.relative_to(folder).as_posix() if path != folder else ".") + "/"
        found.append(InputFile(path, name, FAILED, f"文件夹无法打开（{_os_reason(error)}）：请检查该文件夹的权限"))

    for root, dirs, names in os.walk(folder, onerror=unlistable):
        dirs.sort()
        for link in [d for d in dirs if (Path(root) / d).is_symlink()]:
            dirs.remove(link)
            path = Path(root) / link
            found.append(InputFile(path, display_name(path.relative_to(folder).as_posix()) + "/", SKIPPED,
                                   "这是指向文件夹的链接，未进入：请把文件夹本身放入 input"))
        for file_name in sorted(names):
            if file_name in (PLACEHOLDER, LOCK_NAME):  # the lock of a command writing here (import, prepare)
                continue
            path = Path(root) / file_name
            found.append(_classify(path, display_name(path.relative_to(folder).as_posix()), folder))
    return found


def holds_input(folder: Path) -> bool:
    """True when `folder` holds a file the batch would read or report as failed (not only skipped ones)."""
    return folder.is_dir() and any(file.status != SKIPPED for file in discover(folder))


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


def write_unique(candidates: Iterable[Path], write: Callable[[Path], None]) -> Path:
    """Write a new file with `write(temp)` and give it the first of `candidates` (in one folder) that does
    not exist; returns the path taken. Never replaces a file, also not one another command creates in the
    meantime: each name is taken by a hard link, which fails when the name exists, or, where the disk
    has no hard links (FAT, some network shares), by creating it exclusively before the rename.
    FileExistsError when every candidate is taken."""
    candidates = iter(candidates)
    first = next(candidates)
    temp = first.with_name(f"{TEMP_PREFIX}{os.getpid()}-{first.name}")
    try:
        write(temp)
        for target in itertools.chain([first], candidates):
            try:
                _take(temp, target)
                return target
            except FileExistsError:
                continue
        raise FileExistsError(errno.EEXIST, "every name is taken", str(first))
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _take(temp: Path, target: Path) -> None:
    try:
        os.link(temp, target)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this disk: claim the name, then rename over the claim
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        os.replace(temp, target)


MANIFEST_NAME = ".perfxl_manifest.txt"  # the files perfxl wrote into a folder, one name a line
LOCK_NAME = ".perfxl.lock"


class OutputBusy(PerfxlError):
    """Another run is writing into the same output folder."""


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold the output folder's lock (created if needed); raise OutputBusy at once when another run holds it.

    The lock is per process and re-entrant (`perfxl mail` holds it around its run and its mail)."""
    from filelock import FileLock, Timeout

    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_NAME, is_singleton=True)
    try:
        lock.acquire(timeout=0)
    except Timeout as error:
        raise OutputBusy(f"另一个 perfxl 正在写入 {folder}：请等它结束后再运行，或指定其他输出文件夹") from error
    try:
        yield
    finally:
        lock.release()


def inside(path: Path, folder: Path) -> bool:
    """Whether `path`, links followed, is `folder` or lies within it."""
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


class LinkedOutput(PerfxlError, ValueError):
    """An output folder is a link leading elsewhere: perfxl neither writes nor deletes through it."""


def own_folder(output_dir: Path, name: str) -> Path:
    """`output_dir/name`, refused (LinkedOutput) when it is a link leading out of the output folder."""
    folder = output_dir / name
    if folder.is_symlink() and not inside(folder, output_dir):
        raise LinkedOutput(f"输出文件夹中的 {name} 是指向 {folder.resolve()} 的链接：perfxl 不在输出文件夹以外写入或删除"
                         f"文件，请删除该链接（或换一个输出文件夹）")
    return folder


def listed(folder: Path) -> set[str]:
    """The names the manifest of `folder` lists: the files perfxl wrote there."""
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        return set()
    return {name for name in manifest.read_text(encoding="utf-8").splitlines()
            if name and "/" not in name and name not in (".", "..")}


def _list(folder: Path, names: set[str]) -> None:
    with atomic_write(folder / MANIFEST_NAME) as temp:
        temp.write_text("".join(f"{name}\n" for name in sorted(names)), encoding="utf-8")


def record(folder: Path, names: Iterable[str]) -> None:
    """Add `names` to the manifest of `folder`: files perfxl wrote there besides the run's own."""
    _list(folder, listed(folder) | set(names))


def remove_unlisted(folder: Path, keep: set[str]) -> list[str]:
    """Remove the files the manifest of `folder` lists (written by an earlier run, forms and PDFs alike)
    that are not in `keep`; then list `keep`. Returns the names removed, so that the user is told.

    Files perfxl did not write (a stamped scan saved as PDF, a note the user put there) are never
    touched, whatever their names."""
    removed = []
    for name in sorted(listed(folder) - keep):
        path = folder / name
        if path.is_file() and not path.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(name)
    _list(folder, keep)
    return removed


def remove_stale_temps(folder: Path) -> None:
    """Remove temporary files a killed run left behind."""
    for temp in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            temp.unlink()


# Characters no file name may hold on Windows, plus `#` and `%`, which break a hyperlink to the file.
UNSAFE_CHARACTERS = re.compile(r'[\\/:*?"<>|#%\x00-\x1f\x7f]')
RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
# 255 bytes is the file-system limit; atomic_write adds `.perfxl-{pid}-` to the name while writing.
MAX_NAME_BYTES = 255 - 32


def _truncate_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_file_name(stem: str, suffix: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """`stem + suffix` made safe as one file name on Windows, macOS and Linux.

    Separators and other forbidden characters become `_`, bidi controls and invisible characters go, `..`
    cannot remain, no leading dot (hidden file) or `~$` (an Office lock file, which a run skips), no
    trailing space or dot, no reserved Windows device name, at most `max_bytes` in UTF-8.
    """
    name = UNSAFE_CHARACTERS.sub("_", strip_invisible(stem))
    name = re.sub(r"\.{2,}", "_", name).strip().lstrip(".")
    if name.startswith("~$"):
        name = f"_{name[1:]}"
    name = _truncate_utf8(name, max_bytes - len(suffix.encode("utf-8"))).rstrip(" .")
    if not name:
        name = "未命名"
    if name.split(".")[0].strip().upper() in RESERVED_NAMES:
        name = f"_{name}"
    return name + suffix


def form_file_names(projects: list, suffix: str) -> dict[str, str]:
    """Project file -> a distinct safe name `{年度}_{项目名称}{suffix}`, deterministic for the batch.

    Names that clash (also when differing only in case, as on Windows) get the input file's name as a
    suffix; a remaining clash gets a number, in the order of the input files.
    """
    def key(name: str) -> str:
        return name.casefold()

    names = {p.file: safe_file_name(f"{p.year or ''}_{p.project_name or ''}", suffix) for p in projects}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[key(name)] = counts.get(key(name), 0) + 1
    taken: set[str] = set()
    for file in sorted(names):
        stem = names[file][: len(names[file]) - len(suffix)]
        if counts[key(names[file])] > 1:
            stem = _with_tail(stem, safe_file_name(Path(file).with_suffix("").as_posix(), "", 80))
        unique, number = stem + suffix, 1
        while key(unique) in taken:
            number += 1
            unique = _with_tail(stem, str(number)) + suffix
        taken.add(key(unique))
        names[file] = unique
    return names


def _with_tail(stem: str, tail: str, suffix_room: int = 16) -> str:
    """`{stem}_{tail}`, the stem shortened so that the tail survives the length limit."""
    room = MAX_NAME_BYTES - suffix_room - len(tail.encode("utf-8")) - 1
    return safe_file_name(f"{_truncate_utf8(stem, room).rstrip(' .')}_{tail}", "")
