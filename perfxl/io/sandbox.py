"""The jinja2 environment for templates the user can edit (Word form, mail text): no code from a template,
and no rendering past a time, a size or a depth.

jinja2's ImmutableSandboxedEnvironment refuses, when rendering, attributes that reach Python internals
(`cycler.__init__.__globals__`) and methods that change data. With a lenient `undefined` such an access
only renders as empty text, so templates are also checked when compiled: an expression naming a private
or internal attribute is refused before anything is rendered.

The sandbox does not bound work: its only limit is `range()` at 100,000 items; operators, filters and
string methods run as Python runs them (`9**(9**9)`, `'a'*10**10`, `'{:>1000000000}'.format(x)`).
Here every value a template can make bigger is checked before it is made (operators, the filters and
str methods that take a width, `replace`, `join`, joined output, namespace assignments, macro arguments),
a render that runs past RENDER_SECONDS is stopped by a watchdog thread (loops without any call),
and whatever else goes wrong (RecursionError of a self-include, ValueError of a filter) becomes one
TemplateProblem whose message the caller prefixes with the template's name.
"""

from __future__ import annotations

import functools
import itertools
import re
import string
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.loaders import split_template_path
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
    SecurityError,
)
from jinja2.utils import Namespace

from perfxl.core.errors import PerfxlError
from perfxl.core.text import TextFileError, read_text
from perfxl.io.watchdog import Timeout, watching

UNSAFE_NAMES = {"mro", *UNSAFE_GENERATOR_ATTRIBUTES, *UNSAFE_COROUTINE_ATTRIBUTES, *UNSAFE_ASYNC_GENERATOR_ATTRIBUTES}
# A form's document.xml is 30-300 KB and a mail body a few KB; 4 M characters leaves room for a form of
# hundreds of indicators with long texts, and is far below what exhausts a PC's memory.
MAX_TEXT = 4_000_000
# A form renders in about a millisecond, a mail in less; 10 s is only reached by a runaway loop.
RENDER_SECONDS = 10.0
MAX_WORK = 64_000_000  # characters one render may make in all: 200 times a large form, 256 MB at worst
MAX_WIDTH = 1000  # a column width or padding a template may ask for (center, indent, '{:>20}', '%-8s')
MAX_INT_BITS = 10_000  # about 3,000 digits: far beyond any amount, far below a slow int
WIDTH_FILTERS = {"center", "indent", "wordwrap", "truncate", "slice", "batch", "format", "filesizeformat"}
WIDTH_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}
PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
NUMBER = re.compile(r"\d+")

__all__ = ["SecurityError", "TemplateProblem", "UnsafeTemplate", "compile_template", "environment", "get_template",
           "refuse_unsafe", "render", "template_loader"]


class UnsafeTemplate(PerfxlError):
    """A template reaches for Python internals; `expression` is the attribute it names."""

    def __init__(self, expression: str):
        super().__init__(expression)
        self.expression = expression


class TemplateProblem(PerfxlError):
    """A template cannot be rendered: the message says what is wrong (the caller names the template)."""


SEQUENCES = (str, bytes, list, tuple)
_WORK = threading.local()  # per rendering thread: how many characters the render may still produce


def _too_big(what: str) -> TemplateProblem:
    return TemplateProblem(f"{what}超过 {MAX_TEXT:,} 个字符的上限（模板中可能有循环或重复拼接）")


def _check_size(value: Any) -> Any:
    if isinstance(value, SEQUENCES) and len(value) > MAX_TEXT:
        raise _too_big("模板生成的文字或列表")
    return value


def _spend(count: int) -> None:
    """Count `count` characters made by the template against its render's MAX_WORK: 4 M characters once
    is fine, 4 M characters made anew in each of a thousand loop turns is not."""
    left = getattr(_WORK, "left", None)
    if left is not None:
        _WORK.left = left - count
        if _WORK.left < 0:
            raise TemplateProblem(f"模板在一次填写中生成的文字超过 {MAX_WORK:,} 个字符的上限（模板中可能有循环或重复拼接）")


def _produced(value: Any) -> Any:
    """`value`, a result the template made, checked for size and counted against the render's work."""
    if isinstance(value, SEQUENCES):
        _check_size(value)
        _spend(len(value))
    return value


def _checked_parts(parts: tuple) -> tuple:
    """The operands of `~`, refused before they are joined when the result would pass MAX_TEXT."""
    total = sum(len(part) if isinstance(part, str) else 0 for part in parts)
    if total > MAX_TEXT:
        raise _too_big("拼接的文字")
    _spend(total)
    return parts


def _check_width(value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)) and not -MAX_WIDTH <= value <= MAX_WIDTH:
        raise TemplateProblem(f"宽度或数量 {value:g} 超过上限 {MAX_WIDTH}")


def _check_percent(text: str, args: Any) -> None:
    """`text % args`: no width or precision over MAX_WIDTH, nor a `*` taking a bigger one from `args`."""
    for match in PERCENT_FIELD.finditer(text):
        for part in match.groups():
            if part == "*":
                for arg in args if isinstance(args, tuple) else (args,):
                    _check_width(arg)
            elif part is not None:
                _check_width(int(part))


