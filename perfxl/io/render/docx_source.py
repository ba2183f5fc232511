"""The jinja2 source of a Word part: docxtpl's `patch_xml`, plus what docxtpl does not do.

- vertical merges on 一级/二级: docxtpl's `{% vm %}` merges every row of a loop and cannot keep one 一级
  cell across several 二级 groups (docxtpl issue #249), so a cell whose text is `{{ row.level1 }}` or
  `{{ row.level2 }}` gets a `w:vMerge` computed per row by `indicator_rows`;
- the rows of a 一级 keep with the next row while the 一级 goes on (`row.keep`);
- line breaks in a value become paragraphs with the paragraph's and run's own properties.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup, escape

if TYPE_CHECKING:
    from docxtpl import DocxTemplate

MERGED = {"level1": "merge1", "level2": "merge2"}  # cell text field -> the row's vMerge value
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
PARAGRAPH = re.compile(r"<w:p[ >].*?</w:p>", re.DOTALL)
RUN = re.compile(r"<w:r[ >].*?</w:r>", re.DOTALL)
EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
TABLE_ROW = re.compile(r"<w:tr[ >](?:(?!<w:tr[ >]).)*?</w:tr>", re.DOTALL)
KEEP_NEXT = "{% if row.keep %}<w:keepNext/>{% endif %}"
CELL = re.compile(r"<w:tc[ >](?:(?!<w:tc[ >]).)*?</w:tc>", re.DOTALL)
TCPR_HEAD = re.compile(r"<w:tcPr>((?:<w:tcW [^>]*/>)?(?:<w:gridSpan [^>]*/>)?)")


def _shows(xml: str, field: str) -> bool:
    """Whether `xml` shows `row.<field>` (as written, or routed through the paragraphs filter)."""
    return re.search(rf"\{{\{{\s*\(?\s*row\.{field}\b", xml) is not None


def paragraphs_filter(breaks: list[str]):
    def paragraphs(value: object, index: int) -> Markup:
        text = "" if value is None or isinstance(value, jinja2.Undefined) else str(value)
        if INVALID_XML.search(text):
            text = INVALID_XML.sub("", text)
        if "\n" not in text and "\r" not in text:  # the usual case, and the hot path of a large batch
            return escape(text)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return Markup(breaks[index].join(str(escape(line)) for line in lines))
    return paragraphs


def _route_expressions(source: str, breaks: list[str]) -> str:
    """Send every `{{ … }}` in a run through the `paragraphs` filter, with that paragraph's break XML."""
    def paragraph(m: re.Match) -> str:
        ppr = re.search(r"<w:pPr>.*?</w:pPr>", m.group(0), re.DOTALL)
        return RUN.sub(lambda r: run(r, ppr.group(0) if ppr else ""), m.group(0))

    def run(m: re.Match, ppr: str) -> str:
        if "{{" not in m.group(0):
            return m.group(0)
        rpr = re.search(r"<w:rPr>.*?</w:rPr>", m.group(0), re.DOTALL)
        breaks.append(f'</w:t></w:r></w:p><w:p>{ppr}<w:r>{rpr.group(0) if rpr else ""}'
                      '<w:t xml:space="preserve">')
        index = len(breaks) - 1
        xml = re.sub(r"<w:t>", '<w:t xml:space="preserve">', m.group(0))
        return EXPRESSION.sub(lambda e: f"{{{{ ({e.group(1).strip()})|paragraphs({index}) }}}}", xml)

    return PARAGRAPH.sub(paragraph, source)


def _add_vertical_merges(source: str) -> str:
    """Give each cell showing `row.level1`/`row.level2` a `w:vMerge` from the row's merge value."""
    def cell(m: re.Match) -> str:
        xml = m.group(0)
        for field, merge in MERGED.items():
            if _shows(xml, field):
                tag = f'{{% if row.{merge} %}}<w:vMerge w:val="{{{{ row.{merge} }}}}"/>{{% endif %}}'
                if "<w:tcPr>" not in xml:
                    xml = re.sub(r"(<w:tc(?: [^>]*)?>)", r"\1<w:tcPr></w:tcPr>", xml, count=1)
                return TCPR_HEAD.sub(lambda head: f"<w:tcPr>{head.group(1)}{tag}", xml, count=1)  # noqa: B023
        return xml

    return CELL.sub(cell, source)


def _keep_groups_together(source: str) -> str:
    """Give each paragraph of the row showing `row.level1` a keepNext while its 一级 goes on, so that Word
    and LibreOffice move a 一级's rows to the next page together (no single row alone on a page)."""
    def table_row(m: re.Match) -> str:
        xml = m.group(0)
        return PARAGRAPH.sub(paragraph, xml) if _shows(xml, "level1") else xml

    def paragraph(m: re.Match) -> str:
        xml = m.group(0)
        if "<w:keepNext/>" in xml:
            return xml
        if "<w:pPr>" in xml:  # keepNext follows pStyle in the schema's order
            return re.sub(r"<w:pPr>(<w:pStyle [^>]*/>)?", lambda h: f"<w:pPr>{h.group(1) or ''}{KEEP_NEXT}", xml,
                          count=1)
        return re.sub(r"(<w:p(?: [^>]*)?>)", rf"\1<w:pPr>{KEEP_NEXT}</w:pPr>", xml, count=1)

    return TABLE_ROW.sub(table_row, source)


def jinja_source(patcher: DocxTemplate, xml: bytes, breaks: list[str]) -> str:
    from lxml import etree

    root = etree.fromstring(xml)
    source = patcher.patch_xml(etree.tostring(root, encoding="unicode"))
    source = _keep_groups_together(_add_vertical_merges(_route_expressions(source, breaks)))
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + source
