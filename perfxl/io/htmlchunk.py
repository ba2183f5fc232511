"""A Word document's altChunk in HTML, MHT or plain text, as docxread's lines: Word shows such a chunk as
part of the document (tools that generate documents put forms there), so perfxl reads it the same way.

HTML tables become rows of cells with the grid column each starts at; a cell a `rowspan` carries down is a
vertical-merge continuation in the rows below, as `w:vMerge` is in Word's own tables."""

from __future__ import annotations

import email
import email.policy
import re

from lxml import etree, html

from perfxl.io.lines import Cell, Line

BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "caption")
MAX_SPAN = 63  # Word's limit of columns for one table
SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


ELEMENTS = re.compile(rb"<(?:td|th|tr|p|div|li)[\s/>]", re.IGNORECASE)


class TooManyCells(ValueError):
    """The chunk holds more paragraphs and cells than a document may."""


def chunk_lines(data: bytes, first_table: int, max_cells: int) -> list[Line] | None:
    """The lines of an altChunk's bytes, tables numbered from `first_table`; None when the format is not
    one perfxl reads (RTF, an image…). TooManyCells, counted before parsing, past `max_cells`."""
    head = data[:2048].lower()
    if head.lstrip().startswith(b"{\\rtf"):
        return None
    if b"mime-version" in head:
        html = _html_of_mht(data)
        if html is None:
            return None
        data, head = html, html[:2048].lower()
    if b"<html" in head or b"<table" in head or b"<body" in head or b"<p" in head:
        if sum(1 for _ in ELEMENTS.finditer(data)) > max_cells:
            raise TooManyCells(max_cells)
        return _html_lines(data, first_table)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return [Line((Cell(line.strip()),)) for line in text.splitlines() if line.strip()]


def _html_of_mht(data: bytes) -> bytes | None:
    message = email.message_from_bytes(data, policy=email.policy.default)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                return None
            charset = part.get_content_charset() or "utf-8"
            try:
                return payload.decode(charset, errors="replace").encode("utf-8")
            except LookupError:
                return payload
    return None


def _text(element: etree._Element) -> str:
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    lines = [SPACES.sub(" ", line).strip() for line in element.text_content().split("\n")]
    return "\n".join(line for line in lines if line)


def _number(value: str | None) -> int:
    return int(value) if value and value.strip().isdigit() and 0 < int(value) <= MAX_SPAN else 1


class _Reader:
    def __init__(self, first_table: int) -> None:
        self.lines: list[Line] = []
        self.tables = first_table

    def walk(self, element: etree._Element) -> None:
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "table":
                self.table(child)
            elif child.tag in BLOCKS and child.find(".//table") is None:
                if text := _text(child):
                    self.lines.append(Line((Cell(text),)))
            else:
                self.walk(child)

    def table(self, table: etree._Element) -> None:
        number, self.tables = self.tables, self.tables + 1
        carried: dict[int, tuple[int, int]] = {}  # column -> (rows it still covers, span) of a rowspan above
        for tr in table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr"):
            cells, col, started = [], 0, {}
            for td in tr.xpath("./td | ./th"):
                while col in carried:
                    cells.append(Cell("", col, carried[col][1], merged_up=True))
                    col += carried[col][1]
                span, down = _number(td.get("colspan")), _number(td.get("rowspan"))
                cells.append(Cell(_text(td), col, span))
                if down > 1:
                    started[col] = (down - 1, span)
                col += span
            cells += [Cell("", c, carried[c][1], merged_up=True) for c in sorted(carried) if c >= col]
            carried = {c: (left - 1, span) for c, (left, span) in carried.items() if left > 1} | started
            self.lines.append(Line(tuple(cells), number))


def _html_lines(data: bytes, first_table: int) -> list[Line]:
    root = html.fromstring(data)
    reader = _Reader(first_table)
    reader.walk(root.find("body") if root.find("body") is not None else root)
    return reader.lines
