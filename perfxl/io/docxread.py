"""Opening a Word document safely and flattening it into lines of cells, in reading order.

A paragraph becomes a line of one cell; a table row becomes a line of its physical cells (`w:tc`),
each with the grid column it starts at. Reading `w:tc` elements rather than python-docx's
`row.cells` means a horizontally merged cell appears once instead of once per grid column, and a
vertically merged continuation cell (`w:vMerge` without `restart`) is seen as such instead of
repeating the text of the cell above.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from docx.oxml.ns import qn
from lxml import etree

from perfxl.core.errors import PerfxlError
from perfxl.io.files import OversizedFile, office_container, read_zip
from perfxl.io.htmlchunk import TooManyCells, chunk_lines
from perfxl.io.lines import Cell, Line

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
DEFAULT_MAX_CELLS = 200_000  # defaults.toml's [limits] max_word_cells
_ELEMENT = re.compile(rb"<w:(?:p|tc)[\s/>]")  # paragraphs and cells, counted before the XML is parsed
# No entities (no billion laughs), no network, libxml2's default depth and size limits (no huge_tree).
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
_GRID_SPAN = etree.XPath("string(./w:tcPr/w:gridSpan/@w:val)", namespaces=NS)
_VMERGE = etree.XPath("./w:tcPr/w:vMerge", namespaces=NS)
# An altChunk inside a table, a content control or another container: Word shows it, perfxl reads only
# the ones that stand in the body itself, so these become notes.
_INNER_CHUNKS = etree.XPath("./*[not(self::w:altChunk)]//w:altChunk", namespaces=NS)
_CONTAINERS = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:ins"), qn("w:smartTag")}


class UnreadableDocument(PerfxlError):
    """The file is not a Word document perfxl can open; the message says what to do."""


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


def _grid_before(tr: etree._Element) -> int:
    """The grid columns a row skips; 0 for a value Word would not write (`x`, -1, a million)."""
    value = _GRID_BEFORE(tr)
    return int(value) if value.isdigit() and int(value) <= MAX_COLUMNS else 0


def _cell(tc: etree._Element, col: int) -> Cell:
    span = _span(tc)
    merges = _VMERGE(tc)
    merged_up = bool(merges) and merges[0].get(qn("w:val"), "continue") != "restart"
    text = "" if merged_up else "\n".join(_text(p) for p in _CELL_PARAGRAPHS(tc)).strip()
    return Cell(text, col, span, merged_up)


class _Flattener:
    """Walks a document body in reading order and collects its lines, at most `max_cells` cells."""

    def __init__(self, max_cells: int = DEFAULT_MAX_CELLS) -> None:
        self.lines: list[Line] = []
        self.tables = 0
        self.cells = 0
        self.max_cells = max_cells

    def walk_body(self, body: etree._Element) -> Iterator[etree._Element]:
        """Walk `body`, yielding each w:altChunk at its place (the caller appends what it holds)."""
        for child in body:
            if child.tag == qn("w:altChunk"):
                yield child
            else:
                self.element(child)

    def walk(self, parent: etree._Element) -> None:
        for child in parent:
            self.element(child)

    def element(self, child: etree._Element) -> None:
        if child.tag == qn("w:p"):
            text = _text(child).strip()
            if text:
                self.add(Line((Cell(text),)))
        elif child.tag == qn("w:tbl"):
            self.table(child)
        elif child.tag in _CONTAINERS:
            self.walk(child)

    def add(self, line: Line) -> None:
        self.cells += len(line.cells)
        if self.cells > self.max_cells:
            raise UnreadableDocument(f"文档的段落和表格单元格超过 {self.max_cells:,} 个，已拒绝读取")
        self.lines.append(line)

    def table(self, tbl: etree._Element) -> None:
        number = self.tables
        self.tables += 1
        for tr in _ROWS(tbl):
            tcs = _CELLS(tr)
            if any(_NESTED_TABLES(tc) for tc in tcs):
                for tc in tcs:  # a layout table: its cells hold the form's paragraphs and tables
                    self.walk(tc)
                continue
            col = _grid_before(tr)
            cells = []
            for tc in tcs:
                cells.append(_cell(tc, col))
                col += cells[-1].span
            self.add(Line(tuple(cells), number))


def _check_container(path: Path) -> None:
    """Refuse what is not a .docx container, from its first bytes (never reading a whole file for it)."""
    kind = office_container(path)
    if kind == "special":
        raise UnreadableDocument("不是普通文件（命名管道、设备等），无法读取：请给出 Word 文档（.docx）本身")
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


@dataclass(frozen=True)
class WordLimits:
    """How large a Word document perfxl reads: its bytes (packed and unpacked) and its paragraphs plus
    table cells. A form is a few hundred cells and a document of forms a few MB."""

    max_bytes: int
    max_cells: int

    @classmethod
    def of(cls, limits: dict) -> WordLimits:
        """From the configuration's [limits] table."""
        return cls(limits["max_word_mb"] * 2**20, limits["max_word_cells"])


@dataclass
class WordDocument:
    """A document's lines in reading order, and what in it was not read (`notes`, for the user)."""

    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _wanted(name: str) -> bool:
    return not name.startswith(("word/media/", "word/embeddings/")) or name.endswith(".docx")


