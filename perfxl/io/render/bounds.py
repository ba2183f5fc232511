"""What a template may make: every value it can make bigger is checked before it is made.

jinja2's sandbox bounds nothing but `range()`; here the operators (`+ * ** %`), the filters and `str`
methods that take a width or multiply text, `replace`, `join`, the operands of `~`, joined output (render,
macros, `{% set %}` blocks) and namespace assignments are checked, and a render may make at most MAX_WORK
characters in all. sandbox.py wires these checks into the environment."""

from __future__ import annotations

import functools
import itertools
import re
import string
import threading
from collections.abc import Callable, Iterable
from typing import Any

from jinja2.utils import Namespace

from perfxl.core.errors import PerfxlError

# A form's document.xml is 30-300 KB and a mail body a few KB; 4 M characters leaves room for a form of
# hundreds of indicators with long texts, and is far below what exhausts a PC's memory.
MAX_TEXT = 4_000_000
MAX_WORK = 64_000_000  # characters one render may make in all: 200 times a large form, 256 MB at worst
MAX_WIDTH = 1000  # a column width or padding a template may ask for (center, indent, '{:>20}', '%-8s')
MAX_INT_BITS = 10_000  # about 3,000 digits: far beyond any amount, far below a slow int
WIDTH_FILTERS = {"center", "indent", "slice", "batch"}  # those whose number makes text or lists longer
WIDTH_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}
PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
NUMBER = re.compile(r"\d+")


class TemplateProblem(PerfxlError):
    """A template cannot be rendered: the message says what is wrong (the caller names the template)."""


SEQUENCES = (str, bytes, list, tuple)
WORK = threading.local()  # per rendering thread: how many characters the render may still produce


def too_big(what: str) -> TemplateProblem:
    return TemplateProblem(f"{what}超过 {MAX_TEXT:,} 个字符的上限（模板中可能有循环或重复拼接）")


def check_size(value: Any) -> Any:
    if isinstance(value, SEQUENCES) and len(value) > MAX_TEXT:
        raise too_big("模板生成的文字或列表")
    return value


def spend(count: int) -> None:
    """Count `count` characters made by the template against its render's MAX_WORK: 4 M characters once
    is fine, 4 M characters made anew in each of a thousand loop turns is not."""
    left = getattr(WORK, "left", None)
    if left is not None:
        WORK.left = left - count
        if WORK.left < 0:
            raise TemplateProblem(f"模板在一次填写中生成的文字超过 {MAX_WORK:,} 个字符的上限（模板中可能有循环或重复拼接）")


def produced(value: Any) -> Any:
    """`value`, a result the template made, checked for size and counted against the render's work."""
    if isinstance(value, SEQUENCES):
        check_size(value)
        spend(len(value))
    return value


def checked_parts(parts: tuple) -> tuple:
    """The operands of `~`, refused before they are joined when the result would pass MAX_TEXT."""
    total = sum(len(part) if isinstance(part, str) else 0 for part in parts)
    if total > MAX_TEXT:
        raise too_big("拼接的文字")
    spend(total)
    return parts


def check_width(value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)) and not -MAX_WIDTH <= value <= MAX_WIDTH:
        raise TemplateProblem(f"宽度或数量 {value:g} 超过上限 {MAX_WIDTH}")


def check_percent(text: str, args: Any) -> None:
    """`text % args`: no width or precision over MAX_WIDTH, nor a `*` taking a bigger one from `args`."""
    for match in PERCENT_FIELD.finditer(text):
        for part in match.groups():
            if part == "*":
                for arg in args if isinstance(args, tuple) else (args,):
                    check_width(arg)
            elif part is not None:
                check_width(int(part))


def check_format_string(text: str) -> None:
    """`text.format(…)`: no nested field in a format spec, no width or precision over MAX_WIDTH."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as error:
        raise TemplateProblem(f"格式字符串有误：{error}") from error
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            raise TemplateProblem("格式说明中不能再嵌套 {…}")
        for number in NUMBER.findall(spec or ""):
            check_width(int(number))


def _int_bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


def check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "**" and _int_bits(left) > 1 and isinstance(right, int):
        if right > 0 and _int_bits(left) * right > MAX_INT_BITS:
            raise TemplateProblem(f"乘方结果过大（{left} ** {right}）")
    elif operator == "**" and isinstance(left, float | int) and isinstance(right, float | int) and abs(right) > MAX_INT_BITS:
        raise TemplateProblem(f"乘方的指数过大（{right}）")
    elif operator == "*":
        if _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
            raise TemplateProblem("乘积过大")
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, SEQUENCES) and isinstance(times, int) and len(sequence) * times > MAX_TEXT:
                raise too_big("重复的文字")
    elif operator == "+" and isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES):
        if len(left) + len(right) > MAX_TEXT:
            raise too_big("拼接的文字")
    elif operator == "%" and isinstance(left, str):
        check_percent(left, right)


def bounded_concat(parts: Iterable[str]) -> str:
    """`"".join(parts)`, refused before joining when the result would pass MAX_TEXT (render, macros, set blocks)."""
    collected: list[str] = []
    total, limit = 0, getattr(WORK, "output", MAX_TEXT)
    parts = iter(parts)
    while batch := list(itertools.islice(parts, 1024)):  # summed a batch at a time: a form has thousands
        total += sum(map(len, batch))
        if total > limit:
            raise TemplateProblem(f"模板的输出超过 {limit:,} 个字符的上限（模板中可能有循环或重复拼接）")
        collected += batch
    spend(total)
    return "".join(collected)


def bounded_filter(name: str, function: Callable) -> Callable:
    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        params = list(args[2 if getattr(function, "jinja_pass_arg", None) else 1:]) + list(kwargs.values())
        value = args[1] if getattr(function, "jinja_pass_arg", None) else args[0] if args else None
        if name in WIDTH_FILTERS:
            for param in params:
                check_width(param)
        if name == "format" and isinstance(value, str):
            check_percent(value, tuple(params))
        if name == "indent" and isinstance(value, str) and params:
            check_grows(value, "\n", params[0])
        if name == "replace" and isinstance(value, str) and len(params) >= 2:
            check_replace(value, str(params[0]), str(params[1]))
        if name == "join" and isinstance(value, (list, tuple)):
            check_join(value, str(params[0]) if params else "")
        return produced(function(*args, **kwargs))
    return checked


def check_grows(text: str, mark: str, width: Any) -> None:
    """`indent`, `expandtabs`: each `mark` in `text` may become `width` characters."""
    if isinstance(width, str):
        width = len(width)
    if isinstance(width, int) and len(text) + text.count(mark) * width > MAX_TEXT:
        raise too_big("缩进后的文字")


def check_replace(text: str, old: str, new: str) -> None:
    count = text.count(old) if old else len(text) + 1
    if len(text) + count * max(0, len(new) - len(old)) > MAX_TEXT:
        raise too_big("替换后的文字")


def check_join(items: Iterable[Any], separator: str) -> None:
    items = list(items)
    total = sum(len(item) if isinstance(item, str) else 20 for item in items) + len(separator) * len(items)
    if total > MAX_TEXT:
        raise too_big("连接的文字")


class BoundedNamespace(Namespace):
    """`namespace()` whose assignments are checked: `{% set ns.s = ns.s ~ ns.s %}` in a loop cannot double for ever."""

    def __setitem__(self, name: str, value: Any) -> None:
        check_size(value)
        super().__setitem__(name, value)
