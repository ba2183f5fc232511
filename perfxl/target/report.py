"""The consolidated workbook (绩效目标汇总.xlsx), written with xlsxwriter in constant-memory mode.

Every text is written with `write_string`, so a value such as `=HYPERLINK(…)` stays text.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import math
import unicodedata
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.url import Url

from perfxl.core.model import ERROR, FAILED, PROJECT_SHEET, WARNING
from perfxl.core.values import cut_to_excel_length
from perfxl.target.frames import FAILED_STATUS

SHEETS = (PROJECT_SHEET, "绩效指标", "预算明细", "项目说明", "校验结果", "处理清单")
FRAMES = ("projects", "indicators", "budget_lines", "descriptions", "findings", "ledger")  # one per sheet
HIGHLIGHT = {"projects": "status", "findings": "severity", "ledger": "status"}
NUMBER_FORMATS = {"amount": "#,##0.00", "rate": "0.0%", "date": "yyyy-mm-dd", "int": "0", "number": "General"}
EXCEL_CELL_CHARS = 32767
SAFE_CHARS = EXCEL_CELL_CHARS // 2  # a text this short fits a cell even if every character counts twice
WIDTH_SAMPLE = 2000
# Up to this many cells xlsxwriter keeps the workbook in memory (shared strings: ~30% faster); past it,
# it streams each row to disk (constant memory: 10,000 projects' 1.8 million cells stay under 1 GB).
STREAM_ABOVE_CELLS = 500_000
# Widths for print: texts wrap beyond MAX_WIDTH, headers beyond HEADER_WIDTH; numbers get a fixed width.
MAX_WIDTH = 30
LONG_TEXT_WIDTH = 60  # 项目说明: 700 Chinese characters fit the highest row Excel has; longer go on below
HEADER_WIDTH = 12
NUMBER_WIDTHS = {"amount": 15, "rate": 10, "date": 11, "int": 8, "number": 10}
A4_PAPER = 9  # Excel's paper size code
PAGE_MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6}  # inches
FOOTER = "&L&A&R第 &P 页 共 &N 页"  # sheet name left, page number right


def display_width(text: str) -> int:
    """Columns a text needs in Excel: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value)) or value is pd.NaT


