"""perfxl migrate: workbooks (or Word forms) of an older layout (上海2020, 上海2023) become workbooks of
the layout whose file holds a migration table for it (上海2026).

What goes where is data: the target layout's `[migrate.from."…"]` table (perfxl/layouts/) names the
fields carried over, the 项目类别 → 项目性质 values, the 一级/二级 mapping of the indicators, the 一级
dropped, the defaults a person should check and the fields and indicators a person must fill. The
预算明细 lines and each indicator's 备注 are carried as they are; whatever has no place in the new layout
is named on screen. Cells left to a person are highlighted and commented (form_book.mark_cells);
nothing is overwritten, and a project the folder already holds is not written twice (placing.Folder).
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from perfxl.convert.form_book import FormImport, Mark, roll_forward, write_form
from perfxl.convert.importer import WORD_SUFFIXES, find_documents, read_document
from perfxl.convert.placing import Folder
from perfxl.core.config import Config, ConfigError
from perfxl.core.errors import PerfxlError, os_problem
from perfxl.core.layout import Layout, Migration, check_migrations
from perfxl.core.model import Project
from perfxl.engine.batch import locked
from perfxl.io.docxread import UnreadableDocument
from perfxl.io.parallel import Workers
from perfxl.target.reader import read_project

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


class NotMigratable(PerfxlError):
    """A file perfxl migrate cannot use; the message says why and what to do."""


@dataclass
class Migrated:
    """One project carried into the new layout: the form written, and what the user is told about it."""

    form: FormImport
    mapped: list[str] = field(default_factory=list)  # target fields the migration table fills, in form order
    dropped: list[str] = field(default_factory=list)  # source fields and indicators with no place
    notes_carried: list[str] = field(default_factory=list)  # what else was carried (预算明细)
    indicators: int = 0  # indicators carried

    def carried(self) -> list[str]:
        """The labels of the mapped fields that hold a value in the form as written (after --year)."""
        return [self.form.layout.label(name) for name in self.mapped if self.form.values.get(name) not in (None, "")]


@dataclass
class MigrateResult:
    """What became of one source file: its projects, or why it could not be migrated."""

    file: str
    projects: list[Migrated] = field(default_factory=list)
    failure: str = ""


def _level_order(layout: Layout, level1: str, level2: str) -> tuple[int, int]:
    """Where an indicator sits in the form: by its 一级, then its 二级 (unknown ones last)."""
    names = list(layout.hierarchy)
    if level1 not in layout.hierarchy:
        return len(names), 0
    level2s = layout.hierarchy[level1]
    return names.index(level1), level2s.index(level2) if level2 in level2s else len(level2s)


def migration_for(config: Config, source: str) -> tuple[Layout, Migration] | None:
    """The layout a workbook of layout `source` migrates to (the default layout first), and its table."""
    for layout in sorted(config.layouts.values(), key=lambda layout: layout.name != config.default_layout):
        if source in layout.migrate.from_:
            return layout, layout.migrate.from_[source]
    return None


def _indicators(project: Project, source: Layout, target: Layout, migration: Migration, done: Migrated) -> None:
    """The project's indicators under their mapped 一级/二级 in form order (三级, value and 备注 as written);
    a dropped 一级's indicators listed; a required 一级 the project lacks added as an empty marked row."""
    rows: list[tuple[list[str], str]] = []  # (row, note of its mark or "")
    noted = target.column("note") is not None
    for ind in project.indicators:
        done.dropped += [f"指标「{ind.level3}」的{column.header}" for column in source.columns[4:]
                         if ind.extra.get(column.name) and target.column(column.name) is None]
        if ind.note and not noted:
            done.dropped.append(f"指标「{ind.level3}」的备注")
        mapped = migration.indicators.get(f"{ind.level1}/{ind.level2}") or migration.indicators.get(ind.level1)
        if mapped:
            rows.append(([*mapped.split("/"), ind.level3, ind.written, ind.note], ""))
        elif ind.level1 in migration.dropped:
            done.dropped.append(f"{ind.level1}「{ind.level3}」")
        else:
            rows.append(([ind.level1, ind.level2, ind.level3, ind.written, ind.note],
                         f"{source.name} 的「{ind.level1}/{ind.level2}」无法对应到 {target.name}：请改为"
                         f"{'、'.join(target.hierarchy)} 之一及其二级指标"))
    done.indicators = len(rows)
    present = {row[0] for row, _ in rows}
    rows += [([*path.split("/"), "", "", ""], note) for path, note in migration.required.items()
             if path.split("/")[0] not in present]
    rows.sort(key=lambda item: _level_order(target, item[0][0], item[0][1]))
    done.form.indicators = [row for row, _ in rows]
    done.form.marks += [Mark(note, indicator=i) for i, (_, note) in enumerate(rows) if note]


