"""The jinja2 environment for templates the user can edit (Word form, mail text): no code from a template.

jinja2's ImmutableSandboxedEnvironment refuses, when rendering, attributes that reach Python internals
(`cycler.__init__.__globals__`) and methods that change data. With a lenient `undefined` such an access
only renders as empty text, so templates are also checked when compiled: an expression naming a private
or internal attribute is refused before anything is rendered.
"""

from __future__ import annotations

import jinja2
from jinja2 import nodes
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
    SecurityError,
)

from perfxl.core.errors import PerfxlError

UNSAFE_NAMES = {"mro", *UNSAFE_GENERATOR_ATTRIBUTES, *UNSAFE_COROUTINE_ATTRIBUTES, *UNSAFE_ASYNC_GENERATOR_ATTRIBUTES}

__all__ = ["SecurityError", "UnsafeTemplate", "environment", "refuse_unsafe"]


class UnsafeTemplate(PerfxlError):
    """A template reaches for Python internals; `expression` is the attribute it names."""

    def __init__(self, expression: str):
        super().__init__(expression)
        self.expression = expression


class _Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, and no call of a method of perfxl's own objects: a template reads the
    fields of the projects it is given (`p.name`), it does not run their code (`p.set(…)` would change
    the project every later output is written from)."""

    def is_safe_callable(self, obj: object) -> bool:
        owner = getattr(obj, "__self__", None)
        if owner is not None and type(owner).__module__.split(".")[0] == __package__.split(".")[0]:
            return False
        return super().is_safe_callable(obj)


def environment(**options) -> ImmutableSandboxedEnvironment:
    """A sandboxed environment with `options` (loader, undefined, autoescape …)."""
    return _Sandbox(**options)


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