class Writer:
    """Holds the workbook and its cell formats while the sheets are written."""

    def __init__(self, output: io.BytesIO, stream: bool):
        self.book = xlsxwriter.Workbook(output, {
            "constant_memory": stream, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd",
        })
        self.header = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                            "valign": "vcenter"})
        self.formats = {kind: self.book.add_format({"num_format": fmt, "valign": "top"})
                        for kind, fmt in NUMBER_FORMATS.items()}
        self.formats["text"] = None  # Excel's default style: a style on each of a million text cells costs 20%
        # Texts too long for MAX_WIDTH wrap through their column's format, which xlsxwriter gives every
        # unstyled cell of the column; other text columns' format puts their text at the top, as the numbers.
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.top = self.book.add_format({"valign": "top"})
        self.formats["link"] = self.book.add_format({"font_color": "blue", "underline": 1, "valign": "top",
                                                   "text_wrap": True})
        self.error = self.book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "valign": "top"})
        self.warning = self.book.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700", "valign": "top"})
        self.total = self.book.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"})
        self.total_count = self.book.add_format({"bold": True, "top": 1, "num_format": "0"})

    def sheet(self, name: str, frame: pd.DataFrame, columns: dict, highlight: str | None = None,
              wrap_at: float = MAX_WIDTH) -> None:
        """Write `frame` as sheet `name`; texts wider than `wrap_at` wrap; cells of column `highlight` with
        错误/未通过/警告 are coloured."""
        sheet = self.book.add_worksheet(name)
        kinds = [kind for _, kind in columns.values()]
        widths = []
        for col, (key, (header, kind)) in enumerate(columns.items()):
            width = _width(header, frame[key], kind, wrap_at)
            widths.append(width)
            sheet.set_column(col, col, width, self.wrap if kind == "text" and width == wrap_at else
                             self.top if kind == "text" else None)
            sheet.write_string(0, col, header, self.header)
        wrapped = [col for col, width in enumerate(widths) if width == wrap_at and kinds[col] == "text"]
        header_lines = max(text_lines(header, width) for (header, _), width in zip(columns.values(), widths,
                                                                                      strict=True))
        if header_lines > 1:
            sheet.set_row(0, row_height(header_lines))
        sheet.freeze_panes(1, 0)
        name_col = list(columns).index("project_name") if "project_name" in columns else None
        _page_setup(sheet, widths, name_col or 0)
        sheet.autofilter(0, 0, max(len(frame), 1), len(columns) - 1)
        marked = list(columns).index(highlight) if highlight else -1
        # Columns as Python lists, zipped into rows: pandas 3 keeps text in Arrow arrays, and itertuples
        # would fetch each cell through the array's __getitem__ (a fifth of the sheet's time).
        rows = zip(*(frame[key].tolist() for key in columns), strict=True) if len(frame) else ()
        write_string = sheet.write_string
        # 项目汇总 is read back (--previous): one row a project there, never a continued one
        for r, (values, lines) in enumerate(_measured(rows, wrapped, wrap_at, name != SHEETS[0], name_col), start=1):
            # Excel keeps a row one line high until the row is edited, LibreOffice prints it so: a row with
            # wrapped text gets the height of its longest text, so it prints whole.
            if lines > 1:
                sheet.set_row(r, row_height(lines))
            for col, value in enumerate(values):
                kind = kinds[col]
                if kind == "text" and value.__class__ is str and value and col != marked and len(value) <= SAFE_CHARS:
                    write_string(r, col, value)  # the common case (most cells), without the general path
                else:
                    self.cell(sheet, r, col, value, kind, self._mark(value) if col == marked else None)
        if name == SHEETS[0]:
            self.totals(sheet, frame, columns, len(frame) + 1)

    def _mark(self, value: object):
        if value in (ERROR, FAILED_STATUS, FAILED):
            return self.error
        return self.warning if value == WARNING else None

    def cell(self, sheet, row: int, col: int, value: object, kind: str, style=None) -> None:
        style = style or self.formats[kind]
        if kind == "text" and value.__class__ is str and value:  # the common case, first
            # The reader already cut long cell texts with an S07; this guard keeps any other text legal.
            sheet.write_string(row, col, cut_to_excel_length(value, EXCEL_CELL_CHARS), style)
        elif _is_missing(value) or value == "":
            sheet.write_blank(row, col, None, style)
        elif kind == "date":
            sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), style)
        elif kind == "link":
            sheet.write_url(row, col, relative_link(str(value)), style)
        elif kind in ("int", "amount", "rate", "number") and isinstance(value, int | float | Decimal):
            sheet.write_number(row, col, value, style)
        else:
            # The reader already cut long cell texts with an S07; this guard keeps any other text legal.
            sheet.write_string(row, col, cut_to_excel_length(str(value), EXCEL_CELL_CHARS), style)

    def close(self) -> None:
        """Write the file; raises OSError when it cannot be written (xlsxwriter wraps it in its own exception)."""
        try:
            self.book.close()
        except FileCreateError as error:
            cause = error.args[0] if error.args and isinstance(error.args[0], OSError) else OSError(str(error))
            raise cause from error

    def totals(self, sheet, frame: pd.DataFrame, columns: dict, row: int) -> None:
        sheet.write_string(row, 0, f"合计（{len(frame)} 个项目）", self.total)
        for col, (key, (_, kind)) in enumerate(columns.items()):
            if kind == "amount" or key in ("indicator_count", "errors", "warnings"):
                style = self.total if kind == "amount" else self.total_count
                total = frame[key].sum(min_count=1)  # an amount no project of the batch has stays empty
                if _is_missing(total):
                    sheet.write_blank(row, col, None, style)
                else:
                    sheet.write_number(row, col, total, style)


def relative_link(path: str) -> Url:
    """A hyperlink to `path`, relative to the workbook's folder, that resolves on every system.

    xlsxwriter writes `external:` targets with Windows backslashes (`目标表\\x.docx`), which Excel on
    Windows accepts but LibreOffice, Excel for Mac and openpyxl readers take as part of a file name; the
    relationship target is a URI reference, so it gets `/` separators.
    """
    url = Url(f"external:{path}")
    url._relationship_link = url._relationship_link.replace("\\", "/")  # no public setter for the target
    url.text = Path(path).name
    return url


LINE_POINTS = 16  # a line of 11-point text, CJK faces included
MAX_ROW_POINTS = 409  # Excel's highest row


def text_lines(value: object, width: float) -> int:
    """The lines a text takes when it wraps in a column `width` characters wide (a wide character counts
    twice: UTF-8 gives it three bytes, so (bytes + characters) / 2 counts it as two and ASCII as one)."""
    if not isinstance(value, str) or not value:
        return 1
    room = max(width - 1, 1)
    return sum(max(1, math.ceil((len(part.encode("utf-8", "surrogatepass")) + len(part)) / 2 / room))
               for part in value.split("\n"))


def row_height(lines: int) -> float:
    return min(lines * LINE_POINTS, MAX_ROW_POINTS)


MAX_LINES = MAX_ROW_POINTS // LINE_POINTS