def _fields(project: Project, source: Layout, target: Layout, migration: Migration, done: Migrated) -> None:
    values = done.form.values
    for name, was in migration.fields.items():
        value = project.get(was)
        if name in migration.values and value is not None:
            value = migration.values[name].get(str(value))
            if value is None:
                done.form.marks.append(Mark(f"原表{source.label(was)}为「{project.get(was)}」，无法对应：请从列表中选择"
                                            f"{target.label(name)}", field=name))
        values[name] = value
    values.update(dict.fromkeys(migration.zero, 0))
    for name, review in migration.review.items():
        values[name] = review.value
        done.form.marks.append(Mark(review.note, field=name, review=True))
    carried_from = set(migration.fields.values())
    done.dropped += [source.label(spec.name) for spec in source.fields
                     if spec.name not in carried_from and project.get(spec.name) not in (None, "")]


def _left_to_fill(target: Layout, migration: Migration, done: Migrated) -> None:
    """Mark every required field still empty: the layout's own note, or one naming the source's gap."""
    marked = {mark.field for mark in done.form.marks}
    for spec in target.fields:
        if spec.need == "required" and done.form.values.get(spec.name) in (None, "") and spec.name not in marked:
            note = migration.fill.get(spec.name) or f"原表中没有可带入「{target.label(spec.name)}」的内容：请填写"
            done.form.marks.append(Mark(note, field=spec.name))


def _budget_lines(project: Project, target: Layout, done: Migrated) -> None:
    """The 预算明细 lines as written; the layout's annual amount is what they add up to (B09)."""
    done.form.budget_lines = [[line.item, line.amount, line.note] for line in project.budget_lines]
    if project.budget_lines:
        done.notes_carried.append(f"预算明细 {len(project.budget_lines)} 行（合计应等于{target.label(target.budget.annual)}）")


def migrate_project(project: Project, file: str, config: Config, given: dict[str, object] | None = None) -> Migrated:
    """`project` as a form of the layout it migrates to, by that layout's migration table; `given` fills
    fields the source does not know (e.g. 主管部门 from --department)."""
    source = config.layout(project.layout)
    found = migration_for(config, project.layout)
    if found is None:
        raise NotMigratable(f"{project.layout} 版式的工作簿无需迁移：请直接放入 input 校验")
    target, migration = found
    done = Migrated(FormImport(file, target))
    _fields(project, source, target, migration, done)
    _budget_lines(project, target, done)
    done.form.values.update({name: value for name, value in (given or {}).items() if value})
    _indicators(project, source, target, migration, done)
    _left_to_fill(target, migration, done)
    done.mapped = [spec.name for spec in target.fields if spec.name in migration.fields]
    return done


Source = tuple[str, Project, list[str]]  # shown name, project, what the importer could not read of its form


