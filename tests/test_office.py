"""Finding LibreOffice for --pdf: PATH first, else the Windows Program Files folders and the macOS app."""

from __future__ import annotations

import pytest

from perfxl.io import office


@pytest.fixture
def no_path(monkeypatch):
    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    for name in ("ProgramFiles", "ProgramFiles(x86)", "ProgramW6432"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(office, "MAC_SOFFICE", office.Path("/nonexistent/soffice"))


def test_path_wins(monkeypatch):
    monkeypatch.setattr(office.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert office.soffice() == "/usr/bin/soffice"


@pytest.mark.parametrize("variable", ["ProgramFiles", "ProgramFiles(x86)"])
def test_windows_program_files(no_path, monkeypatch, tmp_path, variable):
    exe = tmp_path / "LibreOffice" / "program" / "soffice.exe"
    exe.parent.mkdir(parents=True)
    exe.write_bytes(b"")
    monkeypatch.setenv(variable, str(tmp_path))
    assert office.soffice() == str(exe)


def test_macos_app(no_path, monkeypatch, tmp_path):
    app = tmp_path / "soffice"
    app.write_bytes(b"")
    monkeypatch.setattr(office, "MAC_SOFFICE", app)
    assert office.soffice() == str(app)


def test_none_installed(no_path, monkeypatch, tmp_path):
    monkeypatch.setenv("ProgramFiles", str(tmp_path))  # a Program Files without LibreOffice
    assert office.soffice() is None
