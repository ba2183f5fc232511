"""make bench, second part: `perfxl selfeval run` on N filled self-evaluation workbooks.

    python bench/selfeval.py [N] [--jobs J] [--runs R]

Generates N target workbooks (as bench/run.py does), prepares their self-evaluation workbooks with
`perfxl selfeval prepare`, fills each as a unit would (budget and spending, every indicator met, 完成程度
of the qualitative ones), then times R runs of `perfxl selfeval run` on them: wall time, workbooks per
second, peak memory of the process tree and how many cores were busy on average (CPU seconds of the
run and its workers over wall seconds: close to the core count when the reading is spread over them).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.generate import generate  # noqa: E402
from bench.run import measure  # noqa: E402

OPERATOR = re.compile(r"^[≥≤><=]+")
QUALITATIVE = "达成"


def fill(path: Path) -> None:
    """Fill one prepared workbook: 全年预算数 = 年初预算数, 全年执行数 95 % of it, every target met."""
    book = openpyxl.load_workbook(path)
    sheet = book["自评表"]
    labels = {sheet.cell(r, 1).value: r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value}
    budget = sheet.cell(labels["年初预算数（元）"], 2).value or 1_000_000
    sheet.cell(labels["全年预算数（元）"], 2).value = budget
    sheet.cell(labels["全年执行数（元）"], 2).value = round(budget * 0.95, 2)
    sheet.cell(labels["年度总体目标（实际完成情况）"], 2).value = "全年目标均已完成。"
    for r in range(labels["一级指标"] + 1, sheet.max_row + 1):
        target = str(sheet.cell(r, 4).value or "")
        if not target:
            continue
        actual = OPERATOR.sub("", target)
        sheet.cell(r, 5).value = actual
        if actual == target:  # no operator: a qualitative target such as 合规
            sheet.cell(r, 6).value = QUALITATIVE
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=int(os.environ.get("N", 1000)))
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="perfxl-bench-selfeval-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        generate(folder / "input", args.n)
        subprocess.run([sys.executable, "-m", "perfxl", "selfeval", "prepare", str(folder / "input"), "--out",
                        str(folder / "自评")], check=False, capture_output=True)
        workbooks = sorted((folder / "自评").glob("*.xlsx"))
        with multiprocessing.Pool(args.jobs) as pool:
            pool.map(fill, workbooks, chunksize=20)
        print(f"prepared and filled {len(workbooks)} self-evaluation workbooks in "
              f"{time.perf_counter() - started:.1f} s")
        walls = [run_selfeval(folder, args, number, len(workbooks)) for number in range(1, args.runs + 1)]
        print(f"selfeval run median of {len(walls)}: {statistics.median(walls):.2f} s "
              f"({', '.join(f'{w:.2f}' for w in walls)})")


def run_selfeval(folder: Path, args: argparse.Namespace, number: int, count: int) -> float:
    shutil.rmtree(folder / "output", ignore_errors=True)
    done = measure([sys.executable, "-m", "perfxl", "selfeval", "run", str(folder / "自评"), str(folder / "output"),
                    "--jobs", str(args.jobs)])
    summary = next((line for line in done.output.splitlines() if line.startswith("文件")), "")
    forms = len(list((folder / "output" / "自评表").glob("*.docx")))
    print(summary)
    print(f"selfeval run {number}: {done.wall:.2f} s wall, {count / done.wall:.0f} workbooks/s, {forms} forms, "
          f"peak {done.peak:.0f} MB, {done.cpu / done.wall:.2f} cores busy on average")
    return done.wall


if __name__ == "__main__":
    main()
