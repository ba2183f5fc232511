"""One base for every problem perfxl reports to the user, and the words for what the system said."""

from __future__ import annotations

import errno


class PerfxlError(Exception):
    """A problem the user can act on: the message says what happened and what to do next.

    The command line turns any of them into one line and exit code `exit_code`; the subclasses name
    where the problem lies (configuration, an output, a template, mail, ...)."""

    exit_code = 2


def os_problem(error: OSError) -> str:
    """What an OSError means, in the words a user can act on; never a guess at another cause."""
    number = error.errno
    winerror = getattr(error, "winerror", None)
    if winerror in (32, 33):  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION: open in Excel, WPS or Word
        return "文件被占用（可能正在 Excel、WPS 或 Word 中打开），请关闭该文件后重试"
    if number in (errno.EACCES, errno.EPERM):
        return "没有写入权限：请检查该文件或文件夹是否只读、是否正在其他程序中打开"
    if number == errno.EROFS:
        return "所在的磁盘或文件夹是只读的：请换一个可写的文件夹"
    if number in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "磁盘已满：请清理磁盘空间，或换一个有空间的文件夹"
    if number in (errno.EBUSY, errno.ETXTBSY):
        return "文件被占用：请关闭正在使用它的程序后重试"
    if number == errno.ENOENT:
        return "文件或文件夹不存在（可能在运行中被移动或删除）"
    if number == errno.ENAMETOOLONG:
        return "路径太长：请把项目文件夹放到更短的路径下（例如 D:\\perfxl）"
    if number == errno.EISDIR:
        return "同名的文件夹已存在：请删除或改名该文件夹"
    if number == errno.ENOTDIR:
        return "路径中有一个同名的文件，不是文件夹：请删除或改名该文件"
    return f"系统报告：{error.strerror or error}"
