"""Build wheelhouse/: perfxl's wheel and every dependency's wheel for the intranet PCs (no internet there).

python tools/wheelhouse.py [DEST] [--here]: --here downloads for this machine's platform only (the tests).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# pip matches a manylinux2014 wheel to the newer tag name too: both are given
PLATFORMS = {
    "win_amd64": ["win_amd64"],
    "manylinux_x86_64": ["manylinux2014_x86_64", "manylinux_2_17_x86_64"],
    "manylinux_aarch64": ["manylinux2014_aarch64", "manylinux_2_17_aarch64"],
}
VERSIONS = ["3.11", "3.12", "3.13"]
OPTIONAL = {"3.13"}  # left out with a message when a dependency has no wheel for it yet
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]


def dependencies() -> list[str]:
    """perfxl's dependencies, what building it from its folder needs (pip install . offline) and pip
    itself (pipx upgrades it in the environment it makes)."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)
    return [*project["project"]["dependencies"], *project["build-system"]["requires"], "pip"]


def download(dest: Path, platforms: list[str], version: str | None) -> int:
    target: list[str] = []
    for platform in platforms:
        target += ["--platform", platform]
    if version:
        target += ["--python-version", version]
    command = PIP + ["download", "--quiet", "--only-binary", ":all:", *target, "-d", str(dest)]
    return subprocess.call(command + dependencies())


def main(argv: list[str]) -> int:
    here = "--here" in argv
    names = [arg for arg in argv if arg != "--here"]
    dest = Path(names[0]) if names else ROOT / "wheelhouse"
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.check_call(PIP + ["wheel", "--quiet", "--no-deps", "-w", str(dest), str(ROOT)])
    if here:
        return download(dest, [], None)
    for name, platforms in PLATFORMS.items():
        for version in VERSIONS:
            if download(dest, platforms, version) != 0:
                if version not in OPTIONAL:
                    print(f"下载失败：{name} Python {version}")
                    return 1
                print(f"Python {version}（{name}）暂无全部依赖的 wheel，已跳过")
    print(f"已下载到 {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
