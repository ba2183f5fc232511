"""Issue 24: offline install; a wheelhouse for this machine, then pip install . and pipx install . from it
with --no-index."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.mark.skipif(sys.platform == "win32", reason="venv bin/ layout: POSIX")
def test_install_from_wheelhouse_without_index(tmp_path: Path) -> None:
    wheels = tmp_path / "wheelhouse"
    built = subprocess.run([sys.executable, str(ROOT / "tools" / "wheelhouse.py"), str(wheels), "--here"],
                           capture_output=True, text=True, timeout=120, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("perfxl-*.whl")
    # the build log: no setuptools warning (byte-compiling is off where PYTHONDONTWRITEBYTECODE is set;
    # this machine's pip index configuration warns about folders it lacks: neither is about perfxl)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    log = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path / "w"),
                          str(ROOT)], capture_output=True, text=True, timeout=120, env=env, check=True)
    warnings = [line for line in (log.stdout + log.stderr).splitlines()
                if "warn" in line.lower() and "Location 'file:" not in line]
    assert warnings == []
    with zipfile.ZipFile(wheel) as archive:
        assert any(name.endswith("/LICENSE") or name.endswith("licenses/LICENSE") for name in archive.namelist())
    offline = ["--no-index", "--find-links", str(wheels)]
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    # pip install . (built from the folder: setuptools comes from the wheelhouse too)
    installed = subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                                *offline, str(ROOT)], capture_output=True, text=True, timeout=120, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert [line for line in installed.stderr.splitlines() if "warn" in line.lower()] == []
    _runs(target / "bin" / "perfxl")
    # pipx install . (its own environment; pipx upgrades pip there, also from the wheelhouse)
    pipx = {key: str(tmp_path / "pipx" / key) for key in ("PIPX_HOME", "PIPX_BIN_DIR", "PIPX_MAN_DIR")}
    installed = subprocess.run([sys.executable, "-m", "pipx", "install", "--pip-args", " ".join(offline), str(ROOT)],
                               capture_output=True, text=True, timeout=180, env={**os.environ, **pipx}, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    _runs(Path(pipx["PIPX_BIN_DIR"]) / "perfxl")


def _runs(program: Path) -> None:
    rules = subprocess.run([str(program), "rules"], capture_output=True, text=True, timeout=60, check=False)
    assert rules.returncode == 0 and "S01" in rules.stdout, rules.stderr
