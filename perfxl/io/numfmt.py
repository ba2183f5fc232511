"""Excel number formats: which ones change what a number means (a percentage, a unit shown as literal text),
and what they make of a number."""

from __future__ import annotations

import html
import re

# Number formats that change what a number means: a percentage (built-in 9 and 10, or a `%` outside
# quotes) or a unit shown as literal text (`#,##0.00"万元"`, `0"%"`, `0\%`).
BUILTIN_PERCENT = {"9", "10"}

# A number format's sections and what in them is shown literally: "…" text, \x escapes, [colour] tags.
_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def is_percent_format(number_format: str | None) -> bool:
    """Whether Excel multiplies by 100 to show the number: a `%` outside quotes (`0%`, not `0"%"` or `0\\%`)."""
    return "%" in _LITERAL.sub("", number_format or "")


def changes_meaning(number_format: str | None) -> bool:
    """Whether a number format makes a number mean more than its digits: a percentage, or a unit shown as
    literal text after a positive number (`"万元"`, `"%"`); a currency sign or padding does not count."""
    first = first_section(number_format or "")
    return is_percent_format(first) or bool(literal_unit(first))


_NUM_FMT = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?numFmt\s[^>]*formatCode="([^"]*)"')
_NUM_FMT_ID = re.compile(rb'\bnumFmtId="(\d+)"')
_CELL_XFS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?cellXfs[\s>].*?</(?:[A-Za-z_][\w.-]*:)?cellXfs>", re.DOTALL)


def has_meaningful_formats(styles: bytes) -> bool:
    """Whether styles.xml gives a cell a format `changes_meaning` cares about (then openpyxl reads the
    formats): a custom one, or a built-in percentage used by a cell format (not only by a named style, as
    the 百分比 style of every Excel workbook is)."""
    codes = (html.unescape(code.decode("utf-8", "replace")) for code in _NUM_FMT.findall(styles))
    cell_formats = b"".join(_CELL_XFS.findall(styles))
    return any(changes_meaning(code) for code in codes) or bool(
        BUILTIN_PERCENT & {m.decode() for m in _NUM_FMT_ID.findall(cell_formats)})


_SECTION = re.compile(r'(?:"[^"]*"|\\.|[^;])*')
_TEXT = re.compile(r'"([^"]*)"|\\(.)')
NOT_A_UNIT = "¥￥$€£ -()_*"  # currency signs, padding and the signs of accounting formats


def first_section(number_format: str) -> str:
    """The section of a format for positive numbers (before the first `;` outside quotes)."""
    match = _SECTION.match(number_format)
    return match.group(0) if match else ""


def literal_unit(number_format: str) -> str:
    """The text a format shows after a positive number, as a unit: `#,##0.00"万元"` -> `万元`, `0"%"` -> `%`;
    `"¥"#,##0.00` and accounting formats show no unit."""
    first = first_section(number_format or "")
    return "".join(a or b for a, b in _TEXT.findall(first)).strip(NOT_A_UNIT)
