"""The Word template of the form (templates/目标表.docx), written part by part as OOXML.

The template holds the whole look (page, margins, fonts, styles, borders, footer) and jinja2
placeholders in docxtpl syntax; `forms.py` fills it. It is built from our own XML rather than
python-docx's default document, whose styles map East Asian text to a Japanese theme font: here every
`w:rFonts` names its East Asian font explicitly and none carries a `*Theme` attribute.
Staff may restyle the written file in Word; the forms follow without a code change.

Each built-in layout has a body here (BODIES); a layout of one's own brings its own .docx instead.
The indicator table's columns come from the layout.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from perfxl.core.layout import Layout
from perfxl.io.files import atomic_write

LATIN_FONT, EAST_ASIAN_FONT, HEADING_FONT = "Times New Roman", "宋体", "黑体"
PAGE_WIDTH, PAGE_HEIGHT, MARGIN_SIDE, MARGIN_TOP = 11906, 16838, 1134, 1247  # A4 in twips; 2.0 / 2.2 cm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN_SIDE  # 9638
INFO_COLUMNS = (2600, 2500, 1900, 2638)
BUDGET_COLUMNS = (3330, 1489, 3330, 1489)
INDICATOR_COLUMNS = (1560, 1700, 3438, 2940)  # 一级, 二级, 三级, 指标值; a layout's further columns share the 三级's
CHAR_TWIPS, CELL_MARGINS = 210, 240  # a wide character of the 10.5-point text; a cell's left and right margins
MAX_LEVEL2 = 2600
HALVES = (TEXT_WIDTH // 2, TEXT_WIDTH - TEXT_WIDTH // 2)
FUNDS_COLUMNS = (2619, 2200, 2619, 2200)  # amounts such as 10,308,000.00 on one line

NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

INFO_PAIRS = (("项目名称", "project_name", "项目类别", "category"),
              ("计划开始日期", "start_date", "计划完成日期", "end_date"),
              ("是否含有政府购买服务", "gov_procurement", "绩效类型", "performance_type"))
LONG_TEXTS = (("项目概况", "overview"), ("立项依据", "basis"), ("项目设立的必要性", "necessity"),
              ("保证项目实施的制度、措施", "safeguards"), ("项目实施计划", "plan"), ("总目标及阶段性目标", "goals"))
BUDGET_PAIRS = (("项目总预算（元）", "total_budget", "项目当年预算（元）", "annual_budget"),
                ("同名项目上年预算额（元）", "prior_budget", "同名项目上年预算执行数（元）", "prior_spent"))
INFO_PAIRS_2026 = (("项目性质", "nature", "项目类别", "category"), ("主管部门", "department", "实施单位", "unit"),
                   ("计划开始日期", "start_date", "计划完成日期", "end_date"))
FUNDS_ROWS_2026 = (("项目资金总额", "project_funds", "年度资金申请总额", "annual_funds"),
                   ("其中：财政资金", "project_fiscal_funds", "其中：当年财政拨款", "annual_appropriation"),
                   ("其他资金", "project_other_funds", "上年结转资金", "carryover"),
                   ("", "", "其他资金", "annual_other_funds"))


def _fonts(east_asian: str = EAST_ASIAN_FONT, latin: str = LATIN_FONT) -> str:
    return f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{east_asian}" w:cs="{latin}"/>'


def _style(style_id: str, name: str, ppr: str = "", rpr: str = "", kind: str = "paragraph",
           based_on: str = "Normal") -> str:
    base = f'<w:basedOn w:val="{based_on}"/>' if based_on else ""
    return (f'<w:style w:type="{kind}" w:styleId="{style_id}"><w:name w:val="{name}"/>{base}<w:qFormat/>'
            f"{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{f'<w:rPr>{rpr}</w:rPr>' if rpr else ''}</w:style>")


def styles_xml() -> str:
    """The styles part: defaults (宋体 / Times New Roman, 10.5 pt), title, headings, table cells, footer."""
    center = '<w:jc w:val="center"/>'
    borders = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                      for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    table = (f'<w:style w:type="table" w:styleId="FormTable"><w:name w:val="表格框线"/><w:qFormat/>'
             f'<w:pPr><w:spacing w:before="0" w:after="0"/></w:pPr>'
             f'<w:tblPr><w:tblBorders>{borders}</w:tblBorders><w:tblCellMar><w:top w:w="57" w:type="dxa"/>'
             f'<w:left w:w="85" w:type="dxa"/><w:bottom w:w="57" w:type="dxa"/><w:right w:w="85" w:type="dxa"/>'
             f"</w:tblCellMar></w:tblPr></w:style>")
    return (
        f"{HEAD}<w:styles {NS}><w:docDefaults><w:rPrDefault><w:rPr>{_fonts()}"
        '<w:sz w:val="21"/><w:szCs w:val="21"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault>'
        '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="300" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
        "</w:docDefaults>"
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>'
        '<w:pPr><w:jc w:val="both"/></w:pPr></w:style>'
        + _style("Title", "Title", f'<w:spacing w:before="120" w:after="120"/>{center}',
                 f'{_fonts(HEADING_FONT)}<w:b/><w:sz w:val="36"/><w:szCs w:val="36"/>')
        + _style("Subtitle", "Subtitle", f'<w:spacing w:after="120"/>{center}', '<w:sz w:val="24"/>')
        + _style("Unit", "申报单位", '<w:spacing w:after="120"/>', '<w:sz w:val="24"/>')
        + _style("Heading1", "heading 1", f'<w:keepNext/><w:spacing w:before="240" w:after="120"/>{center}'
                 '<w:outlineLvl w:val="0"/>', f'{_fonts(HEADING_FONT)}<w:b/><w:sz w:val="24"/><w:szCs w:val="24"/>')
        + _style("FormLabel", "表格标签", '<w:jc w:val="left"/>', "<w:b/>")
        + _style("FormText", "表格正文", '<w:jc w:val="left"/>')  # CJK text justified in narrow cells spreads out
        + _style("FormValue", "表格填写值", '<w:jc w:val="left"/>')
        + _style("TableHeader", "表格表头", center, f"{_fonts(HEADING_FONT)}<w:b/>")
        + _style("TableCenter", "表格居中", center)
        + _style("Footer", "footer", center, '<w:sz w:val="18"/>')
        + table + "</w:styles>"
    )


def _p(text: str, style: str) -> str:
    run = f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{run}</w:p>'


def _tc(width: int, text: str | tuple[str, ...], style: str, span: int = 1, center: bool = True) -> str:
    """A cell of `width` twips holding one paragraph per text."""
    grid = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    valign = '<w:vAlign w:val="center"/>' if center else ""
    paragraphs = "".join(_p(t, style) for t in ((text,) if isinstance(text, str) else text))
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{grid}{valign}</w:tcPr>{paragraphs}</w:tc>'


def _tr(cells: str, header: bool = False, cant_split: bool = False) -> str:
    props = ("<w:cantSplit/>" if cant_split else "") + ("<w:tblHeader/>" if header else "")
    return f"<w:tr>{f'<w:trPr>{props}</w:trPr>' if props else ''}{cells}</w:tr>"


def _table(widths: tuple[int, ...], rows: str) -> str:
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    return (f'<w:tbl><w:tblPr><w:tblStyle w:val="FormTable"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
            f'<w:jc w:val="center"/><w:tblLayout w:type="fixed"/><w:tblLook w:val="0000"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{rows}</w:tbl>")


def _pair_rows(pairs: tuple[tuple[str, str, str, str], ...], w: tuple[int, ...]) -> str:
    def label(text: str) -> str:
        return f"{text}：" if text else ""

    def value(name: str) -> str:
        return f"{{{{ {name} }}}}" if name else ""

    return "".join(_tr(_tc(w[0], label(a), "FormLabel") + _tc(w[1], value(x), "FormValue")
                       + _tc(w[2], label(b), "FormLabel") + _tc(w[3], value(y), "FormValue"))
                   for a, x, b, y in pairs)


def indicator_widths(layout: Layout) -> tuple[int, ...]:
    """Column widths of the indicator table: the 二级 column as wide as the layout's longest 二级 name
    (服务对象满意度指标 on one line), taken from the 三级 column, which the layout's further columns share."""
    level1, level2, level3, target = INDICATOR_COLUMNS
    longest = max(map(len, layout.level2_names()), default=0)
    wider = min(max(level2, longest * CHAR_TWIPS + CELL_MARGINS), MAX_LEVEL2) - level2
    level2, level3 = level2 + wider, level3 - wider
    extra = len([c for c in layout.columns if c.in_form]) - 4
    share = level3 // (extra + 1)
    return (level1, level2, level3 - share * extra, target, *[share] * extra)


