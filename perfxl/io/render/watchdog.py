"""A deadline for a render: one thread per process raises Timeout in a thread still rendering past it.

jinja2 compiles a template to Python code, so a loop that calls nothing (`{% for i in r %}{% for j in r %}`)
can only be stopped from outside: PyThreadState_SetAsyncExc raises an exception in the rendering thread at
its next bytecode (CPython, which perfxl runs on). Nothing a template can write runs long inside one C call:
the sandbox checks operands before Python computes them."""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
import time
from collections.abc import Iterator


class Timeout(BaseException):
    """Raised in the rendering thread by the watchdog; a BaseException, so that no template code catches it."""


class _Watchdog:
    """One thread per process that raises Timeout in a thread whose render has passed its deadline."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A fresh state: also in a forked worker, whose copy of the lock may be held by a thread it lacks."""
        self.lock = threading.Lock()
        self.deadlines: dict[int, float] = {}
        self.thread: threading.Thread | None = None

    @contextlib.contextmanager
    def watching(self, seconds: float) -> Iterator[None]:
        ident = threading.get_ident()
        with self.lock:
            self.deadlines[ident] = time.monotonic() + seconds
            if self.thread is None or not self.thread.is_alive():  # none yet, or lost in a fork
                self.thread = threading.Thread(target=self._watch, name="perfxl-template-watchdog", daemon=True)
                self.thread.start()
        try:
            yield
        finally:
            with self.lock:
                self.deadlines.pop(ident, None)

    def _watch(self) -> None:
        while True:
            time.sleep(0.05)
            with self.lock:
                now = time.monotonic()
                for ident, deadline in list(self.deadlines.items()):
                    if now > deadline:
                        del self.deadlines[ident]
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(Timeout))


_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):  # not on Windows, which starts its workers afresh
    os.register_at_fork(after_in_child=_WATCHDOG.reset)


def watching(seconds: float) -> contextlib.AbstractContextManager[None]:
    """Within the block, this thread gets Timeout once `seconds` have passed."""
    return _WATCHDOG.watching(seconds)
