"""One start-up script for Linux/macOS (make) and Windows (perfxl.cmd).

The version check must run under old Pythons too: keep this file's syntax valid for Python 3.6.
"""
import os
import subprocess
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


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ARGS = ["run", "--examples", "input", "output"]


def venv_bin(venv, platform=sys.platform):
    """The folder of a venv's programs: Scripts on Windows, bin elsewhere."""
    return os.path.join(venv, "Scripts" if platform == "win32" else "bin")


def program(venv, name, platform=sys.platform):
    """The path of a venv program (python, perfxl), with .exe on Windows."""
    suffix = ".exe" if platform == "win32" else ""
    return os.path.join(venv_bin(venv, platform), name + suffix)


def wheelhouse_args(root):
    """pip's arguments to install offline from wheelhouse/ when that folder exists, else none."""
    wheelhouse = os.path.join(root, "wheelhouse")
    if os.path.isdir(wheelhouse):
        return ["--no-index", "--find-links", wheelhouse]
    return []


def perfxl_args(argv):
    """perfxl's arguments: the batch on input/ (samples while input/ is empty) when none are given."""
    return list(argv) if argv else list(DEFAULT_ARGS)


def install(root):
    """Make .venv and install perfxl into it (once; again when pyproject.toml is newer)."""
    venv = os.path.join(root, ".venv")
    stamp = os.path.join(venv, ".installed-runtime")
    python = program(venv, "python")
    if not os.path.exists(python):
        print("正在创建 Python 虚拟环境 " + venv)
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(pyproject):
        return venv
    log = os.path.join(venv, "pip.log")
    print("正在安装 perfxl 及其依赖的软件包（详细信息见 " + log + "）")
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    with open(log, "a") as err:
        status = subprocess.call(command + wheelhouse_args(root) + ["-e", root], stderr=err)
    if status != 0:
        print("安装失败，详见 " + log)
        sys.exit(1)
    open(stamp, "w").close()
    return venv


def main(argv):
    check_version()
    if argv == ["--check"]:
        return 0
    venv = install(ROOT)
    return subprocess.call([program(venv, "perfxl")] + perfxl_args(argv), cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