def _indicator_table(layout: Layout) -> str:
    columns = [c for c in layout.columns if c.in_form]
    w = indicator_widths(layout)
    header = _tr("".join(_tc(w[i], c.form_header or c.header, "TableHeader") for i, c in enumerate(columns)),
                 header=True, cant_split=True)
    loop = _tr(_tc(sum(w), "{%tr for row in indicators %}", "FormText", span=len(w)))
    styles = ("TableCenter", "TableCenter", *["FormText"] * (len(w) - 2))
    row = _tr("".join(_tc(w[i], f"{{{{ row.{c.name} }}}}", styles[i]) for i, c in enumerate(columns)),
              cant_split=True)
    end = _tr(_tc(sum(w), "{%tr endfor %}", "FormText", span=len(w)))
    return _table(w, header + loop + row + end)


def _body_2020(layout: Layout) -> str:
    """Title, unit, info grid with the six long texts, last year's budget grid, indicator table."""
    w = INFO_COLUMNS
    long_rows = "".join(_tr(_tc(w[0], f"{label}：", "FormLabel")
                            + _tc(sum(w[1:]), f"{{{{ {name} }}}}", "FormText", span=3, center=False))
                        for label, name in LONG_TEXTS)
    return (_p(layout.title, "Title") + _p("({{ year }}年度)", "Subtitle")
            + _p("申报单位名称：{{ unit }}", "Unit")
            + _table(w, _pair_rows(INFO_PAIRS, w) + long_rows)
            + _p("本项目上年度市级财政资金使用情况", "Heading1")
            + _table(BUDGET_COLUMNS, _pair_rows(BUDGET_PAIRS, BUDGET_COLUMNS))
            + _p("{{ year }}年绩效目标", "Heading1")
            + _indicator_table(layout))


