"""One start-up script for Linux/macOS (make) and Windows (perfxl.cmd).

The version check must run under old Pythons too: keep this file's syntax valid for Python 3.6.
"""
import sys

MINIMUM = (3, 11)
NEEDED = (
    "perfxl 需要 Python {0}.{1} 或更高版本，当前是 {2}。\n"
    "请从 https://www.python.org/downloads/ 下载安装（Linux 也可在软件中心安装 python{0}.{1}）；\n"
    "Windows 上请双击 perfxl.cmd，它会自动寻找已安装的 Python {0}.{1}+。"
)


def version_message(version):
    """The Chinese message for a too old Python, or None when `version` is new enough."""
    if tuple(version[:2]) >= MINIMUM:
        return None
    current = ".".join(str(part) for part in version[:3])
    return NEEDED.format(MINIMUM[0], MINIMUM[1], current)


def check_version():
    """Exit with the Chinese message (status 2) when this Python is too old."""
    message = version_message(tuple(sys.version_info))
    if message is not None:
        sys.stderr.write(message + "\n")
        sys.exit(2)


if __name__ == "__main__":
    check_version()
    if sys.argv[1:] == ["--check"]:
        sys.exit(0)
