"""Synthetic standard workbooks for the benchmark: N valid projects, seeded, ~16 indicators each."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
from pathlib import Path

import xlsxwriter

UNITS = ["上海市科技信息中心", "上海市文化发展中心", "上海市数据服务中心", "上海市档案信息中心", "上海市体育事业发展中心"]
WORDS = ["信息化", "运维", "平台", "数据", "服务", "系统", "建设", "管理", "采集", "整理", "共享", "发布", "统计", "监测", "报告", "年鉴", "资料", "档案", "网络", "安全"]
SENTENCE = "项目实施期间按照年度计划完成相关工作，保障系统稳定运行，提升服务质量和用户满意度，"
STANDARD = [
    ("投入与管理", "投入管理", "资金到位率", "100%"),
    ("", "财务管理", "资金使用规范性", "合规"),
    ("", "实施管理", "管理制度健全性", "健全"),
    ("", "资产管理", "资产使用合规性", "合规"),
]


def _text(rng: random.Random, sentences: int) -> str:
    return "".join(f"{i + 1}、{rng.choice(WORDS)}{rng.choice(WORDS)}{SENTENCE}" for i in range(sentences))[:-1] + "。"


def _indicators(rng: random.Random, annual: int) -> list[tuple[str, str, str, str]]:
    rows = list(STANDARD)
    for i, level2 in enumerate(["数量", "数量", "数量", "质量", "质量", "时效", "成本"]):
        target = f"≤{rng.randint(1, annual // 20000)}万元" if level2 == "成本" else f"≥{rng.randint(10, 5000)}个"
        rows.append(("产出目标" if i == 0 else "", level2, f"{rng.choice(WORDS)}{rng.choice(WORDS)}完成数量{i}", target))
    rows += [
        ("效果目标", "社会效益", "服务覆盖单位数", f"≥{rng.randint(10, 300)}家"),
        ("", "社会效益", "公众知晓度", "与上年度相比明显提升"),
        ("", "满意度", "用户满意度", f"≥{rng.randint(90, 99)}%"),
        ("影响力目标", "信息共享", "数据共享率", "≥95%"),
        ("", "长效管理", "运维制度完善程度", "完善"),
    ]
    return rows


def write_project(path: Path, index: int, rng: random.Random) -> None:
    """One valid project workbook following the workbook contract."""
    annual = rng.randint(20, 500) * 10000
    prior = round(annual * rng.uniform(0.8, 1.2), -3)
    info = [
        ("年度", 2024), ("申报单位名称", rng.choice(UNITS)),
        ("项目名称", f"{rng.choice(WORDS)}{rng.choice(WORDS)}项目{index:05d}"), ("项目类别", "其他一次性项目"),
        ("计划开始日期", dt.date(2024, 1, 1)), ("计划完成日期", dt.date(2024, 12, 31)),
        ("是否含有政府购买服务", rng.choice(["是", "否"])), ("绩效类型", "其他类"),
        ("项目概况", _text(rng, 6)), ("立项依据", _text(rng, 2)), ("项目设立的必要性", _text(rng, 3)),
        ("保证项目实施的制度、措施", _text(rng, 4)), ("项目实施计划", _text(rng, 5)), ("总目标及阶段性目标", _text(rng, 4)),
    ]
    budget = [("项目总预算（元）", annual), ("项目当年预算（元）", annual), ("同名项目上年预算额（元）", prior),
              ("同名项目上年预算执行数（元）", round(prior * rng.uniform(0.92, 1.0)))]
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "in_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in (("项目信息", info), ("预算", budget)):
        sheet = book.add_worksheet(name)
        for r, (label, value) in enumerate(rows):
            sheet.write_string(r, 0, label)
            if isinstance(value, dt.date):
                sheet.write_datetime(r, 1, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, str):
                sheet.write_string(r, 1, value)
            else:
                sheet.write_number(r, 1, value)
    sheet = book.add_worksheet("绩效指标")
    for c, header in enumerate(("一级目标", "二级目标", "三级目标", "指标目标值")):
        sheet.write_string(0, c, header)
    for r, row in enumerate(_indicators(rng, annual), start=1):
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
    book.close()


def _write_one(job: tuple[Path, int, int]) -> None:
    folder, index, seed = job
    write_project(folder / f"project_{index:05d}.xlsx", index, random.Random(seed * 1_000_003 + index))


def generate(folder: Path, count: int, seed: int = 2024) -> None:
    """Write `count` workbooks into `folder`; the same seed gives the same files."""
    folder.mkdir(parents=True, exist_ok=True)
    with multiprocessing.Pool() as pool:
        pool.map(_write_one, [(folder, index, seed) for index in range(count)], chunksize=64)