def _goal_heading(layout: Layout) -> str | tuple[str, str]:
    """项目总体目标 and the plan period under it, or the layout's own heading (上海2023: 项目总目标, no period)."""
    label = layout.field("overall_goal").label
    return (label, "{{ span }}") if layout.goal_span else label


def _body_2026(layout: Layout) -> str:
    """Title; header grid; 项目资金（元） in two blocks; 项目总体目标 (with its span) beside 年度总体目标;
    the indicator table (shared/layout-sh2026.md)."""
    w = INFO_COLUMNS
    name_row = _tr(_tc(w[0], "项目名称：", "FormLabel") + _tc(sum(w[1:]), "{{ project_name }}", "FormValue", span=3))
    funds = (_tr(_tc(TEXT_WIDTH, "项目资金（元）", "TableHeader", span=4))
             + _tr(_tc(sum(FUNDS_COLUMNS[:2]), "项目资金", "TableHeader", span=2)
                   + _tc(sum(FUNDS_COLUMNS[2:]), "年度资金", "TableHeader", span=2))
             + _pair_rows(FUNDS_ROWS_2026, FUNDS_COLUMNS))
    goals = (_tr(_tc(TEXT_WIDTH, "项目绩效目标", "TableHeader", span=2))
             + _tr(_tc(HALVES[0], _goal_heading(layout), "TableHeader")
                   + _tc(HALVES[1], layout.field("annual_goal").label, "TableHeader"))
             + _tr(_tc(HALVES[0], "{{ overall_goal }}", "FormText", center=False)
                   + _tc(HALVES[1], "{{ annual_goal }}", "FormText", center=False)))
    return (_p(layout.title, "Title") + _p("（{{ year }}年度）", "Subtitle")
            + _table(w, name_row + _pair_rows(INFO_PAIRS_2026, w))
            + _table(FUNDS_COLUMNS, funds)
            + _table(HALVES, goals)
            + _p("绩效指标", "Heading1")
            + _indicator_table(layout))


