"""The rule catalogue (校验规则): id, default severity, title, message and hint templates.

Templates are `str.format` strings filled with the names each rule passes (`value`, `field`, …) and
with the layout's words for the indicator table ({一级} {二级} {三级} {指标值}: 一级指标 in 上海2026,
一级目标 in 上海2020), which the checks of a layout's projects run under (`speaking`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from perfxl.core.model import ERROR, INFO, WARNING, Finding


@dataclass(frozen=True)
class RuleSpec:
    id: str
    severity: str
    title: str
    message: str
    hint: str


_SPECS = (
    # Structure and parsing
    RuleSpec("S01", ERROR, "文件无法作为工作簿读取", "{reason}", "{todo}"),
    RuleSpec("S02", ERROR, "缺少必需的工作表或无法判断版式", "{problem}", "{todo}"),
    RuleSpec("S03", ERROR, "必填项为空", "必填项「{label}」{problem}", "请在「{label}」右侧的 B 列填写"),
    RuleSpec("S04", ERROR, "值无法识别", "「{label}」的值「{value}」{problem}", "{todo}"),
    RuleSpec("S05", WARNING, "建议填写的文字项为空", "「{label}」为空", "请简要填写「{label}」，财政局审核时会看"),
    RuleSpec("S06", WARNING, "公式没有计算结果", "单元格中的公式「{formula}」没有保存计算结果，值未知",
             "请用 Excel 打开并保存该文件，或把公式改为直接填写的值"),
    RuleSpec("S07", INFO, "已自动规范化", "「{value}」已按「{normalised}」读取", "{todo}"),
    # Project information
    RuleSpec("I01", ERROR, "开始日期晚于完成日期", "计划开始日期 {start} 晚于计划完成日期 {end}",
             "请核对计划开始日期和计划完成日期"),
    RuleSpec("I02", WARNING, "计划期不在年度内", "计划期 {start} 至 {end} 不在 {year} 年度内",
             "非跨年度项目的计划期应在申报年度内；如确需跨年，请将项目类别改为跨年度项目"),
    RuleSpec("I03", ERROR, "项目类别不在允许范围", "{label}「{value}」不在允许范围内",
             "请从下拉列表选择：{allowed}"),
    RuleSpec("I04", ERROR, "是否含有政府购买服务填写有误", "是否含有政府购买服务填写为「{value}」",
             "请填写“是”或“否”"),
    RuleSpec("I05", ERROR, "年度不在计划期内", "年度 {year} 不在计划期 {span} 内",
             "项目总体目标的期间由计划开始日期和计划完成日期得出，请核对年度或计划日期"),
    # Budget
    RuleSpec("B01", ERROR, "金额为负数", "「{label}」为负数：{value}", "金额应为大于或等于 0 的数"),
    RuleSpec("B02", ERROR, "当年预算超过总预算", "项目当年预算 {amount} 元超过项目总预算 {limit} 元",
             "请核对两项预算金额"),
    RuleSpec("B03", WARNING, "一年内项目当年预算与总预算不同",
             "计划期在一年之内，但项目当年预算 {annual} 元与项目总预算 {total} 元不同",
             "一年内完成的项目，当年预算通常等于总预算，请核对"),
    RuleSpec("B04", ERROR, "上年执行数超过上年预算额", "同名项目上年预算执行数 {amount} 元超过上年预算额 {limit} 元",
             "请核对上年预算额和执行数"),
    RuleSpec("B05", WARNING, "上年数据只填了一项", "只填写了「{filled}」，「{missing}」为空",
             "上年预算额和执行数应同时填写，新项目则都不填"),
    RuleSpec("B06", WARNING, "经常性项目缺少上年数据", "项目类别为「{category}」，但没有填写上年预算额和执行数",
             "经常性项目每年都有，请填写同名项目上年预算额和执行数"),
    RuleSpec("B07", WARNING, "当年预算较上年变化过大", "项目当年预算较上年预算额{direction} {change}（{annual} 元 / {prior} 元）",
             "变化超过 {limit}，请在项目概况或立项依据中说明原因"),
    RuleSpec("B08", WARNING, "上年预算执行率偏低", "上年预算执行率为 {rate}，低于 {floor}",
             "请说明上年资金未执行完的原因，并据此核定当年预算"),
    RuleSpec("B09", ERROR, "预算明细合计与当年预算不符", "预算明细{what} {sum} 元，与{against} {annual} 元相差 {diff} 元",
             "请核对预算明细金额或{against}"),
    RuleSpec("B10", ERROR, "项目资金总额与其中各项不符", "{label} {total} 元，不等于 {parts}（合计 {sum} 元）",
             "项目资金总额应等于财政资金与其他资金之和，请核对"),
    RuleSpec("B11", ERROR, "年度资金申请总额与其中各项不符", "{label} {total} 元，不等于 {parts}（合计 {sum} 元）",
             "年度资金申请总额应等于当年财政拨款、上年结转资金与年度其他资金之和，请核对"),
    RuleSpec("B12", ERROR, "年度资金超过项目资金总额", "{label} {amount} 元超过{limit_label} {limit} 元",
             "一年申请的资金不能多于整个项目的资金，请核对两项金额"),
    RuleSpec("B13", WARNING, "一年内项目年度资金与项目资金总额不同",
             "计划期在一年之内，但年度资金申请总额 {annual} 元与项目资金总额 {total} 元不同",
             "一年内完成的项目，年度资金申请总额通常等于项目资金总额，请核对"),
    # Indicators
    RuleSpec("T01", ERROR, "没有绩效指标", "绩效指标表中没有任何指标", "请在「绩效指标」工作表的表头下逐行填写指标"),
    RuleSpec("T02", ERROR, "一级目标不在允许范围", "{一级}「{value}」不在允许范围内", "请从下拉列表选择：{allowed}"),
    RuleSpec("T03", ERROR, "二级目标与一级目标不匹配", "{二级}「{value}」不属于{一级}「{level1}」",
             "「{level1}」下可选：{allowed}"),
    RuleSpec("T04", ERROR, "三级目标或指标目标值为空", "{where}的{missing}为空", "请填写{missing}"),
    RuleSpec("T05", ERROR, "缺少产出或效果目标", "没有「{level1}」下的任何指标{cause}", "请至少填写一条「{level1}」指标"),
    RuleSpec("T06", WARNING, "产出目标不完整", "{level1}缺少{二级}「{missing}」{cause}", "{level1}应包含{required}三类指标"),
    RuleSpec("T07", WARNING, "投入与管理标准指标填写有误", "「{level3}」{problem}", "标准写法：{level2} / {level3} / {target}"),
    RuleSpec("T08", WARNING, "满意度指标不规范", "满意度指标「{level3}」的{指标值}为「{value}」",
             "满意度目标值通常写作“≥{floor}%”或更高"),
    RuleSpec("T09", WARNING, "指标名称疑似不完整", "{三级}「{value}」{problem}", "请补全指标名称"),
    RuleSpec("T10", WARNING, "三级目标重复", "{三级}「{value}」在本项目中出现 {count} 次（另见 {others}）",
             "请合并重复的指标或改用不同的名称"),
    RuleSpec("T11", WARNING, "定量指标缺少单位", "{指标值}「{value}」{what}",
             "请写明单位，例如 %、个、次、万元"),
    RuleSpec("T12", ERROR, "成本指标超过当年预算", "成本指标「{level3}」金额 {amount} 元超过{label} {annual} 元",
             "请核对成本指标的金额和单位（元 / 万元）"),
    RuleSpec("T13", WARNING, "指标目标值为占位符", "指标「{level3}」的{指标值}「{value}」没有可衡量的内容",
             "请填写具体、可衡量的{指标值}"),
    RuleSpec("T14", WARNING, "没有成本指标", "没有「{level1}」下的任何指标",
             "按上海市 2025 年指引，原则上每个项目都应设置成本指标（总成本、单位成本或分项成本），写作“≤349.8万元”"),
    RuleSpec("T15", WARNING, "成本指标不是金额或比率", "成本指标「{level3}」的指标值为「{value}」，不是金额或比率",
             "请写成总成本、单位成本或分项成本的金额上限，例如“≤349.8万元”"),
    RuleSpec("T16", WARNING, "成本指标用了≥或>", "成本指标「{level3}」的指标值「{value}」用了「{operator}」",
             "成本是上限，请用“≤”，例如“≤349.8万元”"),
    RuleSpec("T17", WARNING, "百分比目标超过100%", "指标「{level3}」的{指标值}「{value}」超过 {ceiling}%",
             "比率类指标通常不超过 100%，请核对数值或单位"),
    RuleSpec("T18", WARNING, "没有满意度指标", "没有「{level1}」下的任何指标", "请至少填写一条满意度指标，通常写作“≥90%”"),
    # Batch
    RuleSpec("X01", ERROR, "项目重复", "「{name}」（{year} 年度，{unit}）在多个文件中出现：{files}",
             "每个项目只保留一个工作簿"),
    RuleSpec("X02", WARNING, "批次包含多个年度", "本文件为 {year} 年度，而本批次包含多个年度：{years}",
             "请确认是否混入了其他年度的文件，或核对「年度」是否填错"),
    RuleSpec("X03", WARNING, "上年预算额与上年汇总不符",
             "同名项目上年预算额 {prior} 元，与上年汇总表中的项目当年预算 {previous} 元不同",
             "请按上年批复的当年预算填写同名项目上年预算额"),
    # Year-end self-evaluation (perfxl selfeval)
    RuleSpec("E01", ERROR, "实际完成值为空", "指标「{level3}」的实际完成值为空", "请填写该指标全年实际完成的情况"),
    RuleSpec("E02", ERROR, "实际完成值不是数值", "指标「{level3}」的目标值为「{target}」，实际完成值「{value}」无法读取为数值",
             "定量指标请填写数值和单位，例如 95%、3.2万元"),
    RuleSpec("E03", WARNING, "实际完成值单位与目标值不同", "指标「{level3}」的目标值单位为「{target_unit}」，实际完成值「{value}」{problem}",
             "{todo}"),
    RuleSpec("E04", ERROR, "未完成目标且未说明原因", "指标「{level3}」目标为「{target}」，实际完成「{value}」，未完成目标",
             "请在「偏差原因分析及改进措施」中说明未完成的原因和改进措施"),
    RuleSpec("E05", ERROR, "预算执行率偏低且未说明原因", "预算执行率为 {rate}，低于 {floor}",
             "请在「执行率偏低原因」中说明资金未执行完的原因"),
    RuleSpec("E06", WARNING, "全年执行数超过全年预算数", "全年执行数 {spent} 元超过全年预算数 {budget} 元",
             "请核对全年预算数（含年中调整）和全年执行数"),
    RuleSpec("E07", ERROR, "分值合计不等于规定总分", "各指标分值合计为 {total}，应为 {expected}",
             "请调整分值，使全部指标的分值合计为 {expected}"),
    RuleSpec("E08", WARNING, "与申报的目标不一致", "「{label}」为「{value}」，申报时为「{filed}」",
             "自评须对照申报的绩效目标进行，请改回「{filed}」"),
    RuleSpec("E09", WARNING, "实际完成值远超目标值", "指标「{level3}」目标为「{target}」，实际完成「{value}」，达到目标的 {ratio}",
             "目标值可能设定偏低，请在下一年度申报时提高目标值"),
    RuleSpec("E10", ERROR, "定性指标未选择完成程度", "定性指标「{level3}」的完成程度{problem}",
             "请从下拉列表选择：{allowed}"),
)

CATALOGUE: dict[str, RuleSpec] = {spec.id: spec for spec in _SPECS}
NEUTRAL_TERMS = {"一级": "一级", "二级": "二级", "三级": "三级", "指标值": "指标值"}
_TERMS: ContextVar[dict[str, str]] = ContextVar("terms", default=NEUTRAL_TERMS)


@contextlib.contextmanager
def speaking(terms: dict[str, str]) -> Iterator[None]:
    """Findings built inside name the indicator table's parts in `terms` (a layout's words)."""
    token = _TERMS.set(terms)
    try:
        yield
    finally:
        _TERMS.reset(token)


def finding(rule: str, file: str, sheet: str = "", cell: str = "", project_name: str = "", **values) -> Finding:
    """Build a finding of `rule` with its catalogue message and hint filled from `values`."""
    spec = CATALOGUE[rule]
    return Finding(
        severity=spec.severity,
        rule=rule,
        file=file,
        sheet=sheet,
        cell=cell,
        project_name=project_name,
        message=spec.message.format(**_TERMS.get(), **values),
        hint=spec.hint.format(**_TERMS.get(), **values),
    )
