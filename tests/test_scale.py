"""100,000 indicator rows: read, checked and written in bounded CPU time and memory (measured in a subprocess).

CPU time, not wall-clock time: on a shared machine the wall clock measures the neighbours too."""

from __future__ import annotations

import json
import subprocess
import sys

from builders import INDICATOR_PART, indicator_sheet_xml, rezip

ROWS = 100_000
MAX_SECONDS = 60
MAX_PEAK_MB = 1500

MEASURE = """
import json, resource, sys, time
from pathlib import Path
from perfxl.core.config import load_config
from perfxl.target.pipeline import run
start = time.process_time()
batch = run(Path(sys.argv[1]), Path(sys.argv[2]), load_config(Path(sys.argv[3])), jobs=1)
print(json.dumps({"seconds": time.process_time() - start, "indicators": len(batch.projects[0].indicators),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "status": batch.ledger[0].status}))
"""


def test_100k_indicator_rows_in_bounded_time_and_memory(make_workbook, tmp_path):
    from conftest import ROOT

    base = make_workbook("base.xlsx")
    kinds = [["产出目标", "数量"], ["", "质量"], ["效果目标", "社会效益"], ["", "满意度"]]
    rows = [[*kinds[i % 4], f"指标{i}", "≥95%", "备注"] for i in range(ROWS)]
    rezip(base, tmp_path / "input" / "大表.xlsx", {INDICATOR_PART: indicator_sheet_xml(rows)})
    base.unlink()

    done = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / "input"), str(tmp_path / "output"),
                           str(ROOT / "perfxl" / "defaults.toml")], capture_output=True, timeout=300, text=True)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    print(f"100k rows: {figures}")
    assert figures["indicators"] == ROWS and figures["status"] == "已处理"
    assert figures["seconds"] < MAX_SECONDS
    assert figures["peak_mb"] < MAX_PEAK_MB
