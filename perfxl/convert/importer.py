"""Import: Word target tables (.docx) become filled standard workbooks, one per form found.

Each form is recognised as one of the layouts (上海2020 财政项目支出绩效目标表, 上海2023 …填报表, 上海2026
…申报表) by its title, its labels, its indicator rows and its year, then read with that layout's labels
and columns and written as a workbook of that layout. Fields are found by their labels wherever they sit:
a label cell followed by its value cell, a row of labels (beside row headings merged down, as the
published forms print 项目绩效目标) above a row of values, or `label：value` in one paragraph or cell. The
indicator table is found by its header row and followed into a table that continues it (form_table).
Nothing is guessed: what is not found stays empty, is listed in the summary and is marked in the
workbook; a project the target folder already holds is not written beside it (placing).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from perfxl.convert.form_book import FormImport, Mark, roll_forward
from perfxl.convert.form_table import header_columns, level_pairs, read_indicators
from perfxl.convert.placing import Folder
from perfxl.core.config import Config
from perfxl.core.errors import os_problem
from perfxl.core.layout import FieldSpec, Layout, Sum
from perfxl.core.values import ParseError, label_key, parse_amount, parse_date, parse_year
from perfxl.engine.batch import locked
from perfxl.io.docxread import Cell, Line, UnreadableDocument, WordLimits, load_document
from perfxl.io.parallel import Workers

WORD_SUFFIXES = {".docx", ".doc", ".docm", ".wps", ".rtf"}  # what a folder search picks up
PARSERS = {"year": parse_year, "date": parse_date, "amount": parse_amount}
_YEAR_IN_TITLE = r"[(（]?(\d{4})年度?[)）]?"
_YEAR_HEADING = re.compile(r"(\d{4})年度?绩效目标")
_INLINE = re.compile(r"^([^：:\n]{1,30})[：:](.*)$", re.S)
_NEXT_LABEL = re.compile(r"(?:\s{2,}|\t)(?=[^\s：:]{1,12}[：:])")  # `单位：X    填报日期：Y` ends X
_SPAN = re.compile(r"\(\d{4}年?[-—–~至到]\d{4}年?\)$")  # `项目总体目标 (2024 年-2026 年)`, as a label key


@dataclass(frozen=True)
class FormLayout:
    """A layout as the importer reads forms of it: label key -> field name, its title's key."""

    layout: Layout
    labels: dict[str, str]
    own: frozenset[str]  # the keys of the labels as this layout prints them (not their aliases)

    @classmethod
    def of(cls, layout: Layout) -> FormLayout:
        labels: dict[str, str] = {}
        for spec in layout.fields:
            for key in sorted(spec.label_keys(), key=len, reverse=True):
                labels.setdefault(key, spec.name)
        own = frozenset().union(*(msgspec.structs.replace(spec, aliases=[]).label_keys() for spec in layout.fields))
        return cls(layout, labels, own)

    @property
    def title_key(self) -> str:
        return label_key(self.layout.title)


def form_layouts(config: Config) -> list[FormLayout]:
    """Every layout of `config`, the default one first (it wins a tie when a form says too little)."""
    ordered = sorted(config.layouts.values(), key=lambda layout: layout.name != config.default_layout)
    return [FormLayout.of(layout) for layout in ordered]


@dataclass
class ImportResult:
    """What became of one document: its forms, or why it could not be used."""

    file: str
    forms: list[FormImport] = field(default_factory=list)
    failure: str = ""


# --- finding the fields ---------------------------------------------------------------------------


def _label_of(text: str, form: FormLayout) -> tuple[str | None, str | None]:
    """(field name, inline value) when `text` is a label or `label：value`; inline is None for a bare label."""
    name = form.labels.get(_SPAN.sub("", label_key(text)))
    if name:
        return name, None
    match = _INLINE.match(text.strip())
    if match and (name := form.labels.get(label_key(match.group(1)))):
        return name, _NEXT_LABEL.split(match.group(2))[0].strip()
    return None, None


def _is_label(text: str, reading: FormLayout) -> bool:
    return _label_of(text, reading)[0] is not None


