"""The batch as pandas frames, one per sheet of the consolidated workbook (columns named as in the glossary)."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from perfxl.core.config import Config
from perfxl.core.model import ERROR, WARNING, Finding, LedgerEntry, Project

PASSED, FAILED_STATUS = "通过", "未通过"


def project_columns(config: Config) -> dict[str, tuple[str, str]]:
    """项目汇总's columns: 版式, then every layout's short fields (a field two layouts share once), the
    computed 2020 ratios, counts and status. A column that does not apply to a project stays empty."""
    columns = {"file": ("文件", "text"), "layout": ("版式", "text")}
    for layout in config.layouts.values():
        for spec in layout.fields:
            if not spec.long and spec.name not in columns:
                columns[spec.name] = (spec.label, SUMMARY_KINDS[spec.kind])
            if spec.name == "prior_spent":
                columns.update(COMPUTED_COLUMNS)
    return {**columns, **COUNT_COLUMNS}


def project_frame(projects: list[Project], findings: list[Finding], forms: dict[str, str],
                  config: Config) -> pd.DataFrame:
    """One row per project; `forms` maps a project's file to its Word form's path relative to the output."""
    counts = Counter((f.file, f.severity) for f in findings)
    columns = project_columns(config)
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


def indicator_frame(projects: list[Project]) -> pd.DataFrame:
    rows = [
        (p.file, p.project_name, i.level1, i.level2, i.level3, i.written, i.operator, i.value, i.unit_of_measure,
         "定量" if i.quantitative else "定性")
        for p in projects for i in p.indicators
    ]
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


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
INDICATOR_COLUMNS = {
    "file": ("文件", "text"), "project_name": ("项目名称", "text"), "level1": ("一级目标", "text"),
    "level2": ("二级目标", "text"), "level3": ("三级目标", "text"), "target": ("指标目标值", "text"),
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
