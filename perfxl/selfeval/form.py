"""The Word 自评表 (项目支出绩效自评表): its template written as OOXML parts with the 目标表's building blocks
(form_template.py), compiled once and filled by forms.py's FormTemplate, one .docx per project."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import NamedTuple

from perfxl.core.values import to_text, yuan
from perfxl.io.form_template import (
    CONTENT_TYPES,
    DOCUMENT_RELS,
    FONT_TABLE,
    HEAD,
    MARGIN_SIDE,
    MARGIN_TOP,
    NS,
    PACKAGE_RELS,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SETTINGS,
    TEXT_WIDTH,
    _p,
    _table,
    _tc,
    _tr,
    footer_xml,
    styles_xml,
)
from perfxl.io.forms import FormTemplate, indicator_rows, plan_forms
from perfxl.selfeval.book import SelfEvaluation
from perfxl.selfeval.scoring import Score, grade
from perfxl.target.rules import percent

TITLE = "项目支出绩效自评表"
INFO_COLUMNS = (2000, 2819, 2000, 2819)
BUDGET_COLUMNS = (1538, 1400, 1400, 1400, 1100, 1400, 1400)
BUDGET_TITLES = ("项目资金（元）", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
BUDGET_FIELDS = ("initial_budget", "final_budget", "spent", "budget_points", "execution_rate", "budget_score")
LOW_RATE_LABEL = "执行率偏低原因"  # required (E05) below [selfeval] execution_rate_floor: the form shows it
GOAL_COLUMNS = (4819, 4819)
# 一级指标 and ≥78.00(%) on one line (a wide character of the 10.5-point text is 210 twips, margins 240)
INDICATOR_COLUMNS = (1150, 1150, 1500, 1350, 1350, 700, 700, 1738)
INDICATOR_TITLES = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                    "偏差原因分析及改进措施")
INDICATOR_FIELDS = ("level1", "level2", "level3", "target", "actual", "points", "score", "deviation")
INDICATOR_STYLES = ("TableCenter", "TableCenter", "FormText", "TableCenter", "TableCenter", "TableCenter",
                    "TableCenter", "FormText")
CORE = (f'{HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        f'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{TITLE}</dc:title>'
        "<dc:creator>perfxl</dc:creator></cp:coreProperties>")


class Scored(NamedTuple):
    """What one 自评表 shows: the evaluation as read, its scores, and the scoring settings."""

    evaluation: SelfEvaluation
    score: Score
    settings: dict


def _placeholder(name: str) -> str:
    return f"{{{{ {name} }}}}"


def _info_rows() -> str:
    w = INFO_COLUMNS
    name = _tr(_tc(w[0], "项目名称", "FormLabel") + _tc(sum(w[1:]), _placeholder("project_name"), "FormValue", 3))
    units = _tr(_tc(w[0], "主管部门/申报单位", "FormLabel") + _tc(w[1], _placeholder("department"), "FormValue")
                + _tc(w[2], "实施单位", "FormLabel") + _tc(w[3], _placeholder("unit"), "FormValue"))
    return name + units


def _budget_rows() -> str:
    w = BUDGET_COLUMNS
    header = _tr("".join(_tc(width, title, "TableHeader") for width, title in zip(w, BUDGET_TITLES, strict=True)))
    cells = "".join(_tc(width, _placeholder(name), "TableCenter") for width, name in zip(w[1:], BUDGET_FIELDS,
                                                                                        strict=True))
    reason = _tr(_tc(w[0], LOW_RATE_LABEL, "TableCenter")
                 + _tc(sum(w[1:]), _placeholder("low_rate_reason"), "FormText", span=len(w) - 1, center=False),
                 cant_split=True)
    return header + _tr(_tc(w[0], "年度资金总额", "TableCenter") + cells) + reason


def _goal_rows() -> str:
    w = GOAL_COLUMNS
    return (_tr(_tc(w[0], "预期目标", "TableHeader") + _tc(w[1], "实际完成情况", "TableHeader"))
            + _tr(_tc(w[0], _placeholder("annual_goal"), "FormText", center=False)
                  + _tc(w[1], _placeholder("goal_outcome"), "FormText", center=False)))


def _indicator_rows() -> str:
    w = INDICATOR_COLUMNS
    header = _tr("".join(_tc(w[i], INDICATOR_TITLES[i], "TableHeader") for i in range(len(w))), header=True,
                 cant_split=True)
    loop = _tr(_tc(TEXT_WIDTH, "{%tr for row in indicators %}", "FormText", span=len(w)))
    row = _tr("".join(_tc(w[i], _placeholder(f"row.{INDICATOR_FIELDS[i]}"), INDICATOR_STYLES[i])
                      for i in range(len(w))), cant_split=True)
    end = _tr(_tc(TEXT_WIDTH, "{%tr endfor %}", "FormText", span=len(w)))
    total = _tr(_tc(sum(w[:5]), "总分", "TableHeader", span=5) + _tc(sum(w[5:7]), _placeholder("total"), "TableCenter",
                                                                    span=2)
                + _tc(w[7], "等级：" + _placeholder("grade"), "TableCenter"), cant_split=True)
    return header + loop + row + end + total


def document_xml() -> str:
    """The body: title, project fields, budget grid with 执行率偏低原因, 年度总体目标, indicator table with
    total and 等级."""
    section = (f'<w:sectPr><w:footerReference w:type="default" r:id="rIdFooter1"/>'
               f'<w:pgSz w:w="{PAGE_WIDTH}" w:h="{PAGE_HEIGHT}"/>'
               f'<w:pgMar w:top="{MARGIN_TOP}" w:right="{MARGIN_SIDE}" w:bottom="{MARGIN_TOP}" '
               f'w:left="{MARGIN_SIDE}" w:header="567" w:footer="567" w:gutter="0"/></w:sectPr>')
    body = (_p(TITLE, "Title") + _p("（{{ year }}年度）", "Subtitle")
            + _table(INFO_COLUMNS, _info_rows())
            + _p("预算执行情况", "Heading1") + _table(BUDGET_COLUMNS, _budget_rows())
            + _p("年度总体目标", "Heading1") + _table(GOAL_COLUMNS, _goal_rows())
            + _p("绩效指标", "Heading1") + _table(INDICATOR_COLUMNS, _indicator_rows()))
    return f"{HEAD}<w:document {NS}><w:body>{body}{section}</w:body></w:document>"


def template_parts() -> dict[str, str]:
    """Every part of the 自评表 template package."""
    return {
        "[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": PACKAGE_RELS, "docProps/core.xml": CORE,
        "word/document.xml": document_xml(), "word/_rels/document.xml.rels": DOCUMENT_RELS,
        "word/styles.xml": styles_xml(), "word/settings.xml": SETTINGS, "word/fontTable.xml": FONT_TABLE,
        "word/footer1.xml": footer_xml(),
    }


def _score_text(number: float | None) -> str:
    return "" if number is None else f"{number:.2f}"


def selfeval_context(item: Scored) -> dict:
    """Everything the 自评表 placeholders may name, as display text."""
    evaluation, result, settings = item
    values = evaluation.values
    context = {name: to_text(values.get(name)) for name in (
        "year", "project_name", "department", "unit", "annual_goal", "goal_outcome", "low_rate_reason")}
    context.update({name: yuan(values.get(name)) for name in ("initial_budget", "final_budget", "spent")})
    rate = result.execution_rate
    context.update(budget_points=f"{settings['budget_points']:g}", budget_score=_score_text(result.budget_score),
                   execution_rate=percent(rate) if rate is not None else "",
                   total=_score_text(result.total), grade=grade(result.total, settings))
    rows = indicator_rows(evaluation.rows)
    for shown, row, judged in zip(rows, evaluation.rows, result.judgements, strict=True):
        attainment = f"（{row.attainment}）" if row.attainment and row.actual else row.attainment
        shown.update(actual=row.actual + attainment, points=_score_text(row.points),
                     score=_score_text(judged.score), deviation=row.deviation)
    context["indicators"] = rows
    return context


class SelfEvalTemplate(FormTemplate):
    """The 自评表 template: FormTemplate's compiling and zipping, with the 自评表's context."""

    context = staticmethod(selfeval_context)


@functools.cache
def compiled_template() -> SelfEvalTemplate:
    """The built-in 自评表 template, compiled once per process."""
    parts = {name: xml.encode("utf-8") for name, xml in template_parts().items()}
    return SelfEvalTemplate.compile(parts, "内置自评表模板")


def write_forms(evaluations: list[SelfEvaluation], scores: dict[str, Score], output_dir: Path, folder_name: str,
                settings: dict) -> dict[str, Path]:
    """Write one 自评表 per evaluation into `output_dir/folder_name`; returns file -> the form's path."""
    form = compiled_template()
    targets = plan_forms(evaluations, output_dir, folder_name)
    for evaluation in evaluations:
        form.write(Scored(evaluation, scores[evaluation.file], settings), targets[evaluation.file])
    return targets
