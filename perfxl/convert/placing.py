"""Where an imported or migrated workbook goes when the target folder may already hold the project.

Two workbooks of one project (the same 项目名称, 年度 and unit, as X01 compares them) in the folder fail
the next run with X01 on both. So a form whose project the folder already holds is never written beside
it: when its content is the same, it is skipped with a message; when it differs, it is refused unless
`--replace` was given, which writes it over the workbook that held the project.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
from pathlib import Path

from perfxl.convert.form_book import FormImport, write_form
from perfxl.core.config import Config
from perfxl.core.model import PROJECT_FIELDS, Project
from perfxl.core.values import text_key
from perfxl.io.files import WORKBOOK_SUFFIXES, atomic_write
from perfxl.io.parallel import Workers
from perfxl.target.reader import read_project

Key = tuple[int, str, str]


def project_key(project: Project | None) -> Key | None:
    """The project as X01 tells projects apart; None when a part (or the project) is missing."""
    if project is None or project.year is None or project.unit is None or project.project_name is None:
        return None
    return project.year, text_key(project.unit), text_key(project.project_name)


def content(project: Project) -> tuple:
    """What a workbook says, without where it says it: fields, indicators, 预算明细."""
    fields = (project.layout, *((name, project.get(name)) for name in sorted(PROJECT_FIELDS)),
              *sorted(project.other.items()))
    indicators = tuple((i.level1, i.level2, i.level3, i.written, i.note, tuple(sorted(i.extra.items())))
                       for i in project.indicators)
    lines = tuple((line.item, line.amount, line.note) for line in project.budget_lines)
    return fields, indicators, lines


def held_project(path: Path, config: Config) -> tuple[Key, tuple] | None:
    """The key and content of the project in the workbook at `path`, if it holds one; runs on a worker."""
    try:
        project = read_project(path, path.name, config).project
    except Exception:  # noqa: BLE001 - a workbook that cannot be read holds no project to protect
        return None
    key = project_key(project)
    return None if key is None or project is None else (key, content(project))


def _crashed(path: Path) -> None:
    return None


class Folder:
    """The projects a folder holds (by key, with their content), read once on `workers`, and kept up to
    date as forms are placed."""

    def __init__(self, folder: Path, config: Config, workers: Workers | None = None) -> None:
        self.folder, self.config = folder, config
        self.held: dict[Key, tuple[Path, tuple]] = {}
        paths = [path for path in (sorted(folder.rglob("*")) if folder.is_dir() else [])
                 if path.suffix.lower() in WORKBOOK_SUFFIXES and not path.name.startswith(("~$", "."))]
        with contextlib.nullcontext(workers) if workers is not None else Workers() as pool:
            for path, held in zip(paths, pool.map(functools.partial(held_project, config=config), paths, _crashed),
                                  strict=True):
                if held is not None:
                    self.held.setdefault(held[0], (path, held[1]))

    def place(self, form: FormImport, replace: bool = False) -> None:
        """Write `form` into the folder unless it already holds the project; say what was done."""
        with tempfile.TemporaryDirectory(prefix="perfxl-place-") as temp:
            written = write_form(form, Path(temp), self.config)
            project = read_project(written, written.name, self.config).project
            key = project_key(project)
            form.output = None
            if key is None or project is None or key not in self.held:
                target = write_form(form, self.folder, self.config)
                if key is not None and project is not None:
                    self.held[key] = (target, content(project))
                return
            held, same = self.held[key]
            if same == content(project):
                form.kept = f"与已有的 {held.name} 内容相同，未重复写入"
            elif not replace:
                form.refused = (f"{self.folder.name} 中已有该项目（{held.name}），内容不同，未写入（两份同一项目的工作簿"
                                f"会使两份都报 X01 错误）：请核对两者；确定用导入的内容替换时，加 --replace 重新运行")
            else:
                with atomic_write(held) as target:
                    target.write_bytes(written.read_bytes())
                self.held[key] = (held, content(project))
                form.output = held
                form.notes.append(f"已按 --replace 用导入的内容替换 {held.name}")
