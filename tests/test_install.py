"""Issue 24: installing perfxl; an old Python gets a Chinese message, not pip's log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import bootstrap  # noqa: E402

FAKE_38 = """#!{python}
# a python3 that reports 3.8: runs the given script with sys.version_info of 3.8.10
import runpy, sys
sys.version_info = (3, 8, 10, "final", 0)
if sys.argv[1:2] == ["--version"]:
    print("Python 3.8.10")
    sys.exit(0)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_version_message_names_the_needed_version() -> None:
    message = bootstrap.version_message((3, 8, 10))
    assert message is not None and "Python 3.11" in message and "3.8.10" in message
    assert "python.org" in message and "perfxl.cmd" in message
    assert bootstrap.version_message((3, 11, 0)) is None
    assert bootstrap.version_message((3, 13, 1)) is None


@pytest.mark.skipif(sys.platform == "win32", reason="make and a shell script python3: POSIX only")
def test_make_with_python_38_says_which_version_is_needed(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir()
    fake.write_text(FAKE_38.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    venv = tmp_path / "venv"
    result = subprocess.run(["make", f"VENV={venv}", "run"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "perfxl 需要 Python 3.11 或更高版本，当前是 3.8.10" in output
    assert "pip" not in output.lower() and not venv.exists()


def test_venv_programs_per_platform() -> None:
    assert bootstrap.venv_bin("v", "win32") == os.path.join("v", "Scripts")
    assert bootstrap.venv_bin("v", "linux") == os.path.join("v", "bin")
    assert bootstrap.program("v", "perfxl", "win32") == os.path.join("v", "Scripts", "perfxl.exe")
    assert bootstrap.program("v", "python", "darwin") == os.path.join("v", "bin", "python")


def test_wheelhouse_args_only_when_the_folder_exists(tmp_path: Path) -> None:
    assert bootstrap.wheelhouse_args(str(tmp_path)) == []
    (tmp_path / "wheelhouse").mkdir()
    assert bootstrap.wheelhouse_args(str(tmp_path)) == ["--no-index", "--find-links",
                                                        str(tmp_path / "wheelhouse")]


def test_no_arguments_run_the_batch() -> None:
    assert bootstrap.perfxl_args([]) == ["run", "--examples", "input", "output"]
    assert bootstrap.perfxl_args(["mail", "input", "output"]) == ["mail", "input", "output"]


def test_old_python_stops_bootstrap_with_the_message(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "version_info", (3, 8, 10, "final", 0))
    with pytest.raises(SystemExit) as stop:
        bootstrap.main([])
    assert stop.value.code == 2 and "需要 Python 3.11" in capsys.readouterr().err


def test_windows_entry_finds_python_and_hands_over() -> None:
    script = (ROOT / "perfxl.cmd").read_bytes()
    assert b"\r\n" in script and b"py -3.11" in script and b"tools\\bootstrap.py %*" in script
    assert b"pause" in script
