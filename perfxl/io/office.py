"""Where LibreOffice is: perfxl.toml's [pdf] soffice when set, else on PATH (soffice or libreoffice), else
where its installers put it on Windows and macOS, since Windows installers do not add it to PATH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MAC_SOFFICE = Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")
# what a configured program may be called
PROGRAMS = [f"{name}{suffix}" for name in ("soffice", "libreoffice") for suffix in ("", ".exe", ".com")]


class SofficeSettingError(ValueError):
    """[pdf] soffice names no LibreOffice program."""


def usual_places() -> list[Path]:
    """The soffice programs of the usual installations, Windows' Program Files folders first."""
    places = [Path(root) / "LibreOffice" / "program" / "soffice.exe"
              for root in (os.environ.get(v) for v in ("ProgramFiles", "ProgramFiles(x86)", "ProgramW6432")) if root]
    return places + [MAC_SOFFICE]


def configured(setting: str) -> str:
    """The program [pdf] soffice names: the program itself, or the LibreOffice folder (or its program/)
    it is in. Only a program called soffice or libreoffice is run, whatever else the setting names."""
    path = Path(setting.strip().strip('"')).expanduser()
    if path.is_dir():
        inside = [path / folder / program for folder in ("", "program") for program in PROGRAMS]
        path = next((candidate for candidate in inside if candidate.is_file()), path)
    if not path.is_file():
        raise SofficeSettingError(f"配置项「pdf.soffice」（perfxl.toml）所写的「{setting}」不存在：请写 LibreOffice 的 soffice 程序的完整路径"
                                  r"（如 C:\Program Files\LibreOffice\program\soffice.exe），或留空由 perfxl 自动查找")
    if path.name.lower() not in PROGRAMS:
        raise SofficeSettingError(f"配置项「pdf.soffice」（perfxl.toml）所写的「{setting}」不是 LibreOffice 的程序：应为 soffice.exe"
                                  "（Windows）或 soffice，在 LibreOffice 安装文件夹的 program 文件夹中")
    return str(path)


def soffice(setting: str = "") -> str | None:
    """The LibreOffice command: the configured one (`setting`, raising SofficeSettingError if it names
    none), else the installed one if any."""
    if setting.strip():
        return configured(setting)
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return next((str(place) for place in usual_places() if place.is_file()), None)