def _measured(rows: Iterable[tuple], wrapped: list[int], width: float, go_on: bool,
              name: int | None) -> Iterator[tuple[tuple, int]]:
    """Each row with the lines of its highest wrapped text. With `go_on`, a row higher than Excel's highest
    row is followed by rows that carry on its texts (the first column, 文件, repeated; the project's name
    marked （续）), so that every text prints whole."""
    for values in rows:
        lines = max((text_lines(values[col], width) for col in wrapped), default=1)
        if lines <= MAX_LINES or not go_on:
            yield values, lines
            continue
        parts = {col: _pieces(values[col], width) for col in wrapped}
        for i in range(max(len(pieces) for pieces in parts.values())):
            row = list(values) if i == 0 else [values[0], *[None] * (len(values) - 1)]
            if i and name is not None:
                row[name] = f"{values[name]}（续）"
            for col, pieces in parts.items():
                row[col] = pieces[i] if i < len(pieces) else None
            yield tuple(row), max(text_lines(row[col], width) for col in wrapped)


def _pieces(value: object, width: float) -> list:
    """`value` cut into texts of at most MAX_LINES lines each, at a line break where one is near."""
    if not isinstance(value, str):
        return [value]
    pieces = []
    while text_lines(value, width) > MAX_LINES:
        end = bisect.bisect_right(range(len(value) + 1), MAX_LINES, key=lambda n: text_lines(value[:n], width)) - 1
        line_break = value.rfind("\n", 0, end)
        end = line_break + 1 if line_break > end // 2 else end
        pieces.append(value[:end].removesuffix("\n"))
        value = value[end:]
    return [*pieces, value]


def _width(header: str, values: pd.Series, kind: str, wrap_at: float) -> float:
    """A column width that prints: numbers fixed, texts as wide as their sample up to `wrap_at` (then
    they wrap); a long header wraps in its cell rather than widening the column."""
    if kind in NUMBER_WIDTHS:
        return NUMBER_WIDTHS[kind]
    sample = {v for v in values.head(WIDTH_SAMPLE).tolist() if isinstance(v, str)}  # a column repeats itself
    return min(max([min(display_width(header), HEADER_WIDTH), *map(display_width, sample)]) + 2, wrap_at)


LANDSCAPE_WIDTH = 130  # character units that A4 landscape holds at 100 % within PAGE_MARGINS
PORTRAIT_WIDTH = 90
MIN_FIT_SCALE = 0.6  # below this, fitting to one page wide prints too small to read


def _page_setup(sheet, widths: list[float], name_col: int) -> None:
    """A4, the header row on every page, numbered pages; landscape when wider than portrait holds.

    A sheet is fitted one page wide only when that prints at MIN_FIT_SCALE or more; a wider one prints
    across pages at 100 % with the columns up to 项目名称 repeated on each page (文件 alone when those
    would take more than half the page).
    """
    width = sum(widths)
    sheet.set_paper(A4_PAPER)
    if width > PORTRAIT_WIDTH:
        sheet.set_landscape()
    if width <= LANDSCAPE_WIDTH / MIN_FIT_SCALE:
        sheet.fit_to_pages(1, 0)
    else:
        sheet.repeat_columns(0, name_col if sum(widths[: name_col + 1]) <= LANDSCAPE_WIDTH / 2 else 0)
    sheet.repeat_rows(0)
    sheet.set_margins(**PAGE_MARGINS)
    sheet.set_footer(FOOTER)


def write_report(path: Path, frames: dict[str, pd.DataFrame], columns: dict[str, dict[str, tuple[str, str]]]) -> None:
    """Write the six sheets of the consolidated workbook to `path` from the batch's frames, each with its
    columns (name -> header, kind).

    Raises OSError when the file cannot be written. The zip is built in memory and then written in one
    go: xlsxwriter leaves its zip open when a write fails, and a full disk then also printed
    "Exception ignored in ZipFile.__del__" with a traceback after the message.
    """
    with path.open("wb") as handle:  # opened first: an unwritable folder fails before the work
        handle.write(_workbook_bytes(frames, columns))


def _workbook_bytes(frames: dict[str, pd.DataFrame], columns: dict[str, dict[str, tuple[str, str]]]) -> memoryview:
    cells = sum(frame.size for frame in frames.values())
    output = io.BytesIO()
    writer = Writer(output, stream=cells > STREAM_ABOVE_CELLS)
    for sheet, frame in zip(SHEETS, FRAMES, strict=True):
        writer.sheet(sheet, frames[frame], columns[frame], highlight=HIGHLIGHT.get(frame),
                     wrap_at=LONG_TEXT_WIDTH if frame == "descriptions" else MAX_WIDTH)
    writer.close()
    return output.getbuffer()
