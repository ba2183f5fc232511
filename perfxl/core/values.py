"""Parsing of what people type into the workbook: labels, amounts, dates, years, targets, text."""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


class ParseError(ValueError):
    """A cell's content cannot be read as the value its field needs."""


# Full-width forms (U+FF01…U+FF5E) read as their ASCII twins, one character for one, so that a match in
# the folded text has the same positions in the text as typed; compatibility characters such as ㎡ or ℃
# are left alone (NFKC would turn ㎡ into `m2`).
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: " ", 0xFE61: "*", 0xFE59: "(",
                                                                     0xFE5A: ")", 0xFE55: ":"}
# Characters that draw nothing but reorder or hide text: bidi controls (a right-to-left override turns
# `P\u202egpj.exe` into `Pexe.jpg` on screen), zero-width characters, line and paragraph separators.
INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
INVISIBLE_OR_SPACE = re.compile(f"[\\s{INVISIBLE}]+")  # white space and the characters above
_INVISIBLE = INVISIBLE_OR_SPACE


def fold_width(text: str) -> str:
    """`text` with full-width letters, digits, signs and spaces as their half-width twins (same length)."""
    return text.translate(_WIDTH)


@functools.lru_cache(maxsize=8192, typed=True)  # labels and names recur in every workbook of a batch
def text_key(text: object) -> str:
    """The form of a name used for comparing: half-width, no white space or invisible characters."""
    return _INVISIBLE.sub("", fold_width(str(text or "")))


@functools.lru_cache(maxsize=8192, typed=True)
def label_key(text: object) -> str:
    """The form of a label used for matching: `text_key` without `*`/`＊` and without a trailing colon."""
    return text_key(text).replace("*", "").rstrip(":")


def excel_length(text: str) -> int:
    """Length as Excel counts it: UTF-16 code units, so a character outside the BMP (𠀀) counts twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def cut_to_excel_length(text: str, limit: int) -> str:
    """`text` cut to at most `limit` Excel characters, never splitting a character in two."""
    if len(text) * 2 <= limit or excel_length(text) <= limit:
        return text
    kept, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            break
        kept.append(ch)
    return "".join(kept)


_DRAWS_NOTHING = re.compile(f"[{INVISIBLE}]")
# What a terminal must not receive raw: control characters (ESC starts screen-clearing and title sequences),
# the invisible ones above, and lone surrogates (a file name that is not valid UTF-8).
_HIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}\ud800-\udfff]")


def strip_invisible(text: str) -> str:
    """`text` without bidi controls, zero-width and other invisible characters."""
    return _DRAWS_NOTHING.sub("", text)


def visible(text: object) -> str:
    """`text` for a terminal: control and invisible characters shown as escapes (`\\x1b`, `\\u202e`)."""
    text = str(text)
    if not _HIDDEN.search(text):
        return text
    return _HIDDEN.sub(lambda m: m.group(0).encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_text(value: object) -> str:
    """A cell value as the text a person sees (whole floats without `.0`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows a logical value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value).strip()


