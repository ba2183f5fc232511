"""The six seed projects in input/ read back from the consolidated workbook exactly as in the seed."""

from __future__ import annotations

import pytest
from conftest import ROOT, SEED, read_sheet

from perfxl.pipeline import run


@pytest.fixture(scope="module")
def report(tmp_path_factory, request):
    from perfxl.config import load_config

    out = tmp_path_factory.mktemp("out")
    batch = run(ROOT / "input", out, load_config(ROOT / "perfxl" / "defaults.toml"))
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
    listed = [(r["一级目标"], r["二级目标"], r["三级目标"], r["指标目标值"])
              for r in read_sheet(report[1], "绩效指标") if r["文件"] == seed["file"]]
    expected, level1, level2 = [], "", ""
    for l1, l2, l3, target in seed["indicators"]:
        level2 = l2 or (level2 if not l1 else "")
        level1 = l1 or level1
        expected.append((level1, level2, l3, target))
    assert listed == expected


def test_every_sample_file_is_in_the_ledger(report):
    ledger = read_sheet(report[1], "处理清单")
    assert sorted(r["文件"] for r in ledger) == sorted(s["file"] for s in SEED)
    assert {r["状态"] for r in ledger} == {"已处理"}
