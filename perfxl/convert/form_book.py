"""A form on its way to a standard workbook, from Word (import) or from the 2020 layout (migrate): what it
holds, rolling it to a new year (--year), and writing it with the cells a person must fill or check
highlighted and commented. Nothing is overwritten."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from perfxl.core.config import Config
from perfxl.core.layout import Layout
from perfxl.core.model import INDICATOR_SHEET
from perfxl.core.values import label_key
from perfxl.io.files import MAX_NAME_BYTES, safe_file_name, write_unique
from perfxl.io.xlsx import save_book
from perfxl.target.template import fill_template

TO_FILL = PatternFill("solid", fgColor="FFC7CE")  # a cell a person must fill
TO_REVIEW = PatternFill("solid", fgColor="FFEB9C")  # a default a person should check


@dataclass(frozen=True)
class Mark:
    """A cell left to a person: highlighted, with a comment saying what to write or check."""

    note: str
    field: str = ""  # a field's value cell, or
    indicator: int = -1  # an indicator's 三级 and 指标值 cells (its index); neither: the table's first row
    review: bool = False  # holds a default to check rather than nothing


@dataclass
class FormImport:
    """One form found in a document: values read (field name -> value), what is missing, the output."""

    source: str
    layout: Layout
    values: dict[str, object] = field(default_factory=dict)
    indicators: list[list[str]] = field(default_factory=list)  # level1, level2, level3, target[, note]
    budget_lines: list[list[object]] = field(default_factory=list)  # 预算明细: item, amount, note
    missing: list[str] = field(default_factory=list)  # "字段：问题", what could not be read
    notes: list[str] = field(default_factory=list)  # reminders for the user
    marks: list[Mark] = field(default_factory=list)
    rolled_from: int | None = None
    output: Path | None = None
    kept: str = ""  # why it was not written although nothing is wrong (the folder holds the same)
    refused: str = ""  # why it was not written, and what to do

    @property
    def project_name(self) -> str:
        return str(self.values.get("project_name") or "")


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
        day = form.values.get(spec.name)
        if spec.kind == "date" and isinstance(day, dt.date):
            try:
                form.values[spec.name] = shift_year(day, year - source)
            except ValueError:  # 9999-12-31 has no next year
                form.notes.append(f"{spec.label}：{day.isoformat()} 无法顺延到 "
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


NUMBER_ROOM = 16  # bytes kept for `（12）.xlsx`


def free_paths(folder: Path, stem: str) -> Iterator[Path]:
    """`folder/stem.xlsx`, then `stem（2）.xlsx`, `stem（3）.xlsx`…: the names an import may take, in turn."""
    yield folder / f"{stem}.xlsx"
    yield from (folder / f"{stem}（{number}）.xlsx" for number in itertools.count(2))


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
        elif mark.indicator >= 0:
            sheet = book[INDICATOR_SHEET]
            cells = [sheet.cell(2 + mark.indicator, col) for col in (3, 4)]
        else:  # about the indicator table as a whole: its first row, where the indicators go
            cells = [book[INDICATOR_SHEET].cell(2, col) for col in (1, 2, 3, 4)]
        for cell in cells:
            cell.fill = fill
        cells[0].comment = Comment(mark.note, "perfxl", width=300, height=120)


def write_form(form: FormImport, folder: Path, config: Config) -> Path:
    """Write the form as a standard workbook of its layout in `folder`, named after the project, with its
    marks; returns its path."""
    labels = {spec.name: spec.label for spec in form.layout.fields}
    fields = {labels[name]: value for name, value in form.values.items() if value is not None}
    book = fill_template(config, fields, _workbook_rows(form.indicators), form.budget_lines, layout=form.layout.name)
    mark_cells(book, form.layout, form.marks)
    stem = safe_file_name(form.project_name or Path(form.source).stem, "", MAX_NAME_BYTES - NUMBER_ROOM)
    target = write_unique(free_paths(folder, stem), lambda temp: save_book(book, temp))  # never overwrites
    if target.stem != stem:
        form.notes.append(f"{stem}.xlsx 已存在，未覆盖，另存为 {target.name}")
    form.output = target
    return target
