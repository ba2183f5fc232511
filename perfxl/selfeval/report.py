"""The self-evaluation summary (自评汇总.xlsx): projects with their scores, every indicator, every finding,
the file ledger. Written with the consolidated workbook's writer (report.py), so texts stay texts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from perfxl.core.model import ERROR, WARNING
from perfxl.core.values import to_text
from perfxl.selfeval.results import SelfEvalBatch
from perfxl.selfeval.scoring import grade
from perfxl.target.frames import (
    FAILED_STATUS,
    FINDING_COLUMNS,
    LEDGER_COLUMNS,
    PASSED,
    finding_frame,
    ledger_frame,
)
from perfxl.target.report import Writer

SHEETS = ("项目得分", "指标得分", "校验结果", "处理清单")
PROJECT_COLUMNS = {
    "file": ("文件", "text"), "year": ("年度", "text"), "project_name": ("项目名称", "text"),
    "department": ("主管部门/申报单位", "text"), "unit": ("实施单位", "text"),
    "initial_budget": ("年初预算数（元）", "amount"), "final_budget": ("全年预算数（元）", "amount"),
    "spent": ("全年执行数（元）", "amount"), "execution_rate": ("执行率", "rate"),
    "low_rate_reason": ("执行率偏低原因", "text"),
    "budget_score": ("预算执行得分", "number"), "indicator_score": ("指标得分", "number"),
    "total": ("总分", "number"), "grade": ("等级", "text"), "errors": ("错误数", "int"),
    "warnings": ("警告数", "int"), "status": ("状态", "text"), "form": ("自评表", "link"),
    "annual_goal": ("年度总体目标（预期目标）", "text"), "goal_outcome": ("年度总体目标（实际完成情况）", "text"),
}
INDICATOR_COLUMNS = {
    "file": ("文件", "text"), "project_name": ("项目名称", "text"), "level1": ("一级指标", "text"),
    "level2": ("二级指标", "text"), "level3": ("三级指标", "text"), "target": ("年度指标值", "text"),
    "actual": ("实际完成值", "text"), "attainment": ("完成程度", "text"), "points": ("分值", "number"),
    "score": ("得分", "number"), "deviation": ("偏差原因分析及改进措施", "text"),
}
# every text the unit wrote or the form shows, beside the numbers: the same as the Word 自评表
TEXT_FIELDS = ("year", "project_name", "department", "unit", "low_rate_reason", "annual_goal", "goal_outcome")


def project_frame(batch: SelfEvalBatch, settings: dict) -> pd.DataFrame:
    counts = Counter((f.file, f.severity) for f in batch.findings)
    rows = []
    for evaluation in batch.projects:
        result = batch.scores[evaluation.file]
        values = evaluation.values
        errors = counts[(evaluation.file, ERROR)]
        rows.append({
            "file": evaluation.file, **{name: to_text(values.get(name)) for name in TEXT_FIELDS},
            **{name: values.get(name) for name in ("initial_budget", "final_budget", "spent")},
            "execution_rate": result.execution_rate, "budget_score": result.budget_score,
            "indicator_score": result.indicator_score, "total": result.total,
            "grade": grade(result.total, settings), "errors": errors, "warnings": counts[(evaluation.file, WARNING)],
            "status": FAILED_STATUS if errors else PASSED, "form": batch.forms.get(evaluation.file, ""),
        })
    return pd.DataFrame(rows, columns=list(PROJECT_COLUMNS))


def indicator_frame(batch: SelfEvalBatch) -> pd.DataFrame:
    rows = [(e.file, e.project_name, r.level1, r.level2, r.level3, r.target, r.actual, r.attainment,
             r.points if r.points is not None else r.points_text, judged.score, r.deviation)
            for e in batch.projects for r, judged in zip(e.rows, batch.scores[e.file].judgements, strict=True)]
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


def write_summary(path: Path, batch: SelfEvalBatch, settings: dict) -> None:
    """Write the four sheets of 自评汇总.xlsx to `path`. Raises OSError when it cannot be written."""
    writer = Writer(path, stream=False)
    writer.sheet(SHEETS[0], project_frame(batch, settings), PROJECT_COLUMNS, highlight="status")
    writer.sheet(SHEETS[1], indicator_frame(batch), INDICATOR_COLUMNS)
    writer.sheet(SHEETS[2], finding_frame(batch.findings), FINDING_COLUMNS, highlight="severity")
    writer.sheet(SHEETS[3], ledger_frame(batch.ledger), LEDGER_COLUMNS, highlight="status")
    writer.close()
