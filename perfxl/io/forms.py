"""The Word forms (目标表): one .docx per passed project, filled from templates/目标表.docx.

The template is prepared once per run: docxtpl's own `patch_xml` turns the Word XML of each part
holding placeholders into a jinja2 source, which is compiled once (autoescape on). A form is then one
`render()` of that source plus a zip whose other parts are copied from the template: about a
millisecond, against ~20 ms for python-docx `Document()` + `save()` or docxtpl per document.

What docxtpl does not do is added to the jinja2 source by perfxl.io.render.docx_source.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import jinja2

from perfxl.core.errors import PerfxlError
from perfxl.core.layout import Layout
from perfxl.core.model import FORMS_DIR, Indicator, Project
from perfxl.core.values import yuan
from perfxl.io.files import (
    TEMP_PREFIX,
    OversizedFile,
    atomic_write,
    form_file_names,
    listed,
    read_zip,
    record,
    remove_unlisted,
)
from perfxl.io.form_template import BODIES, template_parts
from perfxl.io.office import SofficeSettingError, soffice
from perfxl.io.render import sandbox
from perfxl.io.render.docx_source import jinja_source, paragraphs_filter
from perfxl.io.render.sandbox import (
    TemplateProblem,
    UnsafeTemplate,
    compile_template,
    environment,
    render,
)

if TYPE_CHECKING:
    pass

FORM_SUFFIX = ".docx"
# A Word template is a few tens of KB, with a logo a few hundred; 20 MB unpacked leaves room for pictures.
MAX_TEMPLATE_BYTES = 20 * 2**20
STORED_BYTES = 64 * 2**10  # fixed parts up to this size in all are copied as they are: faster than deflating
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold
RENDERED_PART = re.compile(r"word/(document|header\d*|footer\d*)\.xml")


class FormError(PerfxlError):
    """A form cannot be written (unusable template, invalid name); the message says which and why."""


def indicator_rows(indicators: list[Indicator]) -> list[dict[str, str]]:
    """The indicator table's rows with vMerge values (runs of equal 一级, and of 二级 within them) and
    whether each keeps with the next row."""
    rows: list[dict[str, str]] = []
    for i, ind in enumerate(indicators):
        prev = indicators[i - 1] if i else None
        nxt = indicators[i + 1] if i + 1 < len(indicators) else None
        same1_prev = prev is not None and prev.level1 == ind.level1
        same1_next = nxt is not None and nxt.level1 == ind.level1
        same2_prev = same1_prev and prev.level2 == ind.level2
        same2_next = same1_next and nxt.level2 == ind.level2
        rows.append({
            "level1": "" if same1_prev else ind.level1, "merge1": _merge(same1_prev, same1_next),
            "level2": "" if same2_prev else ind.level2, "merge2": _merge(same2_prev, same2_next),
            # keep: a 一级 stays on one page, and the last row never stands alone on the next
            "level3": ind.level3, "target": ind.target, "keep": same1_next or i == len(indicators) - 2,
            "note": getattr(ind, "note", ""), **getattr(ind, "extra", {}),  # a 自评 row has neither
        })
    return rows


def _merge(continues: bool, goes_on: bool) -> str:
    return "continue" if continues else ("restart" if goes_on else "")


def form_context(project: Project, layout: Layout) -> dict:
    """Everything the template's placeholders may name, as display text: the layout's fields by name,
    `span` (the plan period, `(2024 年-2026 年)`), `title` and `indicators`."""
    context: dict[str, object] = {}
    parts = {part for total in layout.budget.sums for part in total.parts}  # left empty, a part is 0
    for spec in layout.fields:
        value = project.get(spec.name)
        if spec.kind == "amount" and value is None and spec.name in parts:
            context[spec.name] = yuan(0, layout.amount_decimals)
        elif spec.kind == "amount":
            context[spec.name] = yuan(value, layout.amount_decimals)
        elif isinstance(value, dt.date):
            context[spec.name] = value.isoformat()
        else:
            context[spec.name] = "" if value is None else value
    context.update(title=layout.title, span=project.plan_span, indicators=indicator_rows(project.indicators))
    return context


@dataclass
class FormTemplate:
    """A template prepared for many forms: compiled parts to render, and the parts copied as they are."""

    rendered: dict[str, jinja2.Template]
    copied: dict[str, bytes]
    order: list[str]
    source: str = "内置模板"
    layout: Layout | None = None
    failure: FormError | None = None  # the first form it could not fill: the others fail at once, not each in 10 s
    stored: frozenset[str] = frozenset()  # the small fixed parts copied into each form as they are

    @classmethod
    def load(cls, path: Path | None, layout: Layout) -> FormTemplate:
        """Read and compile the template at `path`, or `layout`'s built-in one when `path` is None.

        Raises FormError when the file is not a usable template.
        """
        if path is None:
            parts = {name: xml.encode("utf-8") for name, xml in template_parts(layout).items()}
            return cls.compile(parts, f"内置模板（{layout.name}）", layout)
        try:
            parts = read_zip(path, MAX_TEMPLATE_BYTES)
        except OversizedFile as error:
            raise FormError(f"目标表模板 {path}：{error}。正常的模板只有几十 KB，"
                            "请检查该文件，或运行 perfxl form-template 重新生成") from error
        except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError, EOFError) as error:
            raise FormError(f"无法读取目标表模板 {path}：{error}。"
                            "请检查该文件，或运行 perfxl form-template 重新生成") from error
        return cls.compile(parts, str(path), layout)

    @classmethod
    def compile(cls, parts: dict[str, bytes], source: str, layout: Layout | None = None) -> FormTemplate:
        """Compile the parts holding placeholders (document, headers, footers); keep the others as bytes."""
        # Imported here: docxtpl (and python-docx under it) is needed once per run, to compile.
        from docxtpl import DocxTemplate
        from lxml import etree

        if "word/document.xml" not in parts:
            raise FormError(f"目标表模板 {source} 不是 Word 文档（缺少 word/document.xml）")
        breaks: list[str] = []
        env = environment(autoescape=True, undefined=jinja2.ChainableUndefined)
        env.filters["paragraphs"] = paragraphs_filter(breaks)
        rendered, copied = {}, {}
        patcher = DocxTemplate(None)  # only its patch_xml is used: a pure function of the XML text
        for name, data in parts.items():
            if RENDERED_PART.fullmatch(name) and (b"{{" in data or b"{%" in data):
                try:
                    rendered[name] = compile_template(env, jinja_source(patcher, data, breaks))
                except UnsafeTemplate as error:
                    raise _unsafe(source, error.expression) from error
                except (jinja2.TemplateError, etree.XMLSyntaxError, TemplateProblem) as error:
                    raise FormError(f"目标表模板 {source} 的 {name} 中占位符有误：{error}") from error
            else:
                copied[name] = data
        return cls(rendered, copied, list(parts), source, layout, stored=_stored(copied))

    def render(self, project: Project) -> dict[str, bytes]:
        """The parts of the form of `project`, in the template's order."""
        if self.failure is not None:
            raise self.failure
        context = self.context(project)
        parts = {}
        for name in self.order:
            if name not in self.rendered:
                parts[name] = self.copied[name]
                continue
            try:
                parts[name] = render(self.rendered[name], context, *_allowance(context)).encode("utf-8")
            except UnsafeTemplate as error:
                raise _unsafe(self.source, error.expression) from error
            except TemplateProblem as error:
                self.failure = FormError(f"模板 {self.source} 的 {name} 无法填写：{error}。"
                                         "请改正模板，或运行 perfxl form-template 重新生成")
                raise self.failure from error
        return parts

    def context(self, project: Project) -> dict:
        """What the placeholders may name; another kind of form (the 自评表) sets its own."""
        return form_context(project, self.layout)

    def write(self, project: Project, target: Path) -> None:
        """Write the form of `project` to `target` (atomically)."""
        package = io.BytesIO()  # built in memory and written in one go: ~70 fewer system calls a form
        with zipfile.ZipFile(package, "w") as archive:
            for name, data in self.render(project).items():
                method = zipfile.ZIP_STORED if name in self.stored else zipfile.ZIP_DEFLATED
                # a fixed time stamp: the same content gives the same bytes, so mail is not sent again
                archive.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, compress_type=method, compresslevel=1)
        with atomic_write(target) as temp:
            temp.write_bytes(package.getbuffer())


