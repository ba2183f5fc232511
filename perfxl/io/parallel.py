"""Per-file work on worker processes, results in input order, so the outputs never depend on --jobs.

Reading always happens on a worker: a file that makes a reading engine abort (a Rust allocation failure
is not an exception) costs that file, never the run."""

from __future__ import annotations

import collections
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
POOL_THRESHOLD = 8  # forms: fewer than this are written in the calling process
PR_SET_PDEATHSIG = 1  # linux/prctl.h


START_METHODS = ("fork", "spawn", "forkserver")


def _start_method() -> str:
    # PERFXL_START_METHOD=spawn runs the pipeline as on Windows (CI); an unknown value is ignored.
    wanted = os.environ.get("PERFXL_START_METHOD", "")
    if wanted in START_METHODS and wanted in multiprocessing.get_all_start_methods():
        return wanted
    # fork on Linux: workers start in milliseconds with perfxl already imported. Elsewhere spawn, the
    # platform's safe default (fork is unsafe on macOS and absent on Windows).
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _worker_start(parent: int) -> None:
    """In each worker: Ctrl-C is for the parent to handle (no traceback from every worker), and the worker
    ends when its parent is gone, also when the parent was killed with -9."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What the worker inherited moves out of the collector's reach (a list splice, no object touched):
    # its collections would otherwise walk every inherited object, copying the pages they live on.
    gc.freeze()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _pool(size: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(size, mp_context=multiprocessing.get_context(_start_method()),
                               initializer=_worker_start, initargs=(os.getpid(),))


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Workers:
    """A pool of `jobs` processes started on first use; with one job, forms are written in this process."""

    def __init__(self, jobs: int | None = None):
        self.jobs = max(1, jobs or default_jobs())
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = _pool(self.jobs)
        return self._pool

    def worth_it(self, count: int) -> bool:
        """Whether `count` items of per-file work are worth sending to worker processes."""
        return self.jobs > 1 and count >= POOL_THRESHOLD

    def map(self, function: Callable[[Item], Result], items: list[Item],
            on_crash: Callable[[Item], Result]) -> Iterator[Result]:
        """`function` over `items` on the workers (also for one item), in order; the work is under way when
        this returns. An item whose worker dies (the process, not an exception) is retried alone in a
        fresh process; if that dies too, `on_crash(item)` stands for its result."""
        if not items:
            return iter([])
        chunk = max(1, min(32, len(items) // (self.jobs * 8)))
        return self._results(self._executor().map(function, items, chunksize=chunk), function, items, on_crash)

    def _results(self, results: Iterator[Result], function: Callable[[Item], Result], items: list[Item],
                 on_crash: Callable[[Item], Result]) -> Iterator[Result]:
        done = 0
        try:
            for result in results:
                yield result
                done += 1
        except BrokenProcessPool:
            self._pool = None
            for item in items[done:]:
                yield _isolated(function, item, on_crash)

    def alongside(self, function: Callable[[Item], None], items: list[Item], task: Callable[[], Result],
                  background: bool = True) -> Result:
        """`task()` here while `function` runs over `items` on at most jobs - 1 workers (a core stays with
        `task`); once `task` returns, this process takes the items no worker has started, so that both
        finish together. Returns what `task` returned; an item's exception is raised here.

        Without `background` (or with one job) the items run here, after `task`."""
        queue = collections.deque(items)  # popleft is atomic: the feeder thread and this one share it
        futures: list[Future] = []
        feeder = None
        if background and self.jobs > 1 and items:
            pool = self._executor()
            # The first items are submitted from this thread: a new pool forks its workers on its first
            # submit, and a fork from the feeder thread while this one works can copy a held lock.
            futures += [pool.submit(function, queue.popleft()) for _ in range(min(self.jobs - 1, len(queue)))]
            feeder = threading.Thread(target=_feed, args=(queue, pool, function, self.jobs - 1, futures), daemon=True)
            feeder.start()
        try:
            result = task()
        except BaseException:
            queue.clear()  # no new items for the workers; those under way finish
            raise
        _drain(queue, function)
        if feeder is not None:
            feeder.join()
            _drain(queue, function)  # what the feeder handed back when the pool broke
        for future in futures:
            future.result()
        return result


def guided(items: list[Item], jobs: int, smallest: int = 8) -> list[list[Item]]:
    """`items` in chunks that shrink as they go (a share of what is left each): large ones first, so that a
    worker seldom waits for its next chunk (each costs a round trip through this process, which is busy),
    and small ones last, so that the processes finish close together."""
    chunks, start = [], 0
    while start < len(items):
        size = max(smallest, (len(items) - start) // (2 * jobs))
        chunks.append(items[start : start + size])
        start += size
    return chunks


def _drain(queue: collections.deque, function: Callable) -> None:
    while True:
        try:
            item = queue.popleft()
        except IndexError:
            return
        function(item)


def _feed(queue: collections.deque, pool: ProcessPoolExecutor, function: Callable, slots: int,
          futures: list[Future]) -> None:
    """Keep `slots` items of `queue` running on `pool` (`futures`: those started) until the queue is empty
    and they are done."""
    running = {future for future in futures if not future.done()}
    while True:
        while len(running) < slots:
            try:
                item = queue.popleft()
            except IndexError:
                break
            try:
                future = pool.submit(function, item)
            except (BrokenProcessPool, RuntimeError):  # the pool is gone: the calling process takes the rest
                queue.appendleft(item)
                slots = 0
                break
            futures.append(future)
            running.add(future)
        if not running:
            return
        _, running = wait(running, return_when=FIRST_COMPLETED)


def _isolated(function: Callable[[Item], Result], item: Item, on_crash: Callable[[Item], Result]) -> Result:
    with _pool(1) as pool:
        try:
            return pool.submit(function, item).result()
        except BrokenProcessPool:
            return on_crash(item)