BODIES = {"上海2020": _body_2020, "上海2026": _body_2026}  # layouts whose Word template perfxl can write


def document_xml(layout: Layout) -> str:
    """The document part of `layout`'s template, with docxtpl placeholders."""
    section = (f'<w:sectPr><w:footerReference w:type="default" r:id="rIdFooter1"/>'
               f'<w:pgSz w:w="{PAGE_WIDTH}" w:h="{PAGE_HEIGHT}"/>'
               f'<w:pgMar w:top="{MARGIN_TOP}" w:right="{MARGIN_SIDE}" w:bottom="{MARGIN_TOP}" '
               f'w:left="{MARGIN_SIDE}" w:header="567" w:footer="567" w:gutter="0"/></w:sectPr>')
    return f"{HEAD}<w:document {NS}><w:body>{BODIES[layout.body](layout)}{section}</w:body></w:document>"


def footer_xml() -> str:
    """Centred 第 N 页 共 M 页 from PAGE and NUMPAGES fields."""
    def field(code: str) -> str:
        return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> {code} '
                f'</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
                f'<w:r><w:fldChar w:fldCharType="end"/></w:r>')

    text = '<w:r><w:t xml:space="preserve">{}</w:t></w:r>'.format
    return (f'{HEAD}<w:ftr {NS}><w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr>{text("第 ")}{field("PAGE")}'
            f'{text(" 页 共 ")}{field("NUMPAGES")}{text(" 页")}</w:p></w:ftr>')


CONTENT_TYPES = (
    f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/settings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/word/fontTable.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/>'
    '<Override PartName="/word/footer1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = (
    f'{HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/></Relationships>'
)
DOCUMENT_RELS = (
    f'{HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rIdStyles" Type="{REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rIdSettings" Type="{REL}/settings" Target="settings.xml"/>'
    f'<Relationship Id="rIdFontTable" Type="{REL}/fontTable" Target="fontTable.xml"/>'
    f'<Relationship Id="rIdFooter1" Type="{REL}/footer" Target="footer1.xml"/></Relationships>'
)
# the Chinese faces with their Latin names, so Word, WPS and LibreOffice on any system language find them
ALT_NAMES = {"宋体": "SimSun", "黑体": "SimHei", "仿宋": "FangSong"}
FONT_TABLE = (
    f'{HEAD}<w:fonts {NS}><w:font w:name="{LATIN_FONT}"><w:charset w:val="00"/><w:family w:val="roman"/>'
    '<w:pitch w:val="variable"/></w:font>'
    + "".join(f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
              f'<w:family w:val="{"roman" if name == "宋体" else "modern"}"/><w:pitch w:val="fixed"/></w:font>'
              for name, alt in ALT_NAMES.items())
    + "</w:fonts>"
)
SETTINGS = (
    f'{HEAD}<w:settings {NS}><w:defaultTabStop w:val="420"/>'
    '<w:characterSpacingControl w:val="compressPunctuation"/><w:updateFields w:val="false"/><w:compat><w:compatSetting '
    'w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>'
    "</w:settings>"
)
CORE = (
    f'{HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>财政项目支出绩效目标表</dc:title>'
    "<dc:creator>perfxl</dc:creator></cp:coreProperties>"
)


def template_parts(layout: Layout) -> dict[str, str]:
    """Every part of `layout`'s template package, by name in the zip ([Content_Types].xml first)."""
    return {
        "[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": PACKAGE_RELS,
        "docProps/core.xml": CORE.replace("财政项目支出绩效目标表", escape(layout.title)),
        "word/document.xml": document_xml(layout), "word/_rels/document.xml.rels": DOCUMENT_RELS,
        "word/styles.xml": styles_xml(), "word/settings.xml": SETTINGS, "word/fontTable.xml": FONT_TABLE, "word/footer1.xml": footer_xml(),
    }


def write_form_template(path: Path, layout: Layout) -> None:
    """Write `layout`'s Word template to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as temp, zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as package:
        for name, xml in template_parts(layout).items():
            package.writestr(name, xml)
