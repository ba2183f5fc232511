"""Import: Word target tables (.docx) become filled standard workbooks, one per form found.

Each form is recognised as one of the layouts (上海2020 财政项目支出绩效目标表, 上海2026 …申报表) by its
title, its labels and its indicator header, then read with that layout's labels and columns and
written as a workbook of that layout. Fields are found by their labels wherever they sit: a label cell
followed by its value cell, a row of labels above a row of values, or `label：value` in one paragraph
or cell. The indicator table is found by its header row. Nothing is guessed: what is not found stays
empty in the workbook and is listed in the summary.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from .config import Config
from .docxread import Line, UnreadableDocument, load_lines
from .files import MAX_NAME_BYTES, atomic_write, safe_file_name
from .layout import Column, FieldSpec, Layout, Sum
from .model import INDICATOR_SHEET
from .template import fill_template
from .values import ParseError, label_key, parse_amount, parse_date, parse_year

WORD_SUFFIXES = {".docx", ".doc", ".docm", ".wps", ".rtf"}  # what a folder search picks up
PARSERS = {"year": parse_year, "date": parse_date, "amount": parse_amount}
_YEAR_IN_TITLE = r"[(（]?(\d{4})年度?[)）]?"
_YEAR_HEADING = re.compile(r"(\d{4})年度?绩效目标")
_INLINE = re.compile(r"^([^：:\n]{1,30})[：:](.*)$", re.S)
_NEXT_LABEL = re.compile(r"(?:\s{2,}|\t)(?=[^\s：:]{1,12}[：:])")  # `单位：X    填报日期：Y` ends X
_SPAN = re.compile(r"\(\d{4}年?[-—–~至到]\d{4}年?\)$")  # `项目总体目标 (2024 年-2026 年)`, as a label key
TO_FILL = PatternFill("solid", fgColor="FFC7CE")  # a cell a person must fill
TO_REVIEW = PatternFill("solid", fgColor="FFEB9C")  # a default a person should check


@dataclass(frozen=True)
class FormLayout:
    """A layout as the importer reads forms of it: label key -> field name, its title's key."""

    layout: Layout
    labels: dict[str, str]

    @classmethod
    def of(cls, layout: Layout) -> FormLayout:
        labels: dict[str, str] = {}
        for spec in layout.fields:
            for key in sorted(spec.label_keys(), key=len, reverse=True):
                labels.setdefault(key, spec.name)
        return cls(layout, labels)

    @property
    def title_key(self) -> str:
        return label_key(self.layout.title)


def form_layouts(config: Config) -> list[FormLayout]:
    """Every layout of `config`, the default one first (it wins a tie when a form says too little)."""
    ordered = sorted(config.layouts.values(), key=lambda layout: layout.name != config.default_layout)
    return [FormLayout.of(layout) for layout in ordered]


@dataclass(frozen=True)
class Mark:
    """A cell left to a person: highlighted, with a comment saying what to write or check."""

    note: str
    field: str = ""  # a field's value cell, or
    indicator: int = -1  # an indicator's 三级 and 指标值 cells (its index)
    review: bool = False  # holds a default to check rather than nothing


@dataclass
class FormImport:
    """One form found in a document: values read (field name -> value), what is missing, the output."""

    source: str
    layout: Layout
    values: dict[str, object] = field(default_factory=dict)
    indicators: list[list[str]] = field(default_factory=list)  # level1, level2, level3, target[, note]
    missing: list[str] = field(default_factory=list)  # "字段：问题", what could not be read
    notes: list[str] = field(default_factory=list)  # reminders for the user
    marks: list[Mark] = field(default_factory=list)
    rolled_from: int | None = None
    output: Path | None = None

    @property
    def project_name(self) -> str:
        return str(self.values.get("project_name") or "")


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


def _pairs(line: Line, form: FormLayout, below: Line | None = None) -> Iterator[tuple[str, str, int]]:
    """(field name, value text, label column) in one line: a label's value is the next non-empty cell
    unless that is a label; failing that, in a row of labels, the cell under the label in the next row."""
    cells, i = line.cells, 0
    while i < len(cells):
        label = cells[i]
        name, inline = _label_of(label.text, form)
        i += 1
        if name is None:
            continue
        if inline is not None:
            yield name, inline, label.col
            continue
        while i < len(cells) and not cells[i].text:
            i += 1
        if i < len(cells) and _label_of(cells[i].text, form)[0] is None:
            yield name, cells[i].text, label.col
            i += 1
        else:
            yield name, _value_below(line, label.col, below, form), label.col


