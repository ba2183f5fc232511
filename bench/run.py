"""make bench: N synthetic projects through the whole pipeline, against the reference script.

    python bench/run.py [N] [--jobs J] [--runs R] [--no-reference]

Runs perfxl R times (default 4; once above 2,000 projects) on the same inputs, half of them before the
reference and half after it, and prints each run's stage times (read, validate, consolidated workbook,
forms), wall time, projects per second and peak memory (resident set of the run and its workers
together, sampled every 100 ms); then the reference's time on the same inputs and the ratio to
perfxl's median run. The median of runs on both sides of the reference, because a 2-core virtual
machine's speed drifts by tens of percent within minutes: one run of the reference takes two minutes
and averages that out, one perfxl run of a few seconds does not.

Half the projects are 上海2020, half 上海2026. The reference knows only the 2020 labels: on a 2026
workbook it finds no indicator header (一级指标, not 一级目标), so it reads no indicators and writes a form
with empty 2020 fields and no indicator rows. It does less work on those projects than perfxl does, so
the ratio understates perfxl's lead.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.generate import generate  # noqa: E402

REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "reference.py"


@dataclass
class Measured:
    wall: float  # seconds
    peak: float  # MB resident, the process tree's
    cpu: float  # seconds of CPU, the process tree's (workers included)
    output: str


def measure(command: list[str]) -> Measured:
    """Run `command`; return its wall and CPU seconds, peak resident MB of its process tree, and its output.

    The tree's memory is sampled every 100 ms on a thread while this one waits for the command, so the
    wall time ends when the command does, not at the next sample."""
    peak = 0

    def sample(process: psutil.Popen, done: threading.Event) -> None:
        nonlocal peak
        while not done.wait(0.1):  # sampling costs CPU the run itself would use on a 2-core machine
            try:
                tree = [process, *process.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = threading.Event()
    sampler = threading.Thread(target=sample, args=(process, done), daemon=True)
    sampler.start()
    output, _ = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # every reaped descendant: the workers too
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if process.returncode not in (0, 1):
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}\n{output}")
    return Measured(wall, peak / 2**20, cpu, output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=int(os.environ.get("N", 1000)))
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, help="perfxl runs (default 4; 1 above 2,000 projects)")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GB, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="perfxl-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        generate(folder / "input", args.n)
        print(f"generated {args.n} projects in {time.perf_counter() - started:.1f} s")
        runs = args.runs or (4 if args.n <= 2000 else 1)
        reference = REFERENCE.exists() and not args.no_reference
        before = (runs + 1) // 2 if reference else runs  # the rest after the reference: both see the machine
        walls = [run_perfxl(folder, args, number) for number in range(1, before + 1)]
        if reference:
            ref = measure([sys.executable, str(REFERENCE), str(folder / "input"),
                                             str(folder / "reference")])
            ref_wall = ref.wall
            print(f"reference: {ref.wall:.2f} s wall, {args.n / ref.wall:.1f} projects/s, peak {ref.peak:.0f} MB")
        walls += [run_perfxl(folder, args, number) for number in range(before + 1, runs + 1)]
        wall = statistics.median(walls)
        print(f"perfxl median of {len(walls)}: {wall:.2f} s ({', '.join(f'{w:.2f}' for w in walls)})")
        if reference:
            print(f"perfxl (median run) is {ref_wall / wall:.1f}x faster than the reference")
            print(f"note: the reference reads only the {(args.n + 1) // 2} 上海2020 projects fully; on the "
                  f"{args.n // 2} 上海2026 ones it reads no indicators (less work than perfxl does)")


def run_perfxl(folder: Path, args: argparse.Namespace, number: int) -> float:
    """One perfxl run on folder/input into an empty folder/output; prints its figures, returns its wall time."""
    shutil.rmtree(folder / "output", ignore_errors=True)
    done = measure([sys.executable, "-m", "perfxl", "run", str(folder / "input"),
                                  str(folder / "output"), "--jobs", str(args.jobs), "--timings"])
    print("\n".join(line for line in done.output.splitlines() if line.startswith(("耗时", "文件"))))
    forms = len(list((folder / "output" / "目标表").glob("*.docx")))
    print(f"perfxl run {number}: {done.wall:.2f} s wall, {args.n / done.wall:.0f} projects/s, {forms} forms, "
          f"peak {done.peak:.0f} MB, {done.cpu / done.wall:.2f} cores busy on average")
    return done.wall

if __name__ == "__main__":
    main()