def _pairs(line: Line, form: FormLayout, below: Line | None = None) -> Iterator[tuple[str, str | None, int]]:
    """(field name, value text, label column) in one line: a label's value is the next non-empty cell
    unless that is a label; failing that, in a row of labels, the cell under the label in the next row.
    The text is "" when the value cell is there and empty, None when no value cell was found at all.
    Linear in the cells: each label looked up once, the rows around judged once (8,000 labels took 53 s)."""
    cells = line.cells
    names = [_label_of(cell.text, form) for cell in cells]
    under: list[dict[int, Cell] | None] = []  # when first needed: `below`'s cells by column, None if not stacked
    i = 0
    while i < len(cells):
        label, (name, inline) = cells[i], names[i]
        i += 1
        if name is None:
            continue
        if inline is not None:
            yield name, inline, label.col
            continue
        empty_beside = False
        while i < len(cells) and not cells[i].text:
            empty_beside = empty_beside or not cells[i].merged_up
            i += 1
        if i < len(cells) and names[i][0] is None:
            yield name, cells[i].text, label.col
            i += 1
            continue
        if not under:
            under.append(_covered(below) if below is not None and _stacked(line, names, below, form) else None)
        value = _value_below(under[0], label.col)
        yield name, "" if value is None and empty_beside else value, label.col


def _stacked(line: Line, names: list, below: Line, form: FormLayout) -> bool:
    """Whether `line` is a row of labels (and row headings) over `below`, a row of nothing but values, in
    one table. A row heading (`项目绩效目标` left of the goal headings) is merged down or empty below."""
    if line.table < 0 or below.table != line.table:
        return False
    covered = _covered(below)
    for (name, _), cell in zip(names, line.cells, strict=True):
        under = covered.get(cell.col)
        if cell.text and name is None and not (under is None or under.merged_up or not under.text):
            return False
    return not any(_label_of(t, form)[0] for t in below.texts)


def _covered(line: Line) -> dict[int, Cell]:  # grid column -> the cell of `line` covering it
    return {col: cell for cell in line.cells for col in range(cell.col, cell.col + cell.span)}


def _value_below(covered: dict[int, Cell] | None, col: int) -> str | None:
    """The text under column `col` in a stacked arrangement; None when the rows are not so arranged."""
    under = covered.get(col) if covered is not None else None
    if under is None or under.merged_up:
        return None
    return under.text


def _in_block(name: str, block: Sum | None, layout: Layout) -> str:
    """The field a label names inside `block` (the sum whose total heads its column): the printed 2026
    form writes 其他资金 in both the 项目资金 and the 年度资金 block; in the second it is 年度其他资金."""
    if block is None or name == block.total or name in block.parts:
        return name
    if not any(name in s.parts for s in layout.budget.sums):
        return name
    short = min(layout.field(name).label_keys(), key=len)
    inside = [part for part in block.parts if any(k.endswith(short) for k in layout.field(part).label_keys())]
    return inside[0] if len(inside) == 1 else name


def _twin(name: str, layout: Layout) -> str | None:
    """The part of another sum whose label ends like `name`'s (其他资金 → 年度其他资金), if any."""
    for block in layout.budget.sums:
        if name not in block.parts and (twin := _in_block(name, block, layout)) != name:
            return twin
    return None


def _labelled_texts(lines: list[Line], form: FormImport, reading: FormLayout) -> dict[str, str | None]:
    """Field name -> the text found beside its label (None: the label only); the first non-empty counts."""
    found: dict[str, str | None] = {}
    totals = {s.total: s for s in form.layout.budget.sums}
    blocks: dict[tuple[int, int], Sum] = {}  # (table, column) -> the sum whose total label was last there
    for line, below in zip(lines, [*lines[1:], None], strict=True):
        for name, text, col in _pairs(line, reading, below):
            if name in totals:  # the block of its column, and the table's latest block (-1)
                blocks[line.table, col] = blocks[line.table, -1] = totals[name]
            name = _in_block(name, blocks.get((line.table, col)) or blocks.get((line.table, -1)), form.layout)
            if not found.get(name):
                if text or found.get(name) is None:  # a value cell found and empty beats no value cell
                    found[name] = text
            elif text and (twin := _twin(name, form.layout)) and not found.get(twin):
                found[twin] = text  # a second 其他资金 no block claims: the form prints 项目资金 first
            elif text and text != found[name]:
                form.notes.append(f"{form.layout.field(name).label}：文档中出现多次且内容不同，"
                                  f"已取第一处「{_short(found[name] or '')}」")
    return found


def _year_from_headings(lines: list[Line], layout: Layout) -> str:
    """The year from `(2020年度)` under the title, else from the `2020年绩效目标` heading."""
    in_title = re.compile(f"(?:{re.escape(layout.title)})?{_YEAR_IN_TITLE}")
    for pattern in (in_title, _YEAR_HEADING):
        for line in lines:
            for text in line.texts:
                match = pattern.fullmatch(re.sub(r"\s+", "", text))
                if match:
                    return match.group(1)
    return ""


