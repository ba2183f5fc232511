"""Import: Word target tables (.docx) become filled standard workbooks, one per form found.

Fields are found by their labels wherever they sit: a label cell followed by its value cell, or
`label：value` in one paragraph or cell. The indicator table is found by its header row. Nothing is
guessed: what is not found stays empty in the workbook and is listed in the summary.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font

from .config import Config, shipped_layout
from .docxread import Line, UnreadableDocument, load_lines
from .files import MAX_NAME_BYTES, atomic_write, safe_file_name
from .layout import FieldSpec
from .model import BUDGET_SHEET
from .template import fill_template
from .values import ParseError, label_key, parse_amount, parse_date, parse_year

LAYOUT = shipped_layout("上海2020")  # the form import reads and the workbooks it writes
FIELDS = LAYOUT.fields
FIELD_BY_NAME = {spec.name: spec for spec in FIELDS}
INDICATOR_HEADERS = tuple(c.header for c in LAYOUT.columns if not c.optional)
NOTE_HEADER = "备注"
TITLE_KEY = label_key(LAYOUT.title)
WORD_SUFFIXES = {".docx", ".doc", ".docm", ".wps", ".rtf"}  # what a folder search picks up
PARSERS = {"year": parse_year, "date": parse_date, "amount": parse_amount}
PRIOR_SPENT_NOTE = "请填写上年实际执行数：本工作簿由 perfxl import --year 滚动生成，上年执行数无法从原表得知。"
_YEAR_IN_TITLE = re.compile(r"(?:财政项目支出绩效目标表)?[(（]?(\d{4})年度?[)）]?")
_YEAR_HEADING = re.compile(r"(\d{4})年度?绩效目标")
_INLINE = re.compile(r"^([^：:\n]{1,30})[：:](.*)$", re.S)
_NEXT_LABEL = re.compile(r"(?:\s{2,}|\t)(?=[^\s：:]{1,12}[：:])")  # `单位：X    填报日期：Y` ends X


def _label_aliases() -> dict[str, str]:
    """label_key of each accepted label -> field name; amounts also without `（元）`."""
    keys = {label_key("申报单位"): "unit"}
    for spec in FIELDS:
        keys[label_key(spec.label)] = spec.name
        keys[label_key(spec.label.replace("（元）", ""))] = spec.name
    return keys


LABELS = _label_aliases()


@dataclass
class FormImport:
    """One form found in a document: values read (field name -> value), what is missing, the output."""

    source: str
    values: dict[str, object] = field(default_factory=dict)
    indicators: list[list[str]] = field(default_factory=list)  # level1, level2, level3, target[, note]
    missing: list[str] = field(default_factory=list)  # "字段：问题", what could not be read
    notes: list[str] = field(default_factory=list)  # reminders for the user
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


def _label_of(text: str) -> tuple[str | None, str | None]:
    """(field name, inline value) when `text` is a label or `label：value`; inline is None for a bare label."""
    name = LABELS.get(label_key(text))
    if name:
        return name, None
    match = _INLINE.match(text.strip())
    if match and (name := LABELS.get(label_key(match.group(1)))):
        return name, _NEXT_LABEL.split(match.group(2))[0].strip()
    return None, None


def _pairs(line: Line, below: Line | None = None) -> Iterator[tuple[str, str]]:
    """(field name, value text) in one line: a label's value is the next non-empty cell unless that is a
    label; failing that, in a row of labels, the cell under the label in the table's next row."""
    cells, i = line.cells, 0
    while i < len(cells):
        label = cells[i]
        name, inline = _label_of(label.text)
        i += 1
        if name is None:
            continue
        if inline is not None:
            yield name, inline
            continue
        while i < len(cells) and not cells[i].text:
            i += 1
        if i < len(cells) and _label_of(cells[i].text)[0] is None:
            yield name, cells[i].text
            i += 1
        else:
            yield name, _value_below(line, label.col, below)


def _value_below(line: Line, col: int, below: Line | None) -> str:
    """Only between a row of nothing but labels and a row of nothing but values, in the same table."""
    if below is None or line.table < 0 or below.table != line.table:
        return ""
    if not all(_label_of(text)[0] for text in line.texts if text) or any(_label_of(t)[0] for t in below.texts):
        return ""
    under = below.covering(col)
    return under.text if under is not None and _label_of(under.text)[0] is None else ""


