"""Bad input files built in code: damaged, disguised, hostile or huge variants of a clean workbook."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

INDICATOR_PART = "xl/worksheets/sheet4.xml"  # 绩效指标 in a workbook built by fill_template
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
    + "]>"
)


def rezip(source: Path, target: Path, parts: dict[str, bytes], store: bool = False) -> Path:
    """Copy the workbook at `source` to `target` with `parts` replaced or added."""
    method = zipfile.ZIP_STORED if store else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", method) as new:
        for name in old.namelist():
            new.writestr(name, parts.get(name, old.read(name)))
        for name in parts.keys() - set(old.namelist()):
            new.writestr(name, parts[name])
    return target


def read_part(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


def _without_declaration(xml: str) -> str:
    return xml[xml.index("?>") + 2:] if xml.startswith("<?xml") else xml


def with_entity_bomb(source: Path, target: Path, part: str) -> Path:
    """`source` with a billion-laughs DTD in sheet `part`, one cell of which uses the entity."""
    body = _without_declaration(read_part(source, part)).replace(
        "</sheetData>", '<row r="999"><c r="A999" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>', 1)
    return rezip(source, target, {part: (BILLION_LAUGHS + body).encode()})


def with_shared_strings_bomb(source: Path, target: Path) -> Path:
    """`source` with a sharedStrings part holding a billion-laughs DTD, used by one cell of 绩效指标."""
    strings = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
               "<si><t>&lol9;</t></si></sst>")
    rels = read_part(source, "xl/_rels/workbook.xml.rels").replace("</Relationships>", (
        '<Relationship Id="rIdSS" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/sharedStrings"/></Relationships>'))
    types = read_part(source, "[Content_Types].xml").replace("</Types>", (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
    sheet = read_part(source, INDICATOR_PART).replace(
        "</sheetData>", '<row r="999"><c r="A999" t="s"><v>0</v></c></row></sheetData>', 1)
    return rezip(source, target, {"xl/sharedStrings.xml": (BILLION_LAUGHS + strings).encode(),
                                  "xl/_rels/workbook.xml.rels": rels.encode(),
                                  "[Content_Types].xml": types.encode(), INDICATOR_PART: sheet.encode()})


def with_lying_sizes(source: Path, target: Path, part: str, payload_bytes: int) -> Path:
    """`source` with `part` padded by `payload_bytes` of spaces, its headers claiming the original size."""
    xml = read_part(source, part)
    padded = xml.replace("<sheetData>", "<sheetData>" + " " * payload_bytes, 1).encode()
    rezip(source, target, {part: padded})
    data = bytearray(target.read_bytes())
    real, claimed = len(padded).to_bytes(4, "little"), len(xml.encode()).to_bytes(4, "little")
    # the uncompressed size sits in the local header and in the central directory: rewrite both
    assert data.count(real) == 2, "size fields not found"
    target.write_bytes(bytes(data).replace(real, claimed))
    return target


def zip_bomb(source: Path, target: Path, megabytes: int) -> Path:
    """`source` with a sheet that expands to `megabytes` MB of blanks (a few KB compressed)."""
    xml = read_part(source, INDICATOR_PART)
    padded = xml.replace("<sheetData>", "<sheetData>" + " " * (megabytes * 2**20), 1)
    return rezip(source, target, {INDICATOR_PART: padded.encode()})


def indicator_sheet_xml(rows: list[list[str]]) -> bytes:
    """A 绩效指标 sheet of inline strings: the header row, then `rows` (fast to build for 100,000 rows)."""
    header = ["一级目标", "二级目标", "三级目标", "指标目标值", "备注"]
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    for r, values in enumerate([header, *rows], start=1):
        out.write(f'<row r="{r}">')
        for c, value in enumerate(values):
            if value:
                out.write(f'<c r="{"ABCDE"[c]}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        out.write("</row>")
    out.write("</sheetData></worksheet>")
    return out.getvalue().encode()


def encrypt(source: Path, target: Path, password: str = "1234") -> Path:
    """`source` protected with an opening password, as Excel does (an OLE file with EncryptionInfo)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    with source.open("rb") as plain, target.open("wb") as out:
        OOXMLFile(plain).encrypt(password, out)
    return target


def checksums(folder: Path) -> dict[str, str]:
    """sha256 and modification time of every file under `folder`."""
    return {p.relative_to(folder).as_posix(): f"{hashlib.sha256(p.read_bytes()).hexdigest()} {p.stat().st_mtime_ns}"
            for p in sorted(folder.rglob("*")) if p.is_file()}


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # an OLE container: legacy .doc/.xls


def bad_documents(folder: Path) -> None:
    """Word files import and migrate must refuse with a message: a legacy .doc, an encrypted .docx,
    and a .docx holding no form."""
    import docx

    (folder / "old.doc").write_bytes(OLE_HEADER)
    (folder / "locked.docx").write_bytes(OLE_HEADER + "EncryptionInfo".encode("utf-16-le"))
    memo = docx.Document()
    memo.add_paragraph("会议纪要：讨论下一年度预算。")
    memo.save(folder / "memo.docx")


def string_count_bomb(target: Path, count: int = 2**31 - 1) -> Path:
    """A tiny workbook whose shared-string table announces `count` strings: calamine reserves room for
    them first (51 GB for 2**31 - 1) and aborts the process."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target))
    book.add_worksheet("项目信息").write_string(0, 0, "项目名称")
    book.close()
    strings = read_part(target, "xl/sharedStrings.xml")
    strings = strings.replace('count="1" uniqueCount="1"', f'count="{count}" uniqueCount="{count}"')
    packed = target.with_name(f"packed-{target.name}")
    rezip(target, packed, {"xl/sharedStrings.xml": strings.encode()})
    return packed.replace(target)
