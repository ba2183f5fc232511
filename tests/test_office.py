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


def _program(folder, name="soffice.exe"):
    program = folder / "LibreOffice" / "program" / name
    program.parent.mkdir(parents=True)
    program.write_bytes(b"")
    return program


def test_setting_wins_over_path(monkeypatch, tmp_path):
    monkeypatch.setattr(office.shutil, "which", lambda name: f"/usr/bin/{name}")
    program = _program(tmp_path)
    assert office.soffice(str(program)) == str(program)


@pytest.mark.parametrize("folder", ["LibreOffice", "LibreOffice/program"])
def test_setting_may_name_the_install_folder(no_path, tmp_path, folder):
    program = _program(tmp_path)
    assert office.soffice(f'"{tmp_path / folder}"') == str(program)  # pasted with Explorer's quotes


def test_setting_that_does_not_exist_is_refused_by_name(no_path, tmp_path):
    with pytest.raises(office.SofficeSettingError, match="pdf.soffice.*不存在"):
        office.soffice(str(tmp_path / "nowhere" / "soffice.exe"))


def test_setting_naming_another_program_is_not_run(no_path, tmp_path):
    other = _program(tmp_path, "cmd.exe")
    with pytest.raises(office.SofficeSettingError, match="不是 LibreOffice 的程序"):
        office.soffice(str(other))


def test_empty_setting_looks_it_up(monkeypatch):
    monkeypatch.setattr(office.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert office.soffice("  ") == "/usr/bin/soffice"
