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

from collections.abc import Callable
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

from perfxl.core.errors import PerfxlError
from perfxl.core.text import TextFileError, read_text
from perfxl.io.render.bounds import (
    MAX_TEXT,
    MAX_WORK,
    WIDTH_METHODS,
    WORK,
    BoundedNamespace,
    TemplateProblem,
    bounded_concat,
    bounded_filter,
    check_binop,
    check_format_string,
    check_grows,
    check_join,
    check_replace,
    check_size,
    check_width,
    checked_parts,
    produced,
)
from perfxl.io.render.watchdog import Timeout, watching

# A form renders in about a millisecond, a mail in less; 10 s is only reached by a runaway loop.
RENDER_SECONDS = 10.0
UNSAFE_NAMES = {"mro", *UNSAFE_GENERATOR_ATTRIBUTES, *UNSAFE_COROUTINE_ATTRIBUTES, *UNSAFE_ASYNC_GENERATOR_ATTRIBUTES}

__all__ = ["MAX_TEXT", "SecurityError", "TemplateProblem", "UnsafeTemplate", "compile_template", "environment", "get_template",
           "refuse_unsafe", "render", "template_loader"]


class UnsafeTemplate(PerfxlError):
    """A template reaches for Python internals; `expression` is the attribute it names."""

    def __init__(self, expression: str):
        super().__init__(expression)
        self.expression = expression


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
    concat = staticmethod(bounded_concat)
    checked_parts = staticmethod(checked_parts)
    code_generator_class = _Generator

    def is_safe_callable(self, obj: object) -> bool:
        owner = getattr(obj, "__self__", None)
        if owner is not None and type(owner).__module__.split(".")[0] == __package__.split(".")[0]:
            return False
        return super().is_safe_callable(obj)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return produced(super().call_binop(context, operator, left, right))

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        for value in (*args, *kwargs.values()):
            check_size(value)
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str) and name in WIDTH_METHODS:
            for value in (*args, *kwargs.values()):
                check_width(value)
            if name == "expandtabs":
                check_grows(owner, "\t", args[0] if args else kwargs.get("tabsize", 8))
        elif isinstance(owner, str) and name == "replace" and len(args) >= 2:
            check_replace(owner, str(args[0]), str(args[1]))
        elif isinstance(owner, str) and name == "join" and args:
            check_join(args[0], owner)
        return produced(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            check_format_string(value.__self__)
        return wrapped


def environment(**options) -> ImmutableSandboxedEnvironment:
    """A sandboxed, bounded environment with `options` (loader, undefined, autoescape …)."""
    env = _Sandbox(**options)
    env.filters = {name: bounded_filter(name, function) for name, function in env.filters.items()}
    env.globals.pop("lipsum", None)  # lipsum(n=10**9) loops n times inside one call
    env.globals["namespace"] = BoundedNamespace
    return env


_PROBLEMS = (jinja2.TemplateError, ArithmeticError, ValueError, TypeError, LookupError, AttributeError,
             MemoryError, UnicodeError)


def render(template: jinja2.Template, context: dict[str, Any], seconds: float | None = None,
           size: int = MAX_TEXT) -> str:
    """`template` rendered with `context`, within `seconds` (default RENDER_SECONDS) and `size` characters
    of output (a form of many indicators may be given more than MAX_TEXT).

    Raises TemplateProblem (one line, in Chinese) for anything that goes wrong while rendering; UnsafeTemplate
    when the template reaches for what the sandbox refuses."""
    seconds = RENDER_SECONDS if seconds is None else seconds
    WORK.left, WORK.output = max(MAX_WORK, 16 * size), size
    try:
        with watching(seconds):
            return template.render(context)
    except Timeout:
        raise TemplateProblem(f"渲染超过 {seconds:.0f} 秒仍未完成（模板中可能有过大的循环）") from None
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
