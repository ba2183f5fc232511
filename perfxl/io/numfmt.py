"""Excel number formats: which ones change what a number means (a percentage, a unit shown as literal text),
and what they make of a number."""

from __future__ import annotations

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
    """Whether a number format makes a number mean more than its digits: a percentage or a literal text."""
    code = number_format or ""
    return is_percent_format(code) or '"' in code or "\\" in code


_NUM_FMT = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?numFmt\s[^>]*formatCode="([^"]*)"')
_XF_FORMAT = re.compile(rb'\bnumFmtId="(\d+)"')


def has_meaningful_formats(styles: bytes) -> bool:
    """Whether styles.xml defines a format `changes_meaning` cares about (then openpyxl reads the formats)."""
    codes = (code.decode("utf-8", "replace").replace("&quot;", '"') for code in _NUM_FMT.findall(styles))
    return any(changes_meaning(code) for code in codes) or bool(
        BUILTIN_PERCENT & {m.decode() for m in _XF_FORMAT.findall(styles)})


_SECTION = re.compile(r'(?:"[^"]*"|\\.|[^;])*')
_TEXT = re.compile(r'"([^"]*)"|\\(.)')


def literal_unit(number_format: str) -> str:
    """The text a format shows after a positive number, as a unit: `#,##0.00"万元"` -> `万元`, `0"%"` -> `%`."""
    first = _SECTION.match(number_format or "").group(0)  # the section for positive numbers
    return "".join(a or b for a, b in _TEXT.findall(first)).strip()