ROW_SECONDS = 0.001  # a row of the indicator table renders in about 0.02 ms
ROW_CHARS = 10_000  # its Word XML is about 2 KB, and its texts again, escaped


def _allowance(context: dict) -> tuple[float, int]:
    """(seconds, characters) a form may take: the sandbox's limits, and more for each indicator row and for
    the form's own text, so that a project of 100,000 indicators (which the reader accepts) still gets its
    form while a runaway template does not. Read from the context, so every form kind gets it."""
    rows = context.get("indicators", ())
    texts = sum(len(str(value)) for value in context.values() if isinstance(value, str))
    texts += sum(len(str(value)) for row in rows for value in row.values())
    return sandbox.RENDER_SECONDS + len(rows) * ROW_SECONDS, sandbox.MAX_TEXT + len(rows) * ROW_CHARS + 6 * texts


def _stored(copied: dict[str, bytes]) -> frozenset[str]:
    """The fixed parts stored rather than deflated in each form, smallest first, STORED_BYTES in all: the
    built-in template's (7 KB) are faster copied as they are, and a template whose parts inflate (150 MB
    from 154 KB) still gives compressed forms."""
    stored, total = set(), 0
    for name, data in sorted(copied.items(), key=lambda item: len(item[1])):
        total += len(data)
        if total > STORED_BYTES:
            break
        stored.add(name)
    return frozenset(stored)


