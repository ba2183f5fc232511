"""Checking a workbook's container before any parser sees it: one pass over every part's bytes.

A zip bomb (also one whose headers lie about sizes) stops at the limit, an XML entity definition is
refused, and each sheet's used area, hidden rows and columns and formulas are found on the way.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from perfxl.core.errors import PerfxlError
from perfxl.io.files import office_container
from perfxl.io.numfmt import has_meaningful_formats

DTD_MARKS = (b"<!DOCTYPE", b"<!ENTITY")
XML_SUFFIXES = (".xml", ".rels", ".vml")
FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
# A cell's address, or the far corner of the sheet's declared <dimension>: both size what an engine allocates.
CELL_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:c\s[^>]*?\br=\"|dimension\s+ref=\"(?:[A-Z]{1,3}\d{1,7}:)?)"
                      rb"([A-Z]{1,3})(\d{1,7})\"")
# A row Excel hides: `<row r="5" … hidden="1">` (attributes in any order).
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\s([^>]*)>")
HIDDEN_ATTR = re.compile(rb"\bhidden=\"(?:1|true)\"")
ROW_ATTR = re.compile(rb"\br=\"(\d+)\"")
# A column range Excel hides: `<col min="2" max="3" … hidden="1"/>`.
COL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?col\s([^>]*)>")
COL_MIN, COL_MAX = re.compile(rb"\bmin=\"(\d+)\""), re.compile(rb"\bmax=\"(\d+)\"")
# A cell without `r=`: an engine places it after the previous one, so its position is found only by counting.
UNADDRESSED_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?:\s(?:(?!\br=)[^>])*)?/?>")
ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s>/]")
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
CHUNK = 1 << 20
LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # a zip member's local header: signature … name and extra lengths
LOCAL_SIGNATURE = b"PK\x03\x04"
SHEET_LIST_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
STYLES_PART = "xl/styles.xml"
# Only for parts already refused if they hold a DTD; no network, no entity expansion, in any case.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
STRING_COUNT = re.compile(rb'\b(?:uniqueCount|count)\s*=\s*["\'](\d+)')
SMALLEST_STRING = len(b"<si/>")
OVERLAP = 256  # bytes kept from the previous chunk, so that no mark is missed across a chunk boundary


@dataclass(frozen=True)
class Limits:
    """How much a workbook may expand to (bytes) and how many cells one sheet's used area may span."""

    max_bytes: int
    max_cells: int

    @classmethod
    def of(cls, limits: dict) -> Limits:
        """From the configuration's [limits] table."""
        return cls(limits["max_unzipped_mb"] * 2**20, limits["max_sheet_cells"])


class UnreadableWorkbook(PerfxlError):
    """The file is not a workbook perfxl can open; `reason` and `todo` are for the user."""

    def __init__(self, reason: str, todo: str):
        super().__init__(reason)
        self.reason = reason
        self.todo = todo


def _refuse_size(max_bytes: int) -> UnreadableWorkbook:
    return UnreadableWorkbook(f"文件解压后超过 {max_bytes // 2**20} MB，疑似异常文件，已拒绝读取",
                              "请确认文件来源；正常的申报表只有几十 KB")


@dataclass
class Scan:
    """What one pass over a part's bytes found: its real size so far, formulas, the sheet's used area."""

    total: int = 0
    has_formulas: bool = False
    max_row: int = 0
    max_col: int = 0
    hidden_rows: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # part -> rows
    hidden_cols: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # part -> columns
    meaningful_formats: bool = False  # styles.xml has a percent or literal-text number format
    date1904: bool = False
    hidden_sheets: set[str] = field(default_factory=set)
    parts: dict[str, str] = field(default_factory=dict)  # sheet name -> its part
    unaddressed: bool = False  # the part holds cells without an address
    data: bytes = b""  # the whole file, read once: the engines parse it from memory


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _scan_window(window: bytes, name: str, scan: Scan) -> None:
    if name.endswith(XML_SUFFIXES) and any(mark in window for mark in DTD_MARKS):
        raise UnreadableWorkbook("文件中含有 XML 实体定义（DOCTYPE/ENTITY），正常的 Excel 文件没有，疑似恶意文件，已拒绝读取",
                                 "请确认文件来源，用 Excel 打开后另存为 .xlsx 再放入 input 文件夹")
    if not name.startswith("xl/worksheets/"):
        return
    scan.has_formulas = scan.has_formulas or FORMULA_TAG.search(window) is not None
    scan.unaddressed = scan.unaddressed or UNADDRESSED_CELL.search(window) is not None
    hidden = b"hidden" in window  # rows and columns are hidden only by an attribute of that name
    for attributes in ROW_TAG.findall(window) if hidden else ():
        if HIDDEN_ATTR.search(attributes) and (number := ROW_ATTR.search(attributes)):
            scan.hidden_rows[name].add(int(number.group(1)) - 1)
    for attributes in COL_TAG.findall(window) if hidden else ():
        low, high = COL_MIN.search(attributes), COL_MAX.search(attributes)
        if HIDDEN_ATTR.search(attributes) and low and high:  # Excel has 16384 columns
            scan.hidden_cols[name].update(range(int(low.group(1)) - 1, min(int(high.group(1)), 16384)))
    refs = CELL_REF.findall(window)
    if refs:  # the farthest row and column, converted once: a sheet may hold a million cells
        scan.max_row = max(scan.max_row, max(map(int, (digits for _, digits in refs))))
        widest = max((letters for letters, _ in refs), key=lambda letters: (len(letters), letters))
        scan.max_col = max(scan.max_col, _column_number(widest))