def _labelled_texts(lines: list[Line], form: FormImport) -> dict[str, str]:
    """Field name -> the text found beside its label; the first non-empty occurrence counts."""
    found: dict[str, str] = {}
    for line, below in zip(lines, [*lines[1:], None], strict=True):
        for name, text in _pairs(line, below):
            if not found.get(name):
                found[name] = text
            elif text and text != found[name]:
                form.notes.append(f"{FIELD_BY_NAME[name].label}：文档中出现多次且内容不同，已取第一处「{_short(found[name])}」")
    return found


def _year_from_headings(lines: list[Line]) -> str:
    """The year from `(2020年度)` under the title, else from the `2020年绩效目标` heading."""
    for pattern in (_YEAR_IN_TITLE, _YEAR_HEADING):
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


def _read_values(lines: list[Line], form: FormImport) -> None:
    texts = _labelled_texts(lines, form)
    if not texts.get("year") and (heading := _year_from_headings(lines)):
        texts["year"] = heading
    for spec in FIELDS:
        if spec.name not in texts:
            form.missing.append(f"{spec.label}：未找到")
            continue
        form.values[spec.name] = _convert(spec, texts[spec.name], form)


# --- finding the indicators -----------------------------------------------------------------------


def _header_columns(line: Line) -> list[int] | None:
    """Grid columns of 一级目标 … 指标目标值 (and 备注) when `line` is the indicator header row."""
    if line.table < 0:
        return None
    wanted = [label_key(h) for h in INDICATOR_HEADERS]
    filled = [cell for cell in line.cells if cell.text]
    keys = [label_key(cell.text) for cell in filled]
    for k in range(len(keys) - 3):
        if keys[k : k + 4] == wanted:
            columns = [cell.col for cell in filled[k : k + 4]]
            if k + 4 < len(keys) and keys[k + 4] == NOTE_HEADER:
                columns.append(filled[k + 4].col)
            return columns
    return None


def _row_texts(line: Line, columns: list[int]) -> list[str]:
    """The text under each header column; a cell spanning several columns counts for the first only."""
    texts, previous = [], None
    for col in columns:
        cell = line.covering(col)
        texts.append(cell.text if cell is not None and cell is not previous else "")
        previous = cell
    return texts


def _table_rows(lines: list[Line]) -> tuple[list[list[str]], bool]:
    """Raw rows under every indicator header row (a table split across pages repeats it); header found?"""
    rows: list[list[str]] = []
    columns, table = None, None
    for line in lines:
        header = _header_columns(line)
        if header is not None:
            columns, table = header, line.table
        elif columns is not None and line.table == table:
            rows.append(_row_texts(line, columns))
    return rows, columns is not None


def _read_indicators(lines: list[Line], form: FormImport) -> None:
    """Indicators with 一级/二级 filled in: blank or vertically merged cells mean "as the row above"."""
    rows, found = _table_rows(lines)
    if not found:
        form.missing.append("绩效指标：未找到指标表（表头：一级目标、二级目标、三级目标、指标目标值）")
        return
    level1 = level2 = ""
    for own1, own2, level3, target, *note in rows:
        level2 = own2 or (level2 if not own1 or own1 == level1 else "")
        level1 = own1 or level1
        if level3 or target:
            form.indicators.append([level1, level2, level3, target, *note])
        elif own1 or own2 or any(note):
            form.notes.append(f"绩效指标：有一行只有一级/二级目标（{level1} {level2}），没有三级目标和指标目标值，已跳过")
    if not form.indicators:
        form.missing.append("绩效指标：指标表中没有指标")


# --- documents and forms --------------------------------------------------------------------------


def _is_title(line: Line) -> bool:
    return len(line.cells) == 1 and label_key(line.cells[0].text).endswith(TITLE_KEY) and len(line.cells[0].text) < 40


def _split_forms(lines: list[Line]) -> list[list[Line]]:
    """One part per form: a document holding several forms repeats the title before each."""
    starts = [i for i, line in enumerate(lines) if _is_title(line)]
    if len(starts) < 2:
        return [lines]
    starts[0] = 0
    return [lines[a:b] for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]


