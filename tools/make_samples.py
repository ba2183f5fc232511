"""Write the samples as standard workbooks into examples/: the six seed projects of the 上海2020 layout
(tests/data/seed_projects.json) and the published 上海2026 project (tests/data/sample_sh2026.json).

The JSON is the published text transcribed field by field; amounts become numbers and dates real dates,
as a person filling the template would type them. Nothing in the data is corrected.
"""

import datetime as dt
import json
import sys
from pathlib import Path

from perfxl.core.config import load_config
from perfxl.core.paths import EXAMPLES_DIR
from perfxl.target.template import fill_template

ROOT = Path(__file__).resolve().parent.parent


def typed(label: str, value: str) -> object:
    if not value:
        return None
    if "日期" in label:
        return dt.date.fromisoformat(value)
    if label.endswith("（元）"):
        return float(value.replace(",", ""))
    return int(value) if label == "年度" else value


def main(out: Path) -> None:
    config = load_config(ROOT / "perfxl" / "defaults.toml")
    for project in json.loads((ROOT / "tests/data/seed_projects.json").read_text(encoding="utf-8")):
        fields = {label: typed(label, value) for label, value in {**project["info"], **project["budget"]}.items()}
        book = fill_template(config, fields, project["indicators"])
        book.save(out / project["file"])
        print(out / project["file"])
    sample = json.loads((ROOT / "tests/data/sample_sh2026.json").read_text(encoding="utf-8"))
    fields = {label: typed(label, value) for label, value in sample["fields"].items()}
    fill_template(config, fields, sample["indicators"], layout=sample["layout"]).save(out / sample["file"])
    print(out / sample["file"])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / EXAMPLES_DIR)
