"""The indicator table of a Word form: found by its header row, read row by row, and followed into a
second table that continues it without a header (Word's 拆分表格 at a page break, or a form rebuilt
from a published PDF, where each page's part is a table of its own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from perfxl.convert.form_book import FormImport, Mark
from perfxl.core.layout import Column
from perfxl.core.values import label_key
from perfxl.io.docxread import Line

MAX_GAP = 3  # paragraphs (a page heading, an empty line kept as text) allowed between two parts of a table


def header_columns(line: Line, columns: list[Column], primary: bool = False) -> list[int] | None:
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


def _width(line: Line) -> int:
    return max((cell.col + cell.span for cell in line.cells), default=0)


def _continuation(line: Line, header: Line, columns: list[int], is_label: Callable[[str], bool]) -> list[int] | None:
    """The columns to read a headerless table by, when its first row `line` has the indicator table's
    shape: the header's grid when the widths agree, else its own last cells, one per column."""
    if any(is_label(text) for text in line.texts if text):
        return None
    if _width(line) == _width(header) and all(line.covering(col) is not None for col in columns):
        return columns
    if len(line.cells) >= len(columns):
        return [cell.col for cell in line.cells[-len(columns):]]
    return None


class _Reader:
    """Walks the lines once: the rows under each header, and under each table that continues one."""

    def __init__(self, columns: list[Column], is_label: Callable[[str], bool]) -> None:
        self.columns, self.is_label = columns, is_label
        self.rows: list[list[str]] = []
        self.header: Line | None = None
        self.at: list[int] = []  # the grid columns read in the current table
        self.table = -1
        self.gap = 0  # paragraphs since the current table's last row
        self.continued = 0  # tables read as a continuation

    def take(self, line: Line) -> None:
        if (found := header_columns(line, self.columns)) is not None:
            self.header, self.at, self.table, self.gap = line, found, line.table, 0
        elif self.header is None:
            return
        elif line.table == self.table:
            self.rows.append(_row_texts(line, self.at))
        elif line.table < 0:
            self.gap += 1
        elif line.table == self.table + 1 and self.gap <= MAX_GAP and (
                at := _continuation(line, self.header, self.at, self.is_label)) is not None:
            self.at, self.table, self.gap = at, line.table, 0
            self.continued += 1
            self.rows.append(_row_texts(line, self.at))
        else:
            self.table = -2  # another table: the indicator table has ended


def _read(lines: list[Line], columns: list[Column], is_label: Callable[[str], bool]) -> _Reader:
    reader = _Reader(columns, is_label)
    for line in lines:
        reader.take(line)
    return reader


def _carried(rows: list[list[str]]) -> Iterator[tuple[str, str, list[str]]]:
    """(一级, 二级, the row) of each row: blank or vertically merged cells mean "as the row above"."""
    level1 = level2 = ""
    for row in rows:
        own1, own2 = row[0], row[1]
        level2 = own2 or (level2 if not own1 or own1 == level1 else "")
        level1 = own1 or level1
        yield level1, level2, row


def level_pairs(lines: list[Line], columns: list[Column], is_label: Callable[[str], bool]) -> set[tuple[str, str]]:
    """The (一级, 二级) pairs of the indicator rows, as `columns` read them: what tells layouts apart."""
    return {(level1, level2) for level1, level2, row in _carried(_read(lines, columns, is_label).rows) if row[2] or row[3]}


def read_indicators(lines: list[Line], form: FormImport, is_label: Callable[[str], bool]) -> None:
    """Indicators with 一级/二级 filled in: blank or vertically merged cells mean "as the row above"."""
    reader = _read(lines, form.layout.columns, is_label)
    names = [c.header for c in form.layout.columns]
    if reader.header is None:
        _unread(form, f"未找到指标表（表头：{'、'.join(names[:4])}）")
        return
    for level1, level2, (own1, own2, level3, target, *note) in _carried(reader.rows):
        if level3 or target:
            form.indicators.append([level1, level2, level3, target, *note])
        elif own1 or own2 or any(note):
            form.notes.append(f"绩效指标：有一行只有{names[0]}/{names[1]}（{level1} {level2}），"
                              f"没有{names[2]}和{names[3]}，已跳过")
    if reader.continued:
        form.notes.append(f"绩效指标：指标表在后面的 {reader.continued} 个表格中继续（分页拆开的表格，没有表头），"
                          "已一并读取，请核对")
    if not form.indicators:
        _unread(form, "指标表中没有指标")


def _unread(form: FormImport, problem: str) -> None:
    """Indicators the form does not give: listed on screen, and the table's first row marked."""
    form.missing.append(f"绩效指标：{problem}")
    form.marks.append(Mark(f"导入时未能读取绩效指标：{problem}。请对照原表逐行填写。"))