def _unread(form: FormImport, spec: FieldSpec, problem: str) -> None:
    """A field the form does not give: listed on screen, and its cell marked in the workbook."""
    form.missing.append(f"{spec.label}：{problem}")
    form.marks.append(Mark(f"导入时未能读取：{problem}。请对照原表填写。", field=spec.name))


def _convert(spec: FieldSpec, text: str | None, form: FormImport) -> object:
    """The value to write for `spec`: parsed when it parses, else the text as written (and a note)."""
    if not text:
        if spec.need != "optional":
            _unread(form, spec, "表中为空" if text == "" else "找到了标签，但没有找到它的内容（表格的排列无法识别）")
        return None
    if spec.kind in ("text", "choice"):
        return text
    try:
        value = PARSERS[spec.kind](text)
    except ParseError as error:
        form.missing.append(f"{spec.label}：「{_short(text)}」{error}，已原样写入，请修改")
        form.marks.append(Mark(f"导入时无法识别：「{_short(text)}」{error}。已原样写入，请修改。", field=spec.name))
        return text
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _read_values(lines: list[Line], form: FormImport, reading: FormLayout) -> None:
    texts = _labelled_texts(lines, form, reading)
    if not texts.get("year") and (heading := _year_from_headings(lines, form.layout)):
        texts["year"] = heading
    for spec in form.layout.fields:
        if spec.name not in texts:
            if spec.need != "optional":
                _unread(form, spec, "未找到")
            continue
        form.values[spec.name] = _convert(spec, texts[spec.name], form)


# --- documents and forms --------------------------------------------------------------------------


def _is_title(line: Line, readings: list[FormLayout]) -> bool:
    if len(line.cells) != 1 or len(line.cells[0].text) >= 40:
        return False
    return any(label_key(line.cells[0].text).endswith(reading.title_key) for reading in readings)


def _split_forms(lines: list[Line], readings: list[FormLayout]) -> list[list[Line]]:
    """One part per form: a document holding several forms repeats the title before each."""
    starts = [i for i, line in enumerate(lines) if _is_title(line, readings)]
    if len(starts) < 2:
        return [lines]
    starts[0] = 0
    return [lines[a:b] for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]


def _holds_form(lines: list[Line], readings: list[FormLayout]) -> bool:
    return any(header_columns(line, r.layout.columns) for line in lines for r in readings) or any(
        name == "project_name" for line in lines for r in readings for name, _, _ in _pairs(line, r)
    )


def _evidence(lines: list[Line], reading: FormLayout) -> tuple[bool, int, bool, int]:
    """How clearly `lines` show a form of `reading`'s layout: (its title; its labels, its own header, its
    一级 names and its 一级/二级 pairs in the indicator rows; a year within the layout's years; the labels
    as this layout prints them, e.g. 项目总目标 without a plan period)."""
    layout = reading.layout
    title = any(_is_title(line, [reading]) for line in lines)
    labels = {name for line in lines for cell in line.cells if (name := _label_of(cell.text, reading)[0])}
    header = any(header_columns(line, layout.columns, primary=True) for line in lines)
    synonyms = layout.profile.synonyms
    pairs = {(synonyms.get(a, a), synonyms.get(b, b))
             for a, b in level_pairs(lines, layout.columns, functools.partial(_is_label, reading=reading))}
    level1 = {a for a, _ in pairs} & set(layout.hierarchy)
    fitting = {(a, b) for a, b in pairs if b in layout.hierarchy.get(a, ())}
    year = _year_from_headings(lines, layout)
    in_years = bool(year) and layout.years[0] <= int(year) <= layout.years[1]
    own = {key for line in lines for cell in line.cells if (key := _SPAN.sub("", label_key(cell.text))) in reading.own}
    return title, len(labels) + 2 * header + len(level1) + len(fitting), in_years, len(own)


def recognise_form(lines: list[Line], readings: list[FormLayout]) -> FormLayout:
    """The layout a form follows: the one whose title it bears, else whose labels, header, 一级 names and
    一级/二级 pairs it shows most, else whose years hold its year, else whose own labels it shows most; the
    first (the default) when they tie."""
    scores = [_evidence(lines, reading) for reading in readings]
    return readings[scores.index(max(scores))]