def _unsafe(source: str, expression: str) -> FormError:
    return FormError(f"目标表模板 {source} 中有不允许的表达式（{expression}）：模板只能填入项目的字段，不能调用程序。"
                     "请删除该表达式，或运行 perfxl form-template 重新生成模板")


_COMPILED: dict[str, FormTemplate] = {}  # per process: each worker compiles each template once


def resolve_template(layout: Layout, templates: Path) -> Path | None:
    """The Word template of `layout`: its file under `templates` (the project's templates/), else beside
    the layout's own file; None means the built-in one. Raises FormError when a layout of one's own has none."""
    for folder in (templates, Path(layout.source).parent):
        path = folder / layout.form_template
        if path.is_file():
            return path
    if layout.body in BODIES:
        return None
    raise FormError(f"找不到版式「{layout.name}」的目标表模板 {layout.form_template}："
                    f"请把它放在 {templates} 或版式文件 {layout.source} 所在的文件夹中")


def compiled(path: Path | None, layout: Layout) -> FormTemplate:
    """The template at `path` (None: `layout`'s built-in one), compiled once per process."""
    key = f"{layout.name}:{path}:{path.stat().st_mtime_ns if path is not None else ''}"
    if key not in _COMPILED:
        _COMPILED[key] = FormTemplate.load(path, layout)
    return _COMPILED[key]


def plan_forms(projects: list[Project], output_dir: Path, folder_name: str = FORMS_DIR) -> dict[str, Path]:
    """Project file -> the form's path in output_dir/目标表 (or `folder_name`): safe, unique names."""
    folder = output_dir / folder_name
    names = form_file_names(projects, FORM_SUFFIX)
    for name in names.values():
        if Path(name).name != name or name in (".", ".."):  # one plain name in the folder, never a path
            raise FormError(f"目标表文件名无效：{name}")
    return {project.file: folder / names[project.file] for project in projects}


class FormChunk(NamedTuple):
    """Forms to write in one go: each layout's (template path, layout), and (project, target) pairs."""

    sources: dict[str, tuple[Path | None, Layout]]
    pairs: list[tuple[Project, Path]]


def write_form_chunk(chunk: FormChunk) -> None:
    """Write the forms of one chunk, each in its project's layout; what a worker does."""
    templates = {name: compiled(path, layout) for name, (path, layout) in chunk.sources.items()}
    for project, target in chunk.pairs:
        try:
            templates[project.layout].write(project, target)
        except OSError as error:  # a full disk names no file: name the form, not the consolidated workbook
            raise OSError(error.errno, error.strerror, str(target)) from error


def remove_stale_forms(folder: Path, keep: Iterable[str]) -> list[str]:
    """Remove forms this run did not write and every PDF perfxl made of a form (it may not match the form
    written now), so no stale form is emailed; only files an earlier run wrote (its manifest), never the
    user's own, e.g. a stamped scan saved beside the forms. Returns the names removed."""
    return remove_unlisted(folder, set(keep))


class PdfUnavailable(PerfxlError):
    """LibreOffice is not installed, so no PDF can be made."""


def convert_to_pdf(forms: list[Path], setting: str = "", timeout: float = 600) -> list[Path]:
    """Write a PDF beside each form with one LibreOffice call a folder; returns the PDFs written.
    `setting`: [pdf] soffice, the LibreOffice program (empty: looked up).

    The PDFs are made in a temporary folder and moved beside the forms, each listed in the folder's
    manifest; a PDF of the same name that perfxl did not write (the user's scan) is left as it is."""
    try:
        command = soffice(setting)
    except SofficeSettingError as error:
        raise PdfUnavailable(f"{error}；未生成 PDF") from error
    if command is None:
        raise PdfUnavailable("未安装 LibreOffice（找不到 soffice 命令），未生成 PDF。"
                             "如需 PDF，请安装 LibreOffice 后重新运行，或在 Word/WPS 中另存为 PDF")
    by_folder: dict[Path, list[Path]] = {}
    for form in forms:
        by_folder.setdefault(form.parent, []).append(form)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="perfxl-soffice-") as profile:
        for folder, files in by_folder.items():
            written += _convert_folder(command, Path(profile), folder, files, timeout)
    return written


def _convert_folder(command: str, profile: Path, folder: Path, files: list[Path], timeout: float) -> list[Path]:
    own = listed(folder)
    files = [f for f in files if f.with_suffix(".pdf").name in own or not f.with_suffix(".pdf").exists()]
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX, dir=folder) as made:
        subprocess.run([command, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", made, *map(str, files)],
                       check=False, capture_output=True, timeout=timeout)
        written = []
        for form in files:
            pdf = Path(made) / form.with_suffix(".pdf").name
            if pdf.is_file():
                os.replace(pdf, form.with_suffix(".pdf"))
                written.append(form.with_suffix(".pdf"))
    record(folder, (pdf.name for pdf in written))
    return written
