"""The six seed projects in input/ read back from the consolidated workbook exactly as in the seed."""

from __future__ import annotations

import pytest
from conftest import ROOT, SAMPLE_2026, SAMPLES, SEED, read_sheet

from perfxl.target.pipeline import run


@pytest.fixture(scope="module")
def report(tmp_path_factory, request):
    from perfxl.core.config import load_config

    out = tmp_path_factory.mktemp("out")
    batch = run(SAMPLES, out, load_config(ROOT / "perfxl" / "defaults.toml"))
    return batch, out / "绩效目标汇总.xlsx"


def _amount(text):
    return int(text.replace(",", "")) if text else None


@pytest.mark.parametrize("seed", SEED, ids=[s["file"] for s in SEED])
def test_budget_figures_match_the_seed(report, seed):
    rows = {r["文件"]: r for r in read_sheet(report[1], "项目汇总")}
    row = rows[seed["file"]]
    assert row["项目名称"] == seed["info"]["项目名称"]
    assert row["年度"] == int(seed["info"]["年度"])
    for label, written in seed["budget"].items():
        assert row[label] == _amount(written), label


@pytest.mark.parametrize("seed", SEED, ids=[s["file"] for s in SEED])
def test_every_indicator_of_the_seed_is_listed(report, seed):
    # the samples mix 上海2020 and 上海2026: each header names both layouts' words
    listed = [(r["一级目标／一级指标"], r["二级目标／二级指标"], r["三级目标／三级指标"], r["指标目标值／指标值"])
              for r in read_sheet(report[1], "绩效指标") if r["文件"] == seed["file"]]
    expected, level1, level2 = [], "", ""
    for l1, l2, l3, target in seed["indicators"]:
        level2 = l2 or (level2 if not l1 else "")
        level1 = l1 or level1
        expected.append((level1, level2, l3, target))
    assert listed == expected


def test_every_sample_file_is_in_the_ledger(report):
    ledger = read_sheet(report[1], "处理清单")
    assert sorted(r["文件"] for r in ledger) == sorted([*(s["file"] for s in SEED), SAMPLE_2026["file"]])
    assert {r["状态"] for r in ledger} == {"已处理"}


# Checked by hand against the seed text: each finding is one the 2020 forms really warrant.
SAMPLE_FINDINGS = [
    ("X02", "01", "项目信息", "B2"),  # the samples mix 2020 and 2026: on every file (issue 12)
    ("B07", "01", "预算", "B3"),  # 843,310 -> 1,338,310: +58.7%
    ("S07", "01", "绩效指标", "D6"),  # `> =3000条`
    ("S07", "01", "绩效指标", "D7"),
    ("S07", "01", "绩效指标", "D10"),
    ("S07", "01", "绩效指标", "D11"),
    ("S07", "01", "绩效指标", "D12"),
    ("X02", "02", "项目信息", "B2"),
    ("X02", "03", "项目信息", "B2"),
    ("T09", "03", "绩效指标", "C7"),  # 《上海科技统计数据手册》（一、
    ("T09", "03", "绩效指标", "C9"),  # 按时间节点完成项目目标的
    ("X02", "04", "项目信息", "B2"),
    ("T07", "04", "绩效指标", "D5"),  # 资产使用合规性: 健全
    ("X02", "05", "项目信息", "B2"),
    ("B06", "05", "预算", "B4"),  # 经常性专项业务费 without 上年 figures
    ("T07", "05", "绩效指标", "B4"),  # 管理制度健全性 under 资产管理
    ("T07", "05", "绩效指标", "B5"),  # 资产使用合规性 under 项目管理
    ("T08", "05", "绩效指标", "D9"),  # =95%
    ("T09", "05", "绩效指标", "C10"),  # 按市科委三清单要求完成数据信息共
    ("X02", "06", "项目信息", "B2"),
    ("S07", "06", "项目信息", "B10"),  # <p> markup
    ("S07", "06", "项目信息", "B12"),
    ("S07", "06", "项目信息", "B13"),
    ("S07", "06", "项目信息", "B14"),
    ("S07", "06", "项目信息", "B15"),
    ("T08", "06", "绩效指标", "D12"),  # 综合满意度 written as a sentence
    ("X02", "07", "项目信息", "B2"),
    ("T15", "07", "绩效指标", "D2"),  # the published 2026 form: 成本控制合理性 = 合理, a word (layout-sh2026.md)
]


def test_samples_give_the_findings_their_data_warrants(report):
    batch = report[0]
    assert [(f.rule, f.file[:2], f.sheet, f.cell) for f in batch.findings] == SAMPLE_FINDINGS
    assert batch.count("错误") == 0
    assert len(batch.passed()) == 7


def test_sample_findings_are_stable(report, tmp_path):
    from perfxl.core.config import load_config

    again = run(SAMPLES, tmp_path, load_config(ROOT / "perfxl" / "defaults.toml"))
    assert again.findings == report[0].findings
    assert read_sheet(tmp_path / "绩效目标汇总.xlsx", "校验结果") == read_sheet(report[1], "校验结果")