def _check_format_string(text: str) -> None:
    """`text.format(…)`: no nested field in a format spec, no width or precision over MAX_WIDTH."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as error:
        raise TemplateProblem(f"格式字符串有误：{error}") from error
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            raise TemplateProblem("格式说明中不能再嵌套 {…}")
        for number in NUMBER.findall(spec or ""):
            _check_width(int(number))


def _int_bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


def _check_binop(operator: str, left: Any, right: Any) -> None:
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
                raise _too_big("重复的文字")
    elif operator == "+" and isinstance(left, SEQUENCES) and isinstance(right, SEQUENCES):
        if len(left) + len(right) > MAX_TEXT:
            raise _too_big("拼接的文字")
    elif operator == "%" and isinstance(left, str):
        _check_percent(left, right)


def _bounded_concat(parts: Iterable[str]) -> str:
    """`"".join(parts)`, refused before joining when the result would pass MAX_TEXT (render, macros, set blocks)."""
    collected: list[str] = []
    total, limit = 0, getattr(_WORK, "output", MAX_TEXT)
    parts = iter(parts)
    while batch := list(itertools.islice(parts, 1024)):  # summed a batch at a time: a form has thousands
        total += sum(map(len, batch))
        if total > limit:
            raise TemplateProblem(f"模板的输出超过 {limit:,} 个字符的上限（模板中可能有循环或重复拼接）")
        collected += batch
    _spend(total)
    return "".join(collected)


def _bounded_filter(name: str, function: Callable) -> Callable:
    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        params = list(args[2 if getattr(function, "jinja_pass_arg", None) else 1:]) + list(kwargs.values())
        value = args[1] if getattr(function, "jinja_pass_arg", None) else args[0] if args else None
        if name in WIDTH_FILTERS:
            for param in params:
                _check_width(param)
        if name == "format" and isinstance(value, str):
            _check_percent(value, tuple(params))
        if name == "indent" and isinstance(value, str) and params:
            _check_grows(value, "\n", params[0])
        if name == "replace" and isinstance(value, str) and len(params) >= 2:
            _check_replace(value, str(params[0]), str(params[1]))
        if name == "join" and isinstance(value, (list, tuple)):
            _check_join(value, str(params[0]) if params else "")
        return _produced(function(*args, **kwargs))
    return checked


def _check_grows(text: str, mark: str, width: Any) -> None:
    """`indent`, `expandtabs`: each `mark` in `text` may become `width` characters."""
    if isinstance(width, str):
        width = len(width)
    if isinstance(width, int) and len(text) + text.count(mark) * width > MAX_TEXT:
        raise _too_big("缩进后的文字")


def _check_replace(text: str, old: str, new: str) -> None:
    count = text.count(old) if old else len(text) + 1
    if len(text) + count * max(0, len(new) - len(old)) > MAX_TEXT:
        raise _too_big("替换后的文字")


def _check_join(items: Iterable[Any], separator: str) -> None:
    items = list(items)
    total = sum(len(item) if isinstance(item, str) else 20 for item in items) + len(separator) * len(items)
    if total > MAX_TEXT:
        raise _too_big("连接的文字")


class _Namespace(Namespace):
    """`namespace()` whose assignments are checked: `{% set ns.s = ns.s ~ ns.s %}` in a loop cannot double for ever."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_size(value)
        super().__setitem__(name, value)


class _Generator(CodeGenerator):
    """jinja2's code generator, with the operands of `~` checked before they are joined."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"{join}(environment.checked_parts((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


class _Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, and no call of a method of perfxl's own objects: a template reads the
    fields of the projects it is given (`p.name`), it does not run their code (`p.set(…)` would change
    the project every later output is written from). Operators that can make a value big are checked."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})
    concat = staticmethod(_bounded_concat)
    checked_parts = staticmethod(_checked_parts)
    code_generator_class = _Generator

    def is_safe_callable(self, obj: object) -> bool:
        owner = getattr(obj, "__self__", None)
        if owner is not None and type(owner).__module__.split(".")[0] == __package__.split(".")[0]:
            return False
        return super().is_safe_callable(obj)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return _produced(super().call_binop(context, operator, left, right))

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        for value in (*args, *kwargs.values()):
            _check_size(value)
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str) and name in WIDTH_METHODS:
            for value in (*args, *kwargs.values()):
                _check_width(value)
            if name == "expandtabs":
                _check_grows(owner, "\t", args[0] if args else kwargs.get("tabsize", 8))
        elif isinstance(owner, str) and name == "replace" and len(args) >= 2:
            _check_replace(owner, str(args[0]), str(args[1]))
        elif isinstance(owner, str) and name == "join" and args:
            _check_join(args[0], owner)
        return _produced(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format_string(value.__self__)
        return wrapped


def environment(**options) -> ImmutableSandboxedEnvironment:
    """A sandboxed, bounded environment with `options` (loader, undefined, autoescape …)."""
    env = _Sandbox(**options)
    env.filters = {name: _bounded_filter(name, function) for name, function in env.filters.items()}
    env.globals.pop("lipsum", None)  # lipsum(n=10**9) loops n times inside one call
    env.globals["namespace"] = _Namespace
    return env


def add_filter(env: jinja2.Environment, name: str, function: Callable) -> None:
    """Register a filter of perfxl's own (yuan, paragraphs) with the same output check as the built-in ones."""
    env.filters[name] = _bounded_filter(name, function)