def _value_below(line: Line, col: int, below: Line | None, form: FormLayout) -> str:
    """Only between a row of nothing but labels and a row of nothing but values, in the same table."""
    if below is None or line.table < 0 or below.table != line.table:
        return ""
    if not all(_label_of(text, form)[0] for text in line.texts if text) or any(
        _label_of(t, form)[0] for t in below.texts
    ):
        return ""
    under = below.covering(col)
    return under.text if under is not None and _label_of(under.text, form)[0] is None else ""


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


def _labelled_texts(lines: list[Line], form: FormImport, reading: FormLayout) -> dict[str, str]:
    """Field name -> the text found beside its label; the first non-empty occurrence counts."""
    found: dict[str, str] = {}
    totals = {s.total: s for s in form.layout.budget.sums}
    blocks: dict[tuple[int, int], Sum] = {}  # (table, column) -> the sum whose total label was last there
    for line, below in zip(lines, [*lines[1:], None], strict=True):
        for name, text, col in _pairs(line, reading, below):
            if name in totals:
                blocks[line.table, col] = totals[name]
            name = _in_block(name, blocks.get((line.table, col)), form.layout)
            if not found.get(name):
                found[name] = text
            elif text and text != found[name]:
                form.notes.append(f"{form.layout.field(name).label}：文档中出现多次且内容不同，已取第一处「{_short(found[name])}」")
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


def _convert(spec: FieldSpec, text: str, form: FormImport) -> object:
    """The value to write for `spec`: parsed when it parses, else the text as written (and a note)."""
    if not text:
        if spec.need != "optional":
            form.missing.append(f"{spec.label}：表中为空")
        return None
    if spec.kind in ("text", "choice"):
        return text
    try:
        value = PARSERS[spec.kind](text)
    except ParseError as error:
        form.missing.append(f"{spec.label}：「{_short(text)}」{error}，已原样写入，请修改")
        return text
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _read_values(lines: list[Line], form: FormImport, reading: FormLayout) -> None:
    texts = _labelled_texts(lines, form, reading)
    if not texts.get("year") and (heading := _year_from_headings(lines, form.layout)):
        texts["year"] = heading
    for spec in form.layout.fields:
        if spec.name not in texts:
            if spec.need != "optional":
                form.missing.append(f"{spec.label}：未找到")
            continue
        form.values[spec.name] = _convert(spec, texts[spec.name], form)


# --- finding the indicators -----------------------------------------------------------------------


def _header_columns(line: Line, columns: list[Column], primary: bool = False) -> list[int] | None:
    """Grid columns of the indicator table's columns when `line` is its header row: the required ones
    side by side, then the optional ones (备注) that follow. `primary`: by the layout's own headers only."""
    if line.table < 0:
        return None
    required = [c for c in columns if not c.optional]
    optional = [c for c in columns if c.optional]
    wanted = [{label_key(c.header)} if primary else c.label_keys() for c in required]
    filled = [cell for cell in line.cells if cell.text]
    keys = [label_key(cell.text) for cell in filled]
    for k in range(len(keys) - len(required) + 1):
        if all(keys[k + i] in wanted[i] for i in range(len(required))):
            found = [cell.col for cell in filled[k : k + len(required)]]
            for column, key, cell in zip(optional, keys[k + len(required) :], filled[k + len(required) :], strict=False):
                if key not in column.label_keys():
                    break
                found.append(cell.col)
            return found
    return None


def _row_texts(line: Line, columns: list[int]) -> list[str]:
    """The text under each header column; a cell spanning several columns counts for the first only."""
    texts, previous = [], None
    for col in columns:
        cell = line.covering(col)
        texts.append(cell.text if cell is not None and cell is not previous else "")
        previous = cell
    return texts


def _table_rows(lines: list[Line], layout: Layout) -> tuple[list[list[str]], bool]:
    """Raw rows under every indicator header row (a table split across pages repeats it); header found?"""
    rows: list[list[str]] = []
    columns, table = None, None
    for line in lines:
        header = _header_columns(line, layout.columns)
        if header is not None:
            columns, table = header, line.table
        elif columns is not None and line.table == table:
            rows.append(_row_texts(line, columns))
    return rows, columns is not None