def _relationships(parts: dict[str, bytes], rels: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target) of a relationships part; empty when it is missing."""
    if rels not in parts:
        return {}
    root = etree.fromstring(parts[rels], _PARSER)
    return {r.get("Id"): (r.get("Type", ""), r.get("Target", "")) for r in root}


def _part_name(source: str, target: str) -> str:
    """The part a relationship of `source` names: `target` relative to its folder, or from the root."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _main_part(parts: dict[str, bytes]) -> str:
    for kind, target in _relationships(parts, "_rels/.rels").values():
        if kind.endswith("/officeDocument"):
            return _part_name("", target)
    return "word/document.xml"


def _parse(parts: dict[str, bytes], limits: WordLimits, depth: int = 0) -> WordDocument:
    """The lines of the package `parts`; an altChunk that is itself a .docx is read in place (once deep)."""
    if b"macroEnabled" in parts.get("[Content_Types].xml", b""):
        raise UnreadableDocument("这是启用宏的 Word 文档（.docm）：请另存为 .docx")
    name = _main_part(parts)
    if name not in parts:
        raise UnreadableDocument("压缩包中没有 Word 正文，不是 .docx 文档：请用 Word 另存为 .docx")
    xml = parts[name]
    elements = sum(1 for _ in _ELEMENT.finditer(xml))
    if elements > limits.max_cells:
        raise _too_many(limits)
    root = etree.fromstring(xml, _PARSER)
    if root.tag != qn("w:document"):  # a workbook or a presentation renamed .docx
        raise UnreadableDocument("不是 Word 文档（.docx）：请用 Word 打开并另存为 .docx")
    body = root.find(qn("w:body"))
    document = WordDocument()
    if body is None:
        return document
    rels = _relationships(parts, posixpath.join(posixpath.dirname(name), "_rels", posixpath.basename(name) + ".rels"))
    flattener = _Flattener(limits.max_cells)
    for chunk in flattener.walk_body(body):  # each altChunk, where it stands
        _, target = rels.get(chunk.get(qn("r:id")), ("", ""))
        data = parts.get(_part_name(name, target), b"")
        lines = _chunk(data, flattener.tables, limits, document) if depth == 0 else None
        if lines is None:
            document.notes.append(f"文档中有一段以其他格式嵌入的内容（{posixpath.basename(target) or '无名'}），perfxl 未能读取："
                                  "请在 Word 中打开该文档另存为 .docx 后重试，或核对该段内容")
            continue
        for line in lines:
            flattener.add(line)
        flattener.tables = max([flattener.tables - 1, *(line.table for line in lines)]) + 1
    for chunk in _INNER_CHUNKS(body):
        _, target = rels.get(chunk.get(qn("r:id")), ("", ""))
        document.notes.append(f"文档的表格或内容控件中嵌入了一段内容（{posixpath.basename(target) or '无名'}），perfxl 未能读取："
                              "请在 Word 中打开该文档另存为 .docx 后重试，或核对该段内容")
    document.lines = flattener.lines
    return document


def _chunk(data: bytes, first_table: int, limits: WordLimits, document: WordDocument) -> list[Line] | None:
    """The lines of an altChunk (a .docx package, HTML, MHT or text), its tables numbered from
    `first_table`; None when it is in a format perfxl does not read."""
    if data[:4] != b"PK\x03\x04":
        try:
            return chunk_lines(data, first_table, limits.max_cells)
        except TooManyCells as error:
            raise _too_many(limits) from error
    inner = _parse(read_zip(data, limits.max_bytes, _wanted), limits, depth=1)
    document.notes += inner.notes
    return [Line(line.cells, line.table + first_table if line.table >= 0 else -1) for line in inner.lines]


def _too_many(limits: WordLimits) -> UnreadableDocument:
    return UnreadableDocument(f"文档的段落和表格单元格超过 {limits.max_cells:,} 个（一张绩效目标表只有几百个），"
                              "疑似异常文件，已拒绝读取；如确为正常文档，请拆分后再导入，或调高 perfxl.toml 中的 "
                              "[limits] max_word_cells")


def load_document(path: Path, limits: WordLimits) -> WordDocument:
    """The document's paragraphs and table rows in reading order, and what was not read; raises
    UnreadableDocument. Its size and kind are checked before anything is read whole."""
    _check_container(path)
    try:
        parts = read_zip(path, limits.max_bytes, _wanted)
    except OversizedFile as error:
        raise UnreadableDocument(f"{error}（上限见 perfxl.toml 的 [limits] max_word_mb）") from error
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
        raise UnreadableDocument("文件已损坏，无法打开：请用 Word 打开并另存为 .docx，或请对方重新发送") from error
    try:
        return _parse(parts, limits)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
            RuntimeError) as error:
        raise UnreadableDocument("文件已损坏，无法打开：请用 Word 打开并另存为 .docx，或请对方重新发送") from error
    except OversizedFile as error:
        raise UnreadableDocument(f"文档中嵌入的内容：{error}") from error


def load_lines(path: Path, max_bytes: int, max_cells: int = DEFAULT_MAX_CELLS) -> list[Line]:
    """The document's paragraphs and table rows in reading order; raises UnreadableDocument."""
    return load_document(path, WordLimits(max_bytes, max_cells)).lines