def _projects(path: Path, config: Config) -> list[Source]:
    """(shown name, project, unread) of each project in the workbook or Word document at `path`."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        read = read_project(path, path.name, config)
        if read.project is None:
            raise NotMigratable(read.failure)
        return [(path.name, read.project, [])]
    if path.suffix.lower() not in WORD_SUFFIXES:
        raise NotMigratable("不是工作簿（.xlsx）或 Word 文档（.docx）：请给出旧版式的申报工作簿或目标表")
    try:
        forms = read_document(path, path.name, config)
    except UnreadableDocument as error:
        raise NotMigratable(str(error)) from error
    with tempfile.TemporaryDirectory(prefix="perfxl-migrate-") as temp:
        projects = [(form.source, read_project(write_form(form, Path(temp), config), form.source, config).project,
                     form.missing) for form in forms]
    return [(source, project, missing) for source, project, missing in projects if project is not None]


def read_source(path: Path, config: Config) -> tuple[list[Source] | None, str]:
    """The projects of the file at `path`, or why there are none; runs on a worker, never raises."""
    try:
        return _projects(path, config), ""
    except NotMigratable as error:
        return None, str(error)
    except OSError as error:  # a Word form is read through a workbook in the temporary folder
        return None, f"读取时无法写入临时文件夹（{tempfile.gettempdir()}）：{os_problem(error)}"
    except Exception as error:  # noqa: BLE001 - one file's surprise must not end the migration
        return None, (f"读取时发生意外错误（{type(error).__name__}）：请用 Excel 或 Word 打开该文件另存后重试；"
                      "如仍失败，请把该文件发给技术支持")


def _crashed(path: Path) -> tuple[None, str]:
    return None, "读取该文件时程序异常退出，文件可能已损坏：请用 Excel 或 Word 打开后另存再试"


def _not_migratable(project: Project, config: Config) -> str:
    """Why `project` cannot be migrated (its layout has no migration table anywhere), or ""."""
    if migration_for(config, project.layout) is not None:
        return ""
    sources = "、".join(dict.fromkeys(name for layout in config.layouts.values() for name in layout.migrate.from_))
    return f"是 {project.layout} 版式，无需迁移（可迁移的版式：{sources}）：请直接放入 input 校验"


def migrate_file(path: Path, folder: Path | Folder, config: Config, year: int | None = None,
                 given: dict[str, object] | None = None,
                 read: tuple[list[Source] | None, str] | None = None, replace: bool = False) -> MigrateResult:
    """Migrate every project of an older layout in the file at `path` (as `read` read it, else read now)
    into a workbook of the layout it migrates to in `folder` (never beside a workbook of the same project);
    `year` rolls it forward as import --year does. Never raises for content."""
    result = MigrateResult(str(path))
    projects, result.failure = read or read_source(path, config)
    if projects is None:
        return result
    place = folder if isinstance(folder, Folder) else Folder(folder, config)
    refused = [f"{file}：{why}" for file, project, _ in projects if (why := _not_migratable(project, config))]
    result.failure = "；".join(refused)
    for file, project, unread in projects:
        if _not_migratable(project, config):
            continue
        try:
            done = migrate_project(project, file, config, given)
            done.form.notes += [f"原 Word 表中未能读取：{text}" for text in unread]
            if year is not None:
                roll_forward(done.form, year)
            place.place(done.form, replace)
        except OSError as error:
            result.failure = f"无法写入 {place.folder}：{os_problem(error)}"
            break
        except Exception as error:  # noqa: BLE001 - one file's surprise must not end the migration
            result.failure = (f"{file}：迁移时发生意外错误（{type(error).__name__}）：请用 Excel 或 Word 打开该文件另存后重试；"
                              "如仍失败，请把该文件发给技术支持")
            continue
        result.projects.append(done)
    return result


def migrate_files(paths: list[Path], folder: Path, config: Config, year: int | None = None,
                  given: dict[str, object] | None = None, jobs: int | None = None,
                  replace: bool = False) -> list[MigrateResult]:
    """migrate_file for each of `paths`, read on worker processes (a file that crashes its reader costs
    that file) and written here under the folder's lock; raises ConfigError, before any file, when no
    layout holds a migration table or a table does not fit the layouts' lists as configured (a 一级 or
    value perfxl.toml has changed)."""
    if not any(layout.migrate.from_ for layout in config.layouts.values()):
        raise ConfigError("没有任何版式带有 [migrate.from.\"…\"] 对应关系")
    if problems := check_migrations(config.layouts, lists=True):
        raise ConfigError("；".join(problems))
    with locked(folder), Workers(jobs) as workers:
        readings = workers.map(functools.partial(read_source, config=config), paths, _crashed)
        place = Folder(folder, config, workers)
        return [migrate_file(path, place, config, year, given, read, replace)
                for path, read in zip(paths, readings, strict=True)]


def find_sources(sources: Iterable[Path]) -> list[Path]:
    """The files named, and the workbooks and Word files in the folders named."""
    return find_documents(sources, WORKBOOK_SUFFIXES | WORD_SUFFIXES)


def summary_lines(result: MigrateResult) -> list[str]:
    """Per project: the workbook written, what was carried, what was dropped, what a person must fill."""
    lines = []
    for done in result.projects:
        form = done.form
        fill = [form.layout.label(m.field) if m.field else f"{form.indicators[m.indicator][0]}（第 {m.indicator + 1} 条指标）"
                for m in sorted(form.marks, key=lambda m: not m.field) if not m.review]
        review = [form.layout.label(m.field) + (f"（已写为「{value}」）" if (value := form.values.get(m.field)) else "")
                  for m in form.marks if m.review]
        lines.append(f"{form.source} → {form.output or '（未写出）'}")
        lines += [f"  已跳过：{form.kept}"] if form.kept else []
        lines += [f"  未写入：{form.refused}"] if form.refused else []
        lines.append(f"  已带入：{'、'.join([*done.carried(), *done.notes_carried])}；绩效指标 {done.indicators} 条")
        if done.dropped:
            lines.append(f"  未带入（新版式没有）：{'、'.join(done.dropped)}")
        lines.append(f"  请填写（已标色并加批注）：{'、'.join(fill) or '无'}")
        if review:
            lines.append(f"  请核对：{'、'.join(review)}")
        lines += [f"  请注意：{text}" for text in form.notes]
    if result.failure:
        lines.append(f"{result.file}：失败：{result.failure}")
    return lines
