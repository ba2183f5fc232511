"""The batch as pandas frames, one per sheet of the consolidated workbook (columns named as in the glossary)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pandas as pd

from perfxl.core.config import Config
from perfxl.core.layout import Layout
from perfxl.core.model import ERROR, WARNING, Finding, LedgerEntry, Project
from perfxl.core.values import to_text

PASSED, FAILED_STATUS = "通过", "未通过"


def batch_layouts(projects: list[Project], config: Config) -> list[Layout]:
    """The layouts the batch's projects follow, in configuration order; the default one for an empty batch."""
    present = {p.layout for p in projects}
    return [layout for name, layout in config.layouts.items() if name in present] or [config.layout()]


def _headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each name's header from (name, label) pairs of the batch's layouts, in their order: a name the
    layouts label differently gets their labels joined, e.g. 申报单位名称／实施单位."""
    labels: dict[str, list[str]] = {}
    for name, label in pairs:
        labels.setdefault(name, []).append(label)
    return {name: "／".join(dict.fromkeys(found)) for name, found in labels.items()}


def project_columns(layouts: list[Layout]) -> dict[str, tuple[str, str]]:
    """项目汇总's columns: 版式, then the short fields of the batch's layouts (a field two layouts share once,
    headed by both labels when they differ), the computed 2020 ratios, counts and status. A column that
    does not apply to a project stays empty."""
    kinds = {spec.name: SUMMARY_KINDS[spec.kind] for layout in reversed(layouts) for spec in layout.fields}
    columns = {"file": ("文件", "text"), "layout": ("版式", "text")}
    for name, header in _headers((s.name, s.label) for layout in layouts for s in layout.fields if not s.long).items():
        columns[name] = (header, kinds[name])
        if name == "prior_spent":
            columns.update(COMPUTED_COLUMNS)
    return {**columns, **COUNT_COLUMNS}


def indicator_columns(layouts: list[Layout]) -> dict[str, tuple[str, str]]:
    """绩效指标's columns, headed in the words of the batch's layouts (一级目标 for 上海2020, 一级指标 for
    上海2026; both, joined, for a mixed batch), with 备注 and any layout's own columns after the numbers."""
    own = _headers((c.name, c.header) for layout in layouts for c in layout.columns)
    levels = {name: (own.get(name, default), "text") for name, default in LEVEL_COLUMNS.items()}
    further = {name: (header, "text") for name, header in own.items() if name not in LEVEL_COLUMNS}
    return {**INDICATOR_START, **levels, **INDICATOR_NUMBERS, **further}


def description_columns(layouts: list[Layout]) -> dict[str, tuple[str, str]]:
    """项目说明's columns: the long texts of the batch's layouts (项目概况, 立项依据, 年度总体目标, …)."""
    texts = _headers((s.name, s.label) for layout in layouts for s in layout.fields if s.long)
    return {**INDICATOR_START, **{name: (header, "text") for name, header in texts.items()}}


def project_frame(projects: list[Project], findings: list[Finding], forms: dict[str, str],
                  columns: dict[str, tuple[str, str]], config: Config) -> pd.DataFrame:
    """One row per project; `forms` maps a project's file to its Word form's path relative to the output."""
    counts = Counter((f.file, f.severity) for f in findings)
    rows = []
    for p in projects:
        layout = config.layout(p.layout)
        own = {spec.name for spec in layout.fields} | {"file", "layout"}
        quantitative = sum(1 for i in p.indicators if i.quantitative)
        errors = counts[(p.file, ERROR)]
        row = {name: p.get(name) if name in own else None for name in columns}  # a layout's own fields too
        row.update({
            "file": p.file, "layout": p.layout,
            "indicator_count": len(p.indicators),
            "quantitative_share": quantitative / len(p.indicators) if p.indicators else None,
            "errors": errors, "warnings": counts[(p.file, WARNING)],
            "status": FAILED_STATUS if errors else PASSED, "form": forms.get(p.file, ""),
        })
        if "prior_spent" in own:
            row.update(prior_execution_rate=p.prior_execution_rate, budget_change=p.budget_change)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(columns))


def indicator_frame(projects: list[Project], columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    further = [name for name in columns if name not in INDICATOR_START and name not in LEVEL_COLUMNS
               and name not in INDICATOR_NUMBERS]
    rows = [
        (p.file, p.project_name, i.level1, i.level2, i.level3, i.written, i.operator, i.value, i.unit_of_measure,
         "定量" if i.quantitative else "定性", *(i.note if name == "note" else i.extra.get(name, "") for name in further))
        for p in projects for i in p.indicators
    ]
    return pd.DataFrame(rows, columns=list(columns))


def description_frame(projects: list[Project], columns: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """One row per project with its long texts; a text its layout does not have stays empty."""
    texts = [name for name in columns if name not in INDICATOR_START]
    rows = [(p.file, p.project_name, *(to_text(p.get(name)) or None for name in texts)) for p in projects]
    return pd.DataFrame(rows, columns=list(columns))


def budget_line_frame(projects: list[Project]) -> pd.DataFrame:
    rows = [(p.file, p.project_name, b.item, b.amount, b.note) for p in projects for b in p.budget_lines]
    return pd.DataFrame(rows, columns=list(BUDGET_LINE_COLUMNS))


def finding_frame(findings: list[Finding]) -> pd.DataFrame:
    rows = [(f.severity, f.rule, f.file, f.sheet, f.cell, f.project_name, f.message, f.hint) for f in findings]
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


def ledger_frame(ledger: list[LedgerEntry]) -> pd.DataFrame:
    return pd.DataFrame([(e.file, e.status, e.message) for e in ledger], columns=list(LEDGER_COLUMNS))


# column -> (header, kind); kinds: text, int, amount, rate, date, link
SUMMARY_KINDS = {"text": "text", "choice": "text", "date": "date", "amount": "amount", "year": "int"}
COMPUTED_COLUMNS = {"prior_execution_rate": ("上年预算执行率", "rate"), "budget_change": ("较上年增减", "rate")}
COUNT_COLUMNS = {
    "indicator_count": ("指标数", "int"), "quantitative_share": ("定量指标占比", "rate"),
    "errors": ("错误数", "int"), "warnings": ("警告数", "int"), "status": ("状态", "text"),
    "form": ("目标表", "link"),
}
INDICATOR_START = {"file": ("文件", "text"), "project_name": ("项目名称", "text")}
LEVEL_COLUMNS = {"level1": "一级", "level2": "二级", "level3": "三级", "target": "指标值"}
INDICATOR_NUMBERS = {
    "operator": ("比较符", "text"), "value": ("数值", "number"), "unit_of_measure": ("单位", "text"),
    "nature": ("性质", "text"),
}
BUDGET_LINE_COLUMNS = {
    "file": ("文件", "text"), "project_name": ("项目名称", "text"), "item": ("明细项目", "text"),
    "amount": ("金额（元）", "amount"), "note": ("说明", "text"),
}
FINDING_COLUMNS = {
    "severity": ("级别", "text"), "rule": ("规则", "text"), "file": ("文件", "text"), "sheet": ("工作表", "text"),
    "cell": ("单元格", "text"), "project_name": ("项目名称", "text"), "message": ("说明", "text"),
    "hint": ("修改建议", "text"),
}
LEDGER_COLUMNS = {"file": ("文件", "text"), "status": ("状态", "text"), "message": ("说明", "text")}