def read_document(path: Path, file: str, config: Config) -> list[FormImport]:
    """Every form in the document at `path` (shown as `file`), each read as its layout; raises
    UnreadableDocument."""
    readings = form_layouts(config)
    document = load_document(path, WordLimits.of(config.limits))
    parts = [part for part in _split_forms(document.lines, readings) if _holds_form(part, readings)]
    if not parts:
        raise UnreadableDocument("文档中没有找到绩效目标表（没有“项目名称”等标签，也没有指标表头）" + "".join(f"；{n}" for n in document.notes))
    if len(parts) > (cap := config.limits["max_forms_per_document"]):
        raise UnreadableDocument(f"文档中有 {len(parts)} 张绩效目标表，超过每个文档 {cap} 张的上限：请把文档拆分后再导入，或调高 perfxl.toml 中的 [limits] max_forms_per_document")
    forms = []
    for number, part in enumerate(parts, start=1):
        reading = recognise_form(part, readings)
        form = FormImport(file if len(parts) == 1 else f"{file}（第 {number} 张表）", reading.layout)
        _read_values(part, form, reading)
        read_indicators(part, form, functools.partial(_is_label, reading=reading))
        form.notes += document.notes
        forms.append(form)
    return forms


def read_forms(path: Path, config: Config) -> tuple[list[FormImport], str]:
    """The forms of the document at `path`, or why there are none; runs on a worker, never raises."""
    try:
        return read_document(path, str(path), config), ""
    except UnreadableDocument as error:
        return [], str(error)
    except Exception as error:  # noqa: BLE001 - one document's surprise must not end the import
        return [], (f"读取时发生意外错误（{type(error).__name__}）：请用 Word 打开该文件另存为 .docx 后重试；"
                    "如仍失败，请把该文件发给技术支持")


def _crashed(path: Path) -> tuple[list[FormImport], str]:
    return [], "读取该文件时程序异常退出，文件可能已损坏：请用 Word 打开后另存为 .docx 再试"


def import_document(path: Path, folder: Path | Folder, config: Config, year: int | None = None,
                    read: tuple[list[FormImport], str] | None = None, replace: bool = False) -> ImportResult:
    """Write one workbook per form of the document at `path` (as `read` read it, else read now) into
    `folder`, never beside a workbook of the same project (placing.Folder); never raises for content."""
    result = ImportResult(str(path))
    result.forms, result.failure = read or read_forms(path, config)
    place = folder if isinstance(folder, Folder) else Folder(folder, config)
    for form in result.forms:
        try:
            if year is not None:
                roll_forward(form, year)
            place.place(form, replace)
        except OSError as error:
            result.failure = f"无法写入 {place.folder}：{os_problem(error)}"
            break
        except Exception as error:  # noqa: BLE001 - one document's surprise must not end the import
            result.failure = (f"{form.source}：写出时发生意外错误（{type(error).__name__}）：请用 Word 打开该文件另存为 "
                              ".docx 后重试；如仍失败，请把该文件发给技术支持")
    return result


def import_documents(paths: list[Path], folder: Path, config: Config, year: int | None = None,
                     jobs: int | None = None, replace: bool = False) -> list[ImportResult]:
    """import_document for each of `paths`, read on worker processes (a document that crashes its reader
    costs that document) and written here under the folder's lock."""
    with locked(folder), Workers(jobs) as workers:
        readings = workers.map(functools.partial(read_forms, config=config), paths, _crashed)
        place = Folder(folder, config, workers)
        return [import_document(path, place, config, year, read, replace)
                for path, read in zip(paths, readings, strict=True)]


def find_documents(sources: Iterable[Path], suffixes: Iterable[str] = WORD_SUFFIXES) -> list[Path]:
    """The files named, and the files with `suffixes` (Word files, also .doc, to say what to do with them)
    in the folders named; not Office lock files (`~$…`) nor hidden ones."""
    found: list[Path] = []
    for source in sources:
        if not source.is_dir():
            found.append(source)
            continue
        found += sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                        and not p.name.startswith(("~$", ".")))
    return found


def summary_lines(result: ImportResult) -> list[str]:
    """What the user reads about one document: per form, the output, what was read and what was not."""
    lines = []
    for form in result.forms:
        read = sum(1 for value in form.values.values() if value is not None)
        lines.append(f"{form.source} → {form.output or '（未写出）'}")
        lines += [f"  已跳过：{form.kept}"] if form.kept else []
        lines += [f"  未写入：{form.refused}"] if form.refused else []
        lines.append(f"  已读取（{form.layout.name}）：字段 {read}/{len(form.layout.fields)} 个，"
                     f"绩效指标 {len(form.indicators)} 条")
        lines += [f"  未能读取：{text}" for text in form.missing]
        lines += [f"  请注意：{text}" for text in form.notes]
    if result.failure:
        lines.append(f"{result.file}：失败：{result.failure}")
    return lines


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