def _read_indicators(lines: list[Line], form: FormImport) -> None:
    """Indicators with 一级/二级 filled in: blank or vertically merged cells mean "as the row above"."""
    rows, found = _table_rows(lines, form.layout)
    names = [c.header for c in form.layout.columns]
    if not found:
        form.missing.append(f"绩效指标：未找到指标表（表头：{'、'.join(names[:4])}）")
        return
    level1 = level2 = ""
    for own1, own2, level3, target, *note in rows:
        level2 = own2 or (level2 if not own1 or own1 == level1 else "")
        level1 = own1 or level1
        if level3 or target:
            form.indicators.append([level1, level2, level3, target, *note])
        elif own1 or own2 or any(note):
            form.notes.append(f"绩效指标：有一行只有{names[0]}/{names[1]}（{level1} {level2}），"
                              f"没有{names[2]}和{names[3]}，已跳过")
    if not form.indicators:
        form.missing.append("绩效指标：指标表中没有指标")


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
    return any(_header_columns(line, r.layout.columns) for line in lines for r in readings) or any(
        name == "project_name" for line in lines for r in readings for name, _, _ in _pairs(line, r)
    )


def _evidence(lines: list[Line], reading: FormLayout) -> tuple[bool, int]:
    """How clearly `lines` show a form of `reading`'s layout: (its title, labels + own header + 一级 names)."""
    title = any(_is_title(line, [reading]) for line in lines)
    labels = {name for line in lines for cell in line.cells if (name := _label_of(cell.text, reading)[0])}
    header = any(_header_columns(line, reading.layout.columns, primary=True) for line in lines)
    synonyms = reading.layout.profile.synonyms
    level1 = {synonyms.get(t, t) for line in lines if line.table >= 0 for t in line.texts} & set(reading.layout.hierarchy)
    return title, len(labels) + 2 * header + len(level1)


def recognise_form(lines: list[Line], readings: list[FormLayout]) -> FormLayout:
    """The layout a form follows: the one whose title it bears, else whose labels, header and 一级 names
    it shows most; the first (the default layout) when they tie."""
    scores = [_evidence(lines, reading) for reading in readings]
    return readings[scores.index(max(scores))]


def read_document(path: Path, file: str, config: Config) -> list[FormImport]:
    """Every form in the document at `path` (shown as `file`), each read as its layout; raises
    UnreadableDocument."""
    readings = form_layouts(config)
    lines = load_lines(path, config.limits["max_unzipped_mb"] * 2**20)
    parts = [part for part in _split_forms(lines, readings) if _holds_form(part, readings)]
    if not parts:
        raise UnreadableDocument("文档中没有找到绩效目标表（没有“项目名称”等标签，也没有指标表头）")
    forms = []
    for number, part in enumerate(parts, start=1):
        reading = recognise_form(part, readings)
        form = FormImport(file if len(parts) == 1 else f"{file}（第 {number} 张表）", reading.layout)
        _read_values(part, form, reading)
        _read_indicators(part, form)
        forms.append(form)
    return forms


def shift_year(date: dt.date, years: int) -> dt.date:
    """`date` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)


def roll_forward(form: FormImport, year: int) -> None:
    """Prepare the form for `year`: year and dates move; the layout's [roll] says which of this year's
    figures become last year's (copy) and which the new year must fill (clear: empty, commented)."""
    source = form.values.get("year")
    if not isinstance(source, int):
        form.values["year"] = year
        form.notes.append(f"年度：原表年度未能读取，已写为 {year}；计划日期未调整，请检查")
        return
    if year <= source:
        form.notes.append(f"年度：指定的 {year} 年不晚于原表的 {source} 年，未做滚动")
        return
    form.values["year"] = year
    for spec in form.layout.fields:
        if spec.kind == "date" and isinstance(form.values.get(spec.name), dt.date):
            try:
                form.values[spec.name] = shift_year(form.values[spec.name], year - source)
            except ValueError:  # 9999-12-31 has no next year
                form.notes.append(f"{spec.label}：{form.values[spec.name].isoformat()} 无法顺延到 "
                                  f"{year} 年度，已按原样写入，请修改")
    roll, label = form.layout.roll, form.layout.label
    form.values.update({name: form.values.get(was) for name, was in roll.copy.items()})
    form.values.update(dict.fromkeys(roll.clear))
    # red (a 错误 until filled) for a required field, yellow for an optional one (empty counts as 0)
    form.marks += [Mark(roll.note, field=name, review=form.layout.field(name).need != "required") for name in roll.clear]
    form.rolled_from = source
    kept = [spec.name for spec in form.layout.fields if spec.kind == "amount" and form.values.get(spec.name) is not None
            and spec.name not in roll.copy]
    text = f"已滚动到 {year} 年度："
    text += "".join(f"{label(name)}取原表的{label(was)}；" for name, was in roll.copy.items())
    text += f"{'、'.join(map(label, kept))}沿用 {source} 年数，请按新年度修改；" if kept else ""
    text += f"{'、'.join(map(label, roll.clear))}已留空，请补填" if roll.clear else ""
    form.notes.append(text.rstrip("；"))
    stale = [spec.label for spec in form.layout.fields
             if spec.kind in ("text", "choice") and str(source) in str(form.values.get(spec.name) or "")]
    if stale:
        form.notes.append(f"{'、'.join(stale)}：文字中仍写有 {source} 年，请按新年度修改")


