"""The quantity grammar: what may be typed as a 指标目标值 or a 实际完成值, read the same way everywhere.

    quantity  := [label] [operator] number [scale] [unit] [suffix] [inclusion] [punctuation]
    operator  := ≥ ≤ > < = (also >= <= ≧ ≦ => =<) | a word of OPERATOR_WORDS (不低于, 至少, 超过, 低于 …)
    number    := digits [, groups of three] [. digits] [e|E [+-] digits]
    scale     := 万 | 亿 | 千 | 百万 | 千万   (before any unit: 万元, 万人次, 千元; alone: 400万)
    suffix    := 以上 | 及以上 | 以下 | 及以下 | 以内 | 之内 | 内
    inclusion := （含） | （不含）   (after a suffix; 不含 makes ≥/≤ strict)

The text is folded to half-width first (`９５％` is `95%`); a label before a symbol or word operator
(`满意度≥95%`) is dropped; a range (`90%-95%`, `90~95%`, `90%至95%`) and an operator contradicted by its
suffix (`≤95%以上`) are refused with a reason rather than misread; a placeholder in place of the number
(`≥XX%`, `××人次`, `＊＊`, `某`) is recognised as one. Anything else is a qualitative target, kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from perfxl.core.values import INVISIBLE_OR_SPACE, ParseError, fold_width, plain, read_number

SYMBOLS = {">=": "≥", "≥": "≥", "≧": "≥", "=>": "≥", "<=": "≤", "≤": "≤", "≦": "≤", "=<": "≤",
           ">": ">", "<": "<", "=": "=", "＝": "="}
OPERATOR_WORDS = {
    "大于或等于": "≥", "大于等于": "≥", "不低于": "≥", "不少于": "≥", "不小于": "≥", "至少": "≥", "达到": "≥",
    "小于或等于": "≤", "小于等于": "≤", "不高于": "≤", "不超过": "≤", "不多于": "≤", "不大于": "≤", "至多": "≤",
    "最多": "≤", "控制在": "≤", "大于": ">", "超过": ">", "高于": ">", "多于": ">", "低于": "<", "小于": "<",
    "少于": "<", "不足": "<", "等于": "=",
}
SUFFIXES = {"及以上": "≥", "以上": "≥", "及以下": "≤", "以下": "≤", "以内": "≤", "之内": "≤", "内": "≤"}
STRICT = {"≥": ">", "≤": "<"}
SCALES = {"百万": Decimal(10**6), "千万": Decimal(10**7), "万": Decimal(10**4), "亿": Decimal(10**8),
          "千": Decimal(1000)}
PERCENT_UNITS = {"%": Decimal(1), "‰": Decimal("0.1")}  # in percent
PLACEHOLDER_CHARS = "Xx×*某"  # after folding: Ｘ is X, ＊ and ﹡ are *
TRAILING = "。.，,；;！!、 "
MAX_DIGITS = 15  # digits before the decimal point of the largest number read (a quadrillion)

_WORDS = "|".join(sorted(OPERATOR_WORDS, key=len, reverse=True))
_SYMBOLS = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
NUMBER = r"[+-]?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?"
# label (short text ending before an operator), operator, number or placeholder run, the rest
_QUANTITY = re.compile(rf"^(?:[^\d<>=≥≤≧≦]{{1,12}}?(?=(?:{_SYMBOLS}|{_WORDS})))??({_SYMBOLS}|{_WORDS})?"
                       rf"({NUMBER}|[{PLACEHOLDER_CHARS}]+)(.*)$")
_RANGE = re.compile(rf"^{NUMBER}\D{{0,6}}?(?:-|~|～|—|–|至|到)\s*{NUMBER}")
_INCLUSION = re.compile(r"[(（](不?含)[)）]$")
# A unit: up to 8 characters, no digit except the 2 or 3 of a Latin unit (m2, m3); ㎡ ㎞ ℃ are units too.
_UNIT = re.compile(r"^(?:[^\d]|(?<=[A-Za-z])[23]){0,8}$")


@dataclass(frozen=True)
class Target:
    """A 指标目标值 or 实际完成值: the text to show, and for a quantity its operator, value and unit."""

    text: str
    operator: str = ""
    value: Decimal | None = None
    unit_of_measure: str = ""  # as the grammar reads it: half-width, without parentheses or suffix
    problem: str = ""  # why a text that looks like a quantity could not be read as one (S04)
    placeholder: bool = False  # the number is a placeholder: ≥XX%, ××人次

    @property
    def quantitative(self) -> bool:
        return self.value is not None

    @property
    def base(self) -> tuple[str, Decimal]:
        """The unit without its scale, and the scale: 万元 -> (元, 10000), ‰ -> (%, 0.1), 400万 -> ('', 10000)."""
        return base_unit(self.unit_of_measure)


def base_unit(unit: str) -> tuple[str, Decimal]:
    """`unit` as (base unit, factor to it): `万元` -> (`元`, 10000), `千米` -> (`米`, 1000), `%` -> (`%`, 1)."""
    if unit in PERCENT_UNITS:
        return "%", PERCENT_UNITS[unit]
    for prefix in sorted(SCALES, key=len, reverse=True):
        if unit.startswith(prefix):
            return unit[len(prefix):], SCALES[prefix]
    return unit, Decimal(1)


def _clean(written: str) -> str:
    """Half-width, without white space and invisible characters, without trailing punctuation."""
    return INVISIBLE_OR_SPACE.sub("", fold_width(written)).rstrip(TRAILING)


def _suffix(rest: str) -> tuple[str, str, str]:
    """(unit, operator of the suffix, inclusion) from what follows the number: `%以上（含）` -> (`%`, `≥`, `含`)."""
    inclusion = _INCLUSION.search(rest)
    if inclusion:
        rest = rest[: inclusion.start()]
    for word, meaning in SUFFIXES.items():
        if rest.endswith(word):
            return rest.removesuffix(word), meaning, inclusion.group(1) if inclusion else ""
    return rest, "", inclusion.group(1) if inclusion else ""


def _unit(text: str) -> str:
    """The unit without the parentheses some forms print around it: `=100.00(%)` is in %."""
    if len(text) > 2 and text[0] == "(" and text[-1] == ")":
        return text[1:-1]
    return text


def parse_target(written: str) -> Target:
    """Read `written` by the grammar above; a qualitative target (kept as written) when it is no quantity."""
    shown = written.strip()
    text = _clean(written).replace("（", "(").replace("）", ")")
    match = _QUANTITY.match(text)
    if not match:
        return Target(text=shown)
    word, number, rest = match.groups()
    if _RANGE.match(text[match.start(2):]):
        return Target(text=shown, problem="是一个范围；目标值只能写一个数，例如 ≥90% 或 ≤95%")
    if number[0] in PLACEHOLDER_CHARS:  # `X射线检测`, `某些方面` are texts: a lone X or 某 takes a short unit
        unit = _suffix(rest)[0]
        placeholder = bool(word) or len(number) > 1 or len(unit) <= 2
        return Target(text=shown, placeholder=placeholder and _UNIT.match(unit) is not None)
    unit, suffix, inclusion = _suffix(rest)
    operator = SYMBOLS.get(word or "") or OPERATOR_WORDS.get(word or "", "")
    problem = ""
    if operator and suffix and operator != suffix and STRICT.get(suffix) != operator:
        problem = f"的比较符「{operator}」与后面的“{next(w for w in SUFFIXES if rest.endswith(w) or w in rest)}”意思相反"
    elif inclusion and not (operator or suffix):
        problem = "中的（含）/（不含）要跟在比较符或“以上”“以下”“以内”后面"
    if not _UNIT.match(unit):
        return Target(text=shown)
    try:
        value = read_number(number)
    except ParseError as error:
        return Target(text=shown, problem=str(error))
    if value.adjusted() > MAX_DIGITS:  # 1e308: no target is this large, and arithmetic on it would overflow
        return Target(text=shown, problem="超出数值的合理范围")
    if problem:
        return Target(text=shown, problem=problem)
    operator = operator or suffix or "="
    operator = STRICT.get(operator, operator) if inclusion == "不含" else operator
    explicit = bool(word or suffix)  # the text shows an operator only when one was written
    return Target(text=f"{operator if explicit else ''}{plain_number(number, value)}{unit}", operator=operator,
                  value=value, unit_of_measure=_unit(unit))


def plain_number(written: str, value: Decimal) -> str:
    """The number as written when it is plain (`95`, `1,500`, `99.50`), else its value (`1.5e3` -> `1500`)."""
    return written if "e" not in written.lower() else plain(value)


def target_was_rewritten(written: str, target: Target) -> bool:
    """True when reading changed more than the usual `>=`/`<=` spelling and an `=` left out."""
    usual = written.strip().replace(">=", "≥").replace("<=", "≤")
    return target.text not in (usual, usual.removeprefix("="), f"={usual}")


def same_quantity(a: Target, b: Target) -> bool:
    """Whether two quantities say the same: same operator and the same amount in the same base unit."""
    if a.value is None or b.value is None or a.operator != b.operator:
        return False
    (unit_a, scale_a), (unit_b, scale_b) = a.base, b.base
    return unit_a == unit_b and a.value * scale_a == b.value * scale_b