_PROBLEMS = (jinja2.TemplateError, ArithmeticError, ValueError, TypeError, LookupError, AttributeError,
             MemoryError, UnicodeError)


def render(template: jinja2.Template, context: dict[str, Any], seconds: float | None = None,
           size: int = MAX_TEXT) -> str:
    """`template` rendered with `context`, within `seconds` (default RENDER_SECONDS) and `size` characters
    of output (a form of many indicators may be given more than MAX_TEXT).

    Raises TemplateProblem (one line, in Chinese) for anything that goes wrong while rendering; UnsafeTemplate
    when the template reaches for what the sandbox refuses."""
    seconds = RENDER_SECONDS if seconds is None else seconds
    _WORK.left, _WORK.output = max(MAX_WORK, 16 * size), size
    try:
        with watching(seconds):
            return template.render(context)
    except Timeout:
        raise TemplateProblem(f"渲染超过 {seconds:g} 秒仍未完成（模板中可能有过大的循环）") from None
    except SecurityError as error:
        raise UnsafeTemplate(str(error)) from error
    except TemplateProblem:
        raise
    except RecursionError:
        raise TemplateProblem("宏或 include 嵌套过深（模板可能调用了自身）") from None
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(f"第 {error.lineno} 行有语法错误：{error.message}") from error
    except _PROBLEMS as error:
        line = _template_line(error)
        where = f"第 {line} 行：" if line else ""
        raise TemplateProblem(f"{where}{type(error).__name__}: {error}"[:300]) from error


MAX_PLACEHOLDERS = 5000  # {{ … }} and {% … %} in one template: the built-in form has about 60, a mail 20


def compile_template(env: jinja2.Environment, source: str) -> jinja2.Template:
    """`source` compiled in `env` after the checks of refuse_unsafe; TemplateProblem when it holds more
    than MAX_PLACEHOLDERS placeholders or nests too deep to compile (jinja2 and Python recurse)."""
    _check_placeholders(source)
    try:
        refuse_unsafe(env, source)
        return env.from_string(source)
    except (RecursionError, MemoryError) as error:
        raise TemplateProblem("模板中的表达式嵌套过深，无法编译：请删除多余的括号或嵌套") from error


def get_template(env: jinja2.Environment, name: str) -> jinja2.Template:
    """`env.get_template(name)`, bounded as compile_template is (the checks of its source are the loader's)."""
    try:
        return env.get_template(name)
    except (RecursionError, MemoryError) as error:
        raise TemplateProblem("模板中的表达式嵌套过深，无法编译：请删除多余的括号或嵌套") from error


def _check_placeholders(source: str) -> None:
    count = source.count("{{") + source.count("{%")
    if count > MAX_PLACEHOLDERS:
        raise TemplateProblem(f"模板中有 {count:,} 个占位符，超过 {MAX_PLACEHOLDERS:,} 个的上限：请检查模板")


def _template_line(error: BaseException) -> int | None:
    """The template's line where `error` arose (jinja2 rewrites tracebacks to point at template lines)."""
    trace = error.__traceback__
    line = None
    while trace is not None:
        if trace.tb_frame.f_code.co_filename.startswith("<template>") or "__jinja_template__" in trace.tb_frame.f_globals:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _attribute(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def refuse_unsafe(env: jinja2.Environment, source: str) -> None:
    """Raise UnsafeTemplate when `source` names a private attribute (`__init__`, `_x`) or an internal one."""
    for node in env.parse(source).find_all((nodes.Getattr, nodes.Getitem)):
        name = _attribute(node)
        if name is not None and (name.startswith("_") or name in UNSAFE_NAMES):
            raise UnsafeTemplate(name)


class _Loader(jinja2.BaseLoader):
    """Templates from one folder, read as users' text files are (a BOM removed, GBK refused, bounded size)."""

    def __init__(self, folder: Path):
        self.searchpath = [str(folder)]

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = Path(self.searchpath[0]).joinpath(*split_template_path(template))
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        try:
            text = read_text(path, "模板")
        except TextFileError as error:
            raise TemplateProblem(str(error)) from error
        _check_placeholders(text)
        mtime = path.stat().st_mtime_ns
        return text, str(path), lambda: path.is_file() and path.stat().st_mtime_ns == mtime


def template_loader(folder: Path) -> jinja2.BaseLoader:
    """The loader of the templates in `folder` (a mail template and what it includes)."""
    return _Loader(folder)