# --- writing --------------------------------------------------------------------------------------


NUMBER_ROOM = 16  # bytes kept for `（12）.xlsx`


def free_path(folder: Path, stem: str) -> Path:
    """`folder/stem.xlsx`, or `stem（2）.xlsx`, `stem（3）.xlsx`… when taken: an import never overwrites."""
    path, number = folder / f"{stem}.xlsx", 2
    while path.exists():
        path, number = folder / f"{stem}（{number}）.xlsx", number + 1
    return path


def _workbook_rows(indicators: list[list[str]]) -> list[list[str]]:
    """Indicators as on the printed form: 一级 (and 二级 within it) blank when equal to the row above."""
    rows, previous = [], ["", ""]
    for index, (level1, level2, *rest) in enumerate(indicators):
        same1 = index > 0 and level1 == previous[0]
        same2 = same1 and level2 == previous[1]
        rows.append(["" if same1 else level1, "" if same2 else level2, *rest])
        previous = [level1, level2]
    return rows


def _value_row(sheet, label: str) -> int:
    key = label_key(label)
    return next(r for r in range(1, sheet.max_row + 1) if label_key(sheet.cell(r, 1).value) == key)


def mark_cells(book: Workbook, layout: Layout, marks: list[Mark]) -> None:
    """Highlight each marked cell and comment it; beside a field's value (column C, not read) the first
    words of the comment in red, so the cell is seen without hovering."""
    for mark in marks:
        fill = TO_REVIEW if mark.review else TO_FILL
        if mark.field:
            spec = layout.field(mark.field)
            sheet = book[spec.sheet]
            row = _value_row(sheet, spec.label)
            cells = [sheet.cell(row, 2)]
            sheet.cell(row, 3, f"← {re.split('[：:（(]', mark.note)[0]}").font = Font(bold=True, color="C00000")
        else:
            sheet = book[INDICATOR_SHEET]
            cells = [sheet.cell(2 + mark.indicator, col) for col in (3, 4)]
        for cell in cells:
            cell.fill = fill
        cells[0].comment = Comment(mark.note, "perfxl", width=300, height=120)


def write_form(form: FormImport, folder: Path, config: Config) -> Path:
    """Write the form as a standard workbook of its layout in `folder`, named after the project, with its
    marks; returns its path."""
    labels = {spec.name: spec.label for spec in form.layout.fields}
    fields = {labels[name]: value for name, value in form.values.items() if value is not None}
    book = fill_template(config, fields, _workbook_rows(form.indicators), layout=form.layout.name)
    mark_cells(book, form.layout, form.marks)
    stem = safe_file_name(form.project_name or Path(form.source).stem, "", MAX_NAME_BYTES - NUMBER_ROOM)
    target = free_path(folder, stem)
    with atomic_write(target) as temp:
        book.save(temp)
    if target.stem != stem:
        form.notes.append(f"{stem}.xlsx 已存在，未覆盖，另存为 {target.name}")
    form.output = target
    return target


def import_document(path: Path, folder: Path, config: Config, year: int | None = None) -> ImportResult:
    """Read the document at `path` and write one workbook per form into `folder`; never raises for content."""
    result = ImportResult(str(path))
    try:
        result.forms = read_document(path, str(path), config)
    except UnreadableDocument as error:
        result.failure = str(error)
        return result
    except Exception as error:  # noqa: BLE001 - one document's surprise must not end the import
        result.failure = (f"读取时发生意外错误（{type(error).__name__}）：请用 Word 打开该文件另存为 .docx 后重试；"
                          "如仍失败，请把该文件发给技术支持")
        return result
    for form in result.forms:
        if year is not None:
            roll_forward(form, year)
        try:
            write_form(form, folder, config)
        except OSError as error:
            result.failure = f"无法写入 {folder}：{error.strerror or error}"
            break
    return result


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
        lines.append(f"  已读取（{form.layout.name}）：字段 {read}/{len(form.layout.fields)} 个，"
                     f"绩效指标 {len(form.indicators)} 条")
        lines += [f"  未能读取：{text}" for text in form.missing]
        lines += [f"  请注意：{text}" for text in form.notes]
    if result.failure:
        lines.append(f"{result.file}：失败：{result.failure}")
    return lines


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
