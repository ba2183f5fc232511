"""Where LibreOffice is: on PATH (soffice or libreoffice), else where its installers put it on Windows and
macOS, since Windows installers do not add it to PATH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MAC_SOFFICE = Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")


def usual_places() -> list[Path]:
    """The soffice programs of the usual installations, Windows' Program Files folders first."""
    places = [Path(root) / "LibreOffice" / "program" / "soffice.exe"
              for root in (os.environ.get(v) for v in ("ProgramFiles", "ProgramFiles(x86)", "ProgramW6432")) if root]
    return places + [MAC_SOFFICE]


def soffice() -> str | None:
    """The LibreOffice command, if installed."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return next((str(place) for place in usual_places() if place.is_file()), None)