def _member_chunks(data: bytes, info: zipfile.ZipInfo, limits: Limits) -> Iterator[bytes]:
    """The bytes a member really expands to, in chunks, never more than the size limit nor than its
    headers say (a zip bomb may lie in them), checked against its CRC as zipfile would. Expanded with
    zlib straight from the file's bytes: zipfile's own reader cost four times as much a member on a
    usual workbook's twelve small parts."""
    if info.flag_bits & 1:
        raise UnreadableWorkbook("工作簿中有加密的部件，无法读取", "请取消密码后另存为 .xlsx 再放入 input 文件夹")
    header = data[info.header_offset : info.header_offset + LOCAL_HEADER.size]
    if len(header) < LOCAL_HEADER.size or header[:4] != LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    name_length, extra_length = LOCAL_HEADER.unpack(header)[-2:]
    start = info.header_offset + LOCAL_HEADER.size + name_length + extra_length
    packed = data[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        chunks: Iterator[bytes] = (packed[i : i + CHUNK] for i in range(0, len(packed), CHUNK))
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        chunks = _inflate(packed)
    else:
        raise NotImplementedError(f"compression {info.compress_type}")
    total, crc = 0, 0
    for chunk in chunks:
        total += len(chunk)
        if total > limits.max_bytes:
            raise _refuse_size(limits.max_bytes)
        if total > info.file_size:  # more than its headers say: damaged, or a bomb in disguise
            raise zipfile.BadZipFile(f"{info.filename} is larger than its header says")
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if total != info.file_size or crc != info.CRC:
        raise zipfile.BadZipFile(f"{info.filename} does not match its header")


def _inflate(packed: bytes) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    while not inflater.eof:
        chunk = inflater.decompress(packed, CHUNK)  # also when all input is in: output may be pending
        packed = inflater.unconsumed_tail
        if not chunk and not packed and not inflater.eof:
            raise zlib.error("truncated member")
        yield chunk


def _scan_part(data: bytes, info: zipfile.ZipInfo, scan: Scan, limits: Limits) -> bytes:
    """Expand one part in chunks, counting the bytes it really holds (not what its header claims); its
    whole text when it is a small workbook part the scan reads afterwards, else b""."""
    tail = b""
    kept = []
    scan.max_row = scan.max_col = 0
    scan.unaddressed = False
    head, size = b"", 0
    for chunk in _member_chunks(data, info, limits):
        scan.total += len(chunk)
        size += len(chunk)
        if scan.total > limits.max_bytes:
            raise _refuse_size(limits.max_bytes)
        window = tail + chunk
        _scan_window(window, info.filename, scan)
        tail = window[-OVERLAP:]
        head = head or chunk[:OVERLAP]
        if info.filename in SHEET_LIST_PARTS or info.filename == STYLES_PART:
            kept.append(chunk)
    if info.filename.lower().endswith("sharedstrings.xml"):
        _check_string_count(head, size)
    if scan.unaddressed:  # rare: count rows and the widest row, each cell placed after the addressed ones
        rows, widest = _count_rows_and_cells(_member_chunks(data, info, limits))
        scan.max_row, scan.max_col = scan.max_row + rows, scan.max_col + widest
    if scan.max_row * scan.max_col > limits.max_cells:
        raise UnreadableWorkbook(
            f"工作表的使用范围过大（{scan.max_row} 行 × {scan.max_col} 列），已拒绝读取",
            "请删除远处误填的单元格（按 Ctrl+End 可找到），保存后重新放入 input 文件夹")
    return b"".join(kept)


def _check_string_count(head: bytes, size: int) -> None:
    """Refuse a shared-string table that announces more strings than its bytes can hold: calamine reserves
    room for the announced count first (2,147,483,647 strings in a 7 KB file asked for 51 GB and aborted)."""
    announced = max((int(n) for n in STRING_COUNT.findall(head)), default=0)
    if announced > size // SMALLEST_STRING + 1:
        raise UnreadableWorkbook(f"工作簿的共享字符串表声明了 {announced} 个字符串，实际只有 {size} 字节，文件已损坏或被改动过",
                                 "请用 Excel 打开并另存为 .xlsx，或请填报人重新发送")


def _count_rows_and_cells(chunks: Iterable[bytes]) -> tuple[int, int]:
    """The number of rows of a sheet part and the most cells in one row, by counting tags."""
    rows = widest = current = 0
    tail = b""
    for chunk in chunks:
        window = tail + chunk
        for match in ROW_OR_CELL.finditer(window):
            if match.end() <= len(tail):  # counted with the previous chunk
                continue
            if match.group(1) == b"row":
                rows, current = rows + 1, 0
            else:
                current += 1
                widest = max(widest, current)
        tail = window[-OVERLAP:]
    return rows, widest


def _read_sheet_list(texts: dict[str, bytes], scan: Scan) -> None:
    """Each sheet's part and whether it is hidden, from workbook.xml (already checked: no DTD)."""
    scan.meaningful_formats = has_meaningful_formats(texts.get(STYLES_PART, b""))
    rels = etree.fromstring(texts[SHEET_LIST_PARTS[1]], XML_PARSER)
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    book = etree.fromstring(texts[SHEET_LIST_PARTS[0]], XML_PARSER)
    scan.date1904 = any(p.get("date1904") in ("1", "true") for p in book.iter(f"{MAIN_NS}workbookPr"))
    for sheet in book.iter(f"{MAIN_NS}sheet"):
        name, target = sheet.get("name", ""), targets.get(sheet.get(REL_ID), "")
        scan.parts[name] = posixpath.normpath(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
        if sheet.get("state", "visible") != "visible":
            scan.hidden_sheets.add(name)


def check_container(path: Path, limits: Limits) -> Scan:
    """Refuse what is not a safe .xlsx container before any parser sees it; what the scan found, with
    the file's bytes (`scan.data`), read once.

    Every part is expanded once in chunks: a zip bomb (also one whose headers lie about sizes) stops at
    the limit, an XML entity definition is refused, and a sheet's used area is measured before an engine
    would allocate it.
    """
    kind = office_container(path)
    if kind == "special":
        raise UnreadableWorkbook("不是普通文件（命名管道、设备等）", "请给出工作簿（.xlsx）本身")
    if kind == "empty":
        raise UnreadableWorkbook("文件是空的（0 字节）", "文件可能没有保存完整，请重新保存或重新发送该文件")
    if kind == "encrypted":
        raise UnreadableWorkbook("工作簿设置了打开密码，无法读取", "请取消密码后另存为 .xlsx 再放入 input 文件夹")
    if kind == "legacy":
        raise UnreadableWorkbook("这是旧版 Excel（.xls）格式的文件", "请用 Excel 或 WPS 打开，另存为 .xlsx 格式")
    try:
        if path.stat().st_size > limits.max_bytes:  # larger packed than the limit allows unpacked
            raise _refuse_size(limits.max_bytes)
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
        if SHEET_LIST_PARTS[0] not in {info.filename for info in infos}:
            raise UnreadableWorkbook("文件不是 Excel 工作簿", "请使用模板填写并另存为 .xlsx 格式")
        if sum(info.file_size for info in infos) > limits.max_bytes:
            raise _refuse_size(limits.max_bytes)
        scan = Scan(data=data)
        texts = {info.filename: _scan_part(data, info, scan, limits) for info in infos}
        _read_sheet_list(texts, scan)
        return scan
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError,
            KeyError, etree.XMLSyntaxError) as error:
        raise UnreadableWorkbook("文件已损坏，无法打开（不是完整的 .xlsx 文件）",
                                 "请用 Excel 打开并另存，或请填报人重新发送") from error
