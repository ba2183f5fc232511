"""Synthetic standard workbooks for the benchmark: N valid projects, seeded, ~16 indicators each;
half 上海2020 (even indexes), half 上海2026 (odd ones)."""

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


def _output_rows(rng: random.Random, level1: str, level2s: list[str], special: str, target: str) -> list:
    """产出 rows: a count target each, except `target` under the 二级 `special`."""
    rows = []
    for i, level2 in enumerate(level2s):
        value = target if level2 == special else f"≥{rng.randint(10, 5000)}个"
        rows.append((level1 if i == 0 else "", level2, f"{rng.choice(WORDS)}{rng.choice(WORDS)}完成数量{i}", value))
    return rows


def _indicators(rng: random.Random, annual: int) -> list[tuple[str, str, str, str]]:
    cost = f"≤{rng.randint(1, annual // 20000)}万元"
    rows = list(STANDARD) + _output_rows(rng, "产出目标", ["数量", "数量", "数量", "质量", "质量", "时效", "成本"],
                                         "成本", cost)
    rows += [
        ("效果目标", "社会效益", "服务覆盖单位数", f"≥{rng.randint(10, 300)}家"),
        ("", "社会效益", "公众知晓度", "与上年度相比明显提升"),
        ("", "满意度", "用户满意度", f"≥{rng.randint(90, 99)}%"),
        ("影响力目标", "信息共享", "数据共享率", "≥95%"),
        ("", "长效管理", "运维制度完善程度", "完善"),
    ]
    return rows


YEAR = 2025  # inside both layouts' years, so the mixed batch is one 年度 (no X02)


def _project_name(rng: random.Random, index: int) -> str:
    return f"{rng.choice(WORDS)}{rng.choice(WORDS)}项目{index:05d}"


def _project_2020(index: int, rng: random.Random) -> tuple[list, list, tuple[str, ...], list]:
    """上海2020: 投入与管理 / 产出 / 效果 / 影响力目标, one budget column and the 上年 figures."""
    annual = rng.randint(20, 500) * 10000
    prior = round(annual * rng.uniform(0.8, 1.2), -3)
    info = [
        ("年度", YEAR), ("申报单位名称", rng.choice(UNITS)),
        ("项目名称", _project_name(rng, index)), ("项目类别", "其他一次性项目"),
        ("计划开始日期", dt.date(YEAR, 1, 1)), ("计划完成日期", dt.date(YEAR, 12, 31)),
        ("是否含有政府购买服务", rng.choice(["是", "否"])), ("绩效类型", "其他类"),
        ("项目概况", _text(rng, 6)), ("立项依据", _text(rng, 2)), ("项目设立的必要性", _text(rng, 3)),
        ("保证项目实施的制度、措施", _text(rng, 4)), ("项目实施计划", _text(rng, 5)), ("总目标及阶段性目标", _text(rng, 4)),
    ]
    budget = [("项目总预算（元）", annual), ("项目当年预算（元）", annual), ("同名项目上年预算额（元）", prior),
              ("同名项目上年预算执行数（元）", round(prior * rng.uniform(0.92, 1.0)))]
    return info, budget, ("一级目标", "二级目标", "三级目标", "指标目标值"), _indicators(rng, annual)


def _indicators_2026(rng: random.Random, annual: int) -> list[tuple[str, str, str, str]]:
    """成本 / 产出 / 效益 / 满意度指标; the cost is a ceiling in 万元 within the annual funds (T12, T15, T16)."""
    cost = rng.randint(annual // 20000, annual // 10000)
    rows = [("成本指标", "经济成本指标", "项目总成本", f"≤{cost}万元")]
    rows += _output_rows(rng, "产出指标", ["数量指标", "数量指标", "数量指标", "质量指标", "质量指标", "时效指标"],
                         "质量指标", "=100%")
    rows += [
        ("效益指标", "社会效益指标", "服务覆盖单位数", f"≥{rng.randint(10, 300)}家"),
        ("", "社会效益指标", "公众知晓度", "提高"),
        ("", "生态效益指标", "纸质材料减少量", f"≥{rng.randint(1, 50)}吨"),
        ("", "可持续影响指标", "数据共享率", "≥95%"),
        ("", "可持续影响指标", "运维制度完善程度", "完善"),
        ("满意度指标", "服务对象满意度指标", "用户满意度", f"≥{rng.randint(90, 99)}%"),
        ("", "服务对象满意度指标", "服务单位满意度", f"≥{rng.randint(90, 99)}%"),
    ]
    return rows


def _project_2026(index: int, rng: random.Random) -> tuple[list, list, tuple[str, ...], list]:
    """上海2026: the published form's labels, two funding blocks that add up, a multi-year or a one-year plan."""
    annual = rng.randint(20, 500) * 10000
    carryover = rng.randint(0, annual // 50000) * 10000
    other = rng.choice([0, 10000, 50000])
    if rng.random() < 0.5:  # 阶段性项目 over three years: the annual request is part of the project funds
        nature, start, end = "阶段性项目", dt.date(YEAR - 1, 1, 1), dt.date(YEAR + 1, 12, 31)
        project = annual * 3
    else:  # within the 年度: the annual request is the whole project (B13)
        nature, start, end = "一次性项目", dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
        project = annual
    project_other = rng.choice([0, 100000]) if project > annual else other + carryover
    info = [
        ("年度", YEAR), ("项目名称", _project_name(rng, index)), ("项目性质", nature), ("项目类别", "特定目标类"),
        ("主管部门", rng.choice(UNITS)), ("实施单位", rng.choice(UNITS)),
        ("计划开始日期", start), ("计划完成日期", end),
        ("项目总体目标", _text(rng, 4)), ("年度总体目标", _text(rng, 3)), ("项目概述", _text(rng, 5)),
        ("立项依据", _text(rng, 2)), ("实施主体", rng.choice(UNITS)), ("实施方案", _text(rng, 4)),
        ("年度预算安排", f"本年度预算金额为{annual / 10000:.2f}万元。"), ("版式", "上海2026"),
    ]
    budget = [("项目资金总额（元）", project), ("其中：财政资金（元）", project - project_other),
              ("其中：其他资金（元）", project_other), ("年度资金申请总额（元）", annual),
              ("其中：当年财政拨款（元）", annual - carryover - other), ("其中：上年结转资金（元）", carryover),
              ("其中：年度其他资金（元）", other)]
    return info, budget, ("一级指标", "二级指标", "三级指标", "指标值"), _indicators_2026(rng, annual)


def write_project(path: Path, index: int, rng: random.Random) -> None:
    """One valid project workbook following the workbook contract: odd indexes 上海2026, even ones 上海2020."""
    info, budget, header, indicators = (_project_2026 if index % 2 else _project_2020)(index, rng)
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
    for c, header_text in enumerate(header):
        sheet.write_string(0, c, header_text)
    for r, row in enumerate(indicators, start=1):
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