def _holds_form(lines: list[Line]) -> bool:
    return any(_header_columns(line) for line in lines) or any(
        name == "project_name" for line in lines for name, _ in _pairs(line)
    )


def read_document(path: Path, file: str, max_bytes: int) -> list[FormImport]:
    """Every form in the document at `path` (shown as `file`); raises UnreadableDocument."""
    parts = [part for part in _split_forms(load_lines(path, max_bytes)) if _holds_form(part)]
    if not parts:
        raise UnreadableDocument("文档中没有找到绩效目标表（没有“项目名称”等标签，也没有指标表头）")
    forms = []
    for number, part in enumerate(parts, start=1):
        form = FormImport(file if len(parts) == 1 else f"{file}（第 {number} 张表）")
        _read_values(part, form)
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
    """Prepare the form for `year`: year and dates move, this year's budget becomes last year's."""
    source = form.values.get("year")
    if not isinstance(source, int):
        form.values["year"] = year
        form.notes.append(f"年度：原表年度未能读取，已写为 {year}；计划日期未调整，请检查")
        return
    if year <= source:
        form.notes.append(f"年度：指定的 {year} 年不晚于原表的 {source} 年，未做滚动")
        return
    form.values["year"] = year
    for name in ("start_date", "end_date"):
        if isinstance(form.values.get(name), dt.date):
            try:
                form.values[name] = shift_year(form.values[name], year - source)
            except ValueError:  # 9999-12-31 has no next year
                form.notes.append(f"{FIELD_BY_NAME[name].label}：{form.values[name].isoformat()} 无法顺延到 "
                                  f"{year} 年度，已按原样写入，请修改")
    form.values["prior_budget"] = form.values.get("annual_budget")
    form.values["prior_spent"] = None
    form.rolled_from = source
    form.notes.append(f"已滚动到 {year} 年度：项目当年预算、项目总预算沿用 {source} 年数，请按新年度修改；"
                      "同名项目上年预算执行数已留空，请补填")
    stale = [spec.label for spec in FIELDS if spec.kind in ("text", "choice") and str(source) in str(form.values.get(spec.name) or "")]
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


def _mark_prior_spent(book: Workbook) -> None:
    """A comment on the empty 同名项目上年预算执行数 and a reminder beside it (column C: not read)."""
    sheet = book[BUDGET_SHEET]
    key = label_key(FIELD_BY_NAME["prior_spent"].label)
    row = next(r for r in range(1, sheet.max_row + 1) if label_key(sheet.cell(r, 1).value) == key)
    sheet.cell(row, 2).comment = Comment(PRIOR_SPENT_NOTE, "perfxl")
    note = sheet.cell(row, 3, "← 请填写上年实际执行数")
    note.font = Font(bold=True, color="C00000")


def write_form(form: FormImport, folder: Path, config: Config) -> Path:
    """Write the form as a standard workbook in `folder`, named after the project; returns its path."""
    fields = {FIELD_BY_NAME[name].label: value for name, value in form.values.items() if value is not None}
    book = fill_template(config, fields, _workbook_rows(form.indicators))
    if form.rolled_from is not None:
        _mark_prior_spent(book)
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
        result.forms = read_document(path, str(path), config.limits["max_unzipped_mb"] * 2**20)
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


def find_documents(sources: Iterable[Path]) -> list[Path]:
    """The files named, and the Word files (also .doc, to say what to do with them) in folders named."""
    found: list[Path] = []
    for source in sources:
        if not source.is_dir():
            found.append(source)
            continue
        found += sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in WORD_SUFFIXES
                        and not p.name.startswith(("~$", ".")))
    return found


def summary_lines(result: ImportResult) -> list[str]:
    """What the user reads about one document: per form, the output, what was read and what was not."""
    lines = []
    for form in result.forms:
        read = sum(1 for value in form.values.values() if value is not None)
        lines.append(f"{form.source} → {form.output or '（未写出）'}")
        lines.append(f"  已读取：字段 {read}/{len(FIELDS)} 个，绩效指标 {len(form.indicators)} 条")
        lines += [f"  未能读取：{text}" for text in form.missing]
        lines += [f"  请注意：{text}" for text in form.notes]
    if result.failure:
        lines.append(f"{result.file}：失败：{result.failure}")
    return lines


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
