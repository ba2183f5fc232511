"""One-off: turn the seed text extract into tests/data/seed_projects.json (then checked by hand)."""
import json
import sys
from pathlib import Path

LEVEL2_OF_GLITCH = {"时效"}  # rows whose leading empty cells were lost in the extract


def parse(text):
    forms = [f for f in text.split("财政项目支出绩效目标表") if f.strip()]
    out = []
    for form in forms:
        info, budget, rows = {}, {}, []
        in_ind = False
        for line in form.splitlines():
            cells = [c.strip() for c in line.split("\t")]
            while cells and not cells[-1]:
                cells.pop()
            if not cells or not any(cells):
                continue
            if cells[0].startswith("(") and "年度" in cells[0]:
                info["年度"] = cells[0].strip("()（）").replace("年度", "")
            elif cells[0].startswith("申报单位名称："):
                info["申报单位名称"] = cells[0].split("：", 1)[1]
            elif cells[0] == "一级目标":
                in_ind = True
            elif in_ind:
                cells += [""] * (4 - len(cells))
                if cells[0] in LEVEL2_OF_GLITCH:
                    cells = ["", cells[0], cells[1], cells[2]]
                rows.append(cells[:4])
            elif cells[0].endswith("："):
                pairs = [(cells[i], cells[i + 1] if i + 1 < len(cells) else "") for i in range(0, len(cells), 2)]
                for label, value in pairs:
                    label = label.rstrip("：")
                    (budget if "元）" in label else info)[label] = value
        out.append({"info": info, "budget": budget, "indicators": rows})
    return out


if __name__ == "__main__":
    data = parse(Path(sys.argv[1]).read_text(encoding="utf-8"))
    json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
