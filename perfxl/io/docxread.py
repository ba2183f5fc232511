"""Opening a Word document safely and flattening it into lines of cells, in reading order.

A paragraph becomes a line of one cell; a table row becomes a line of its physical cells (`w:tc`),
each with the grid column it starts at. Reading `w:tc` elements rather than python-docx's
`row.cells` means a horizontally merged cell appears once instead of once per grid column, and a
vertically merged continuation cell (`w:vMerge` without `restart`) is seen as such instead of
repeating the text of the cell above.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.oxml.ns import qn
from lxml import etree

from perfxl.core.errors import PerfxlError
from perfxl.io.files import office_container

NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
# Text of runs, wherever they sit (hyperlinks, content controls, tracked insertions), but not the
# text of drawing text boxes, which Word also stores twice (choice and fallback).
_RUN_TEXT = etree.XPath(
    "(.//w:r/w:t | .//w:r/w:tab | .//w:r/w:br | .//w:r/w:cr)[not(ancestor::w:txbxContent)]", namespaces=NS
)
_CELL_PARAGRAPHS = etree.XPath("./w:p | ./w:sdt/w:sdtContent/w:p", namespaces=NS)
_ROWS = etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr | ./w:customXml/w:tr", namespaces=NS)
_CELLS = etree.XPath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces=NS)
_NESTED_TABLES = etree.XPath("./w:tbl | ./w:sdt/w:sdtContent/w:tbl", namespaces=NS)
_GRID_BEFORE = etree.XPath("string(./w:trPr/w:gridBefore/@w:val)", namespaces=NS)
MAX_COLUMNS = 63  # Word's limit for one table
_GRID_SPAN = etree.XPath("string(./w:tcPr/w:gridSpan/@w:val)", namespaces=NS)
_VMERGE = etree.XPath("./w:tcPr/w:vMerge", namespaces=NS)
_CONTAINERS = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:ins"), qn("w:smartTag")}


class UnreadableDocument(PerfxlError):
    """The file is not a Word document perfxl can open; the message says what to do."""


@dataclass(frozen=True)
class Cell:
    """One physical cell (or a paragraph): its text and the grid columns it covers."""

    text: str
    col: int = 0
    span: int = 1
    merged_up: bool = False  # a vertical-merge continuation: shows the cell above


@dataclass(frozen=True)
class Line:
    """A paragraph (`table` is -1) or a table row (`table` numbers the tables of the document)."""

    cells: tuple[Cell, ...]
    table: int = -1

    @property
    def texts(self) -> list[str]:
        return [cell.text for cell in self.cells]

    def covering(self, col: int) -> Cell | None:
        """The cell that covers grid column `col`, if any."""
        return next((c for c in self.cells if c.col <= col < c.col + c.span), None)


def _text(element: etree._Element) -> str:
    parts = []
    for node in _RUN_TEXT(element):
        tag = etree.QName(node).localname
        parts.append((node.text or "") if tag == "t" else "\t" if tag == "tab" else "\n")
    return "".join(parts)


def _span(tc: etree._Element) -> int:
    """The columns a cell spans; 1 for a value Word would not write (`abc`, 0, a million)."""
    value = _GRID_SPAN(tc)
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_COLUMNS else 1


def _cell(tc: etree._Element, col: int) -> Cell:
    span = _span(tc)
    merges = _VMERGE(tc)
    merged_up = bool(merges) and merges[0].get(qn("w:val"), "continue") != "restart"
    text = "" if merged_up else "\n".join(_text(p) for p in _CELL_PARAGRAPHS(tc)).strip()
    return Cell(text, col, span, merged_up)


class _Flattener:
    """Walks a document body in reading order and collects its lines."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.tables = 0

    def walk(self, parent: etree._Element) -> None:
        for child in parent:
            if child.tag == qn("w:p"):
                text = _text(child).strip()
                if text:
                    self.lines.append(Line((Cell(text),)))
            elif child.tag == qn("w:tbl"):
                self.table(child)
            elif child.tag in _CONTAINERS:
                self.walk(child)

    def table(self, tbl: etree._Element) -> None:
        number = self.tables
        self.tables += 1
        for tr in _ROWS(tbl):
            tcs = _CELLS(tr)
            if any(_NESTED_TABLES(tc) for tc in tcs):
                for tc in tcs:  # a layout table: its cells hold the form's paragraphs and tables
                    self.walk(tc)
                continue
            col = int(_GRID_BEFORE(tr) or 0)
            cells = []
            for tc in tcs:
                cells.append(_cell(tc, col))
                col += cells[-1].span
            self.lines.append(Line(tuple(cells), number))


def _check_container(path: Path, max_bytes: int) -> None:
    """Refuse what is not a .docx container, or one that would expand past `max_bytes`."""
    kind = office_container(path)
    if kind == "empty":
        raise UnreadableDocument("文件是空的（0 字节）：请重新保存或重新发送该文件")
    if kind == "encrypted":
        raise UnreadableDocument("文档设置了打开密码，无法读取：请在 Word 中取消密码后另存为 .docx")
    if kind == "legacy":
        raise UnreadableDocument("这是旧版 Word（.doc）格式的文件，无法读取：请另存为 .docx（用 Word 或 WPS 打开，文件 → 另存为）")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"{\\rtf"):
        raise UnreadableDocument("这是 RTF 格式的文件：请用 Word 或 WPS 打开，另存为 .docx")
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".doc":
            raise UnreadableDocument("无法识别的 .doc 文件（可能是网页格式）：请用 Word 或 WPS 打开，另存为 .docx")
        raise UnreadableDocument("不是 Word 文档（.docx），或文件已损坏：请用 Word 打开并另存为 .docx")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    if sum(info.file_size for info in infos) > max_bytes:
        raise UnreadableDocument(f"文件解压后超过 {max_bytes // 2**20} MB，疑似异常文件，已拒绝读取")
    if not any(info.filename.startswith("word/") for info in infos):
        raise UnreadableDocument("压缩包中没有 Word 正文，不是 .docx 文档：请用 Word 另存为 .docx")


def load_lines(path: Path, max_bytes: int) -> list[Line]:
    """The document's paragraphs and table rows in reading order; raises UnreadableDocument."""
    _check_container(path, max_bytes)
    try:
        document = docx.Document(str(path))
    except ValueError as error:
        if "macroEnabled" in str(error):
            raise UnreadableDocument("这是启用宏的 Word 文档（.docm）：请另存为 .docx") from error
        raise UnreadableDocument("不是 Word 文档（.docx）：请用 Word 打开并另存为 .docx") from error
    except Exception as error:  # a damaged part can fail anywhere inside python-docx or lxml
        raise UnreadableDocument("文件已损坏，无法打开：请用 Word 打开并另存为 .docx，或请对方重新发送") from error
    flattener = _Flattener()
    flattener.walk(document.element.body)
    return flattener.lines