_TAG = re.compile(r"</?(?:p|br|span|div|b|strong|i|em|u|font|o:p)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^<>]*>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:nbsp|amp|lt|gt|quot|#\d+|#x[0-9a-f]+);", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Strip HTML markup pasted from web systems (`<p>`, `<br>`, `&nbsp;`), keeping line breaks."""
    if "<" not in text and "&" not in text:
        return text
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    text = _ENTITY.sub(lambda m: html.unescape(m.group()).replace("\xa0", " "), text)
    return text.strip()


CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")
MAX_AMOUNT = Decimal(10**15)  # yuan; beyond any budget


def decimal_of(number: int | float | Decimal | str) -> Decimal:
    """`number` as a Decimal: a float through its shortest repr, the digits Excel shows (0.1 is 0.1, not
    0.1000000000000000055511151231257827), so that a cell holding 81200.00 or 91.43 stays that amount."""
    if isinstance(number, Decimal):
        return number
    if isinstance(number, float):
        return Decimal(repr(number))
    return Decimal(number)


def round2(number: int | float | Decimal) -> Decimal:
    """`number` to two decimals, half up, as a person rounds on paper (8.775 -> 8.78, 2.675 -> 2.68)."""
    return decimal_of(number).quantize(CENT, ROUND_HALF_UP)


def plain(number: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: `1500`, `91.43`, `0.5`."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def yuan(amount: int | float | Decimal | None, decimals: int = 0) -> str:
    """An amount as the form shows it: `1,338,310`, or `1,338,310.50` with fen; empty when missing.

    With `decimals` 2 always two decimals, as the 2026 form prints them: `10,308,000.00`. Fen are
    rounded half up."""
    if amount is None:
        return ""
    amount = decimal_of(amount)
    if amount == amount.to_integral_value() and not decimals:
        return f"{amount.quantize(Decimal(1)):,f}"
    return f"{round2(amount):,f}"


NUMBER = r"[+-]?\d[\d,]*(?:\.\d+)?"
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_AMOUNT = re.compile(rf"^[¥￥]?({NUMBER})(万元|元|万)?$")
COMMA_PROBLEM = "中的逗号不是千位分隔符（千位分隔符只能每三位一个）；小数点请用“.”"


def read_number(text: str) -> Decimal:
    """A number written with digits, `.` for decimals and, optionally, `,` between groups of three digits.

    `1,000,000.00` is a million; `1000000,00` or `1,5` (a decimal comma) is refused, not misread."""
    if "," in text and not _THOUSANDS.fullmatch(text):
        raise ParseError(COMMA_PROBLEM)
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as error:
        raise ParseError("不是数字") from error


def parse_amount(value: object) -> Decimal:
    """Yuan from a number or from text such as `1,338,310`, `1338310元`, `１３３８３１０`, `133.8万元`.

    Exact: a float cell is read through its shortest repr, 万元 is multiplied as a decimal."""
    if isinstance(value, bool):
        raise ParseError("是逻辑值（TRUE/FALSE），不是金额")
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            raise ParseError("超出金额的合理范围（不是有限的数）")
        amount = decimal_of(value)
        if abs(amount) > MAX_AMOUNT:
            raise ParseError("超出金额的合理范围")
        # under half a fen is 0.00 as Excel shows it (a formula's float residue, 5.55e-17): never a
        # divisor of 1e-313 making a rate of 1e313
        return amount if abs(amount) >= HALF_CENT else Decimal(0)
    match = _AMOUNT.match(_INVISIBLE.sub("", fold_width(str(value))))
    if not match:
        raise ParseError("不是金额")
    amount = read_number(match.group(1))
    return parse_amount(amount * 10000 if match.group(2) in ("万元", "万") else amount)


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0{1,2}:00(?::00)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value: object) -> dt.date:
    """A date from an Excel date or serial, `2020-01-01`, `2020/1/1`, `2020.1.1`, `2020年1月1日`, `20200101`."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ParseError("是逻辑值（TRUE/FALSE），不是日期")
    if isinstance(value, int | float):
        if 19000101 <= value <= 29991231 and float(value).is_integer():
            return parse_date(str(int(value)))
        if 1 <= value < 2958466:  # Excel's 1900 system serials, 1900-01-01 … 9999-12-31
            return _from_serial(value)
        raise ParseError("数值超出日期范围")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        raise ParseError("不是日期")
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError as error:
        raise ParseError("日期不存在") from error


def _from_serial(serial: float) -> dt.date:
    """The date of an Excel 1900-system serial; serials before 1 March 1900 count Excel's phantom 29 Feb."""
    return (dt.datetime(1899, 12, 30 if serial >= 61 else 31) + dt.timedelta(days=serial)).date()


_YEAR = re.compile(r"^(\d{4})(?:\.0)?\s*(?:年度?)?$")


def parse_year(value: object) -> int:
    """A fiscal year from `2020`, `2020年`, `2020年度`."""
    if isinstance(value, bool):
        raise ParseError("是逻辑值（TRUE/FALSE），不是年度")
    if isinstance(value, dt.date):
        raise ParseError("显示为日期：该单元格被设成了日期格式，请把格式改为“常规”后填写四位年份")
    match = _YEAR.match(unicodedata.normalize("NFKC", to_text(value)))
    if not match or not 1990 <= int(match.group(1)) <= 2100:
        raise ParseError("不是年度")
    return int(match.group(1))
