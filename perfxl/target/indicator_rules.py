"""The indicator checks (T): the 绩效指标 sheet, alone and against the budget.

Each finding points at the cell to fix: the 一级/二级/三级 or 指标目标值 cell of the indicator.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator

from perfxl.core.catalogue import finding
from perfxl.core.layout import Layout
from perfxl.core.model import INDICATOR_SHEET, Finding, Indicator, Project
from perfxl.core.quantity import base_unit, parse_target, same_quantity
from perfxl.core.values import decimal_of, fold_width, plain, text_key, yuan
from perfxl.target.rules import amount_of, project_rule

AMOUNT_UNITS = ("元", "")  # base units of a 成本 target in yuan: 元, 万元, 千元, 亿元, and a bare 万 (≤400万)
UNFILLED = "（未填写）"
_CONTENT = re.compile(r"[\w\u4e00-\u9fff]")  # a letter, digit or CJK character: something to measure


def indicator_finding(rule: str, project: Project, indicator: Indicator, column: str, /, **values) -> Finding:
    """A finding at `column` (level1 … target) of the indicator's row."""
    cell = project.indicator_cell(indicator, column)
    return finding(rule, project.file, INDICATOR_SHEET, cell, project.name, **values)


def project_finding(rule: str, project: Project, /, **values) -> Finding:
    """A finding about the project's indicators as a whole: no cell."""
    return finding(rule, project.file, INDICATOR_SHEET, "", project.name, **values)


def same_target(written: str, standard: str) -> bool:
    """True when two targets say the same: `=100%` equals `100%`, `合规` equals ` 合规`."""
    a, b = parse_target(written), parse_target(standard)
    if a.quantitative or b.quantitative:
        return same_quantity(a, b)
    return a.text == b.text


def _run_starts(project: Project, key: Callable[[Indicator], object]) -> Iterator[Indicator]:
    """The indicators where `key(indicator)` changes: the rows where a merged or repeated value is written."""
    previous = object()
    for indicator in project.indicators:
        current = key(indicator)
        if current != previous:
            yield indicator
        previous = current


@project_rule("T01")
def no_indicators(project: Project, layout: Layout) -> Iterator[Finding]:
    # Without a header row the reader has already raised S03; T01 would only repeat it.
    if project.indicator_columns and not project.indicators:
        yield project_finding("T01", project)


@project_rule("T02")
def level1_not_allowed(project: Project, layout: Layout) -> Iterator[Finding]:
    allowed = layout.hierarchy
    for indicator in _run_starts(project, lambda i: i.level1):
        if indicator.level1 not in allowed:
            yield indicator_finding("T02", project, indicator, "level1", value=indicator.level1 or UNFILLED,
                                    allowed="、".join(allowed))


@project_rule("T03")
def level2_not_under_level1(project: Project, layout: Layout) -> Iterator[Finding]:
    for indicator in _run_starts(project, lambda i: (i.level1, i.level2)):
        allowed = layout.hierarchy.get(indicator.level1)
        if allowed is not None and indicator.level2 not in allowed:  # unknown 一级 is T02's
            yield indicator_finding("T03", project, indicator, "level2", value=indicator.level2 or UNFILLED,
                                    level1=indicator.level1, allowed="、".join(allowed))


@project_rule("T04")
def level3_or_target_empty(project: Project, layout: Layout) -> Iterator[Finding]:
    for indicator in project.indicators:
        where = f"「{indicator.level3}」" if indicator.level3 else f"第 {indicator.row} 行"
        if not indicator.level3:
            yield indicator_finding("T04", project, indicator, "level3", where=where, missing=layout.terms["三级"])
        if not indicator.written:
            yield indicator_finding("T04", project, indicator, "target", where=where, missing=layout.terms["指标值"])


def consequence(rule: str, project: Project, cause: Indicator | None, column: str, cause_rule: str,
                /, **values) -> Finding:
    """A finding that may follow from another (T05 from a T02, T06 from a T03): at the cause's cell, so that
    it is listed right after it, and saying so; a project-wide finding when nothing explains it."""
    if cause is None:
        return project_finding(rule, project, cause="", **values)
    name = getattr(cause, column)
    why = (f"（可能因为{'一' if column == 'level1' else '二'}级「{name}」无法识别，见 {cause_rule}；"
           f"改正 {cause_rule} 后本条随之消除）")
    return indicator_finding(rule, project, cause, column, cause=why, **values)


@project_rule("T05")
def output_or_effect_missing(project: Project, layout: Layout) -> Iterator[Finding]:
    if not project.indicators:  # T01's
        return
    unknown = next((i for i in _run_starts(project, lambda i: i.level1) if i.level1 not in layout.hierarchy), None)
    for role in ("output", "effect"):
        if not any(layout.is_role(indicator, role) for indicator in project.indicators):
            yield consequence("T05", project, unknown, "level1", "T02", level1=layout.role_name(role))


@project_rule("T06")
def output_incomplete(project: Project, layout: Layout) -> Iterator[Finding]:
    output = [i for i in project.indicators if layout.is_role(i, "output")]
    if not output:  # no 产出目标 at all is T05's
        return
    present = {i.level2 for i in output}
    allowed = layout.hierarchy.get(output[0].level1, [])
    unknown = next((i for i in output if i.level2 not in allowed), None)
    required = layout.roles["output"].requires
    for level2 in required:
        if level2 not in present:
            yield consequence("T06", project, unknown, "level2", "T03", missing=level2, required="、".join(required),
                              level1=layout.role_name("output"))


@project_rule("T07")
def standard_indicator_differs(project: Project, layout: Layout) -> Iterator[Finding]:
    standards = layout.profile.standard_indicators
    for indicator in project.indicators:
        standard = standards.get(indicator.level3)
        if standard is None:
            continue
        expected = {"level2": standard.level2, "level3": indicator.level3, "target": standard.target}
        if (indicator.level1, indicator.level2) != (standard.level1, standard.level2):
            column = "level1" if indicator.level1 != standard.level1 else "level2"
            problem = (f"位于「{indicator.level1} / {indicator.level2}」下，"
                       f"应在「{standard.level1} / {standard.level2}」下")
            yield indicator_finding("T07", project, indicator, column, problem=problem, **expected)
        if indicator.written and not same_target(indicator.written, standard.target):
            problem = f"的目标值为「{indicator.written}」，标准值为「{standard.target}」"
            yield indicator_finding("T07", project, indicator, "target", problem=problem, **expected)


@project_rule("T08")
def satisfaction_target_too_weak(project: Project, layout: Layout) -> Iterator[Finding]:
    floor = decimal_of(layout.thresholds.satisfaction_floor)
    for indicator in project.indicators:
        if not indicator.written or not layout.is_role(indicator, "satisfaction"):
            continue
        target = parse_target(indicator.written)  # `95%以上`, `不低于95%`, `满意度≥95％` read as ≥95%
        unit, scale = target.base
        at_least = target.value is not None and target.value * scale >= floor
        if not (target.operator in ("≥", ">") and unit == "%" and at_least):
            yield indicator_finding("T08", project, indicator, "target", level3=indicator.level3,
                                    value=indicator.written, floor=plain(floor))


def unbalanced_brackets(text: str, pairs: list[str]) -> list[str]:
    """The opening brackets of `pairs` (e.g. `《》`) that `text` does not close, or closes without opening."""
    problems = []
    for pair in pairs:
        opening, closing = pair[0], pair[-1]
        depth = 0
        for char in text:
            depth += (char == opening) - (char == closing)
            if depth < 0:
                break
        if depth != 0:
            problems.append(opening if depth > 0 else closing)
    return problems


@project_rule("T09")
def level3_cut_off(project: Project, layout: Layout) -> Iterator[Finding]:
    pairs, endings = layout.thresholds.bracket_pairs, layout.thresholds.cut_off_endings
    complete = layout.thresholds.complete_words
    for indicator in project.indicators:
        name = indicator.level3.strip()
        problems = [f"括号「{b}」不成对" for b in unbalanced_brackets(name, pairs)]
        ending = next((e for e in endings if name.endswith(e)), None)
        if name and ending and not any(name.endswith(word) for word in complete):
            problems.append(f"以「{ending}」结尾")
        if problems:
            yield indicator_finding("T09", project, indicator, "level3", value=name, problem="，".join(problems))


@project_rule("T10")
def level3_repeated(project: Project, layout: Layout) -> Iterator[Finding]:
    rows: dict[str, list[Indicator]] = defaultdict(list)
    for indicator in project.indicators:
        if indicator.level3:
            rows[text_key(indicator.level3)].append(indicator)  # （一） = (一), as X01 compares names
    for same in rows.values():
        for indicator in same[1:]:
            others = "、".join(project.indicator_cell(i, "level3") for i in same if i is not indicator)
            yield indicator_finding("T10", project, indicator, "level3", value=indicator.level3,
                                    count=len(same), others=others)


@project_rule("T11")
def quantitative_without_unit(project: Project, layout: Layout) -> Iterator[Finding]:
    for indicator in project.indicators:
        if indicator.quantitative and not indicator.unit_of_measure.strip():
            shown = parse_target(indicator.written).text  # starts with the operator only when one was written
            what = "有比较符和数值，但没有单位" if shown[:1] in "≥≤<>=" else "只有数值，没有单位"
            yield indicator_finding("T11", project, indicator, "target", value=indicator.written, what=what)


@project_rule("T12")
def cost_above_annual_budget(project: Project, layout: Layout) -> Iterator[Finding]:
    annual = amount_of(project, layout.budget.annual)
    if annual is None:
        return
    for indicator in project.indicators:
        unit, factor = base_unit(indicator.unit_of_measure)
        if not layout.is_role(indicator, "cost") or indicator.value is None or unit not in AMOUNT_UNITS:
            continue
        if not indicator.unit_of_measure:  # no unit at all is T11's
            continue
        amount = indicator.value * factor
        if amount > annual:
            yield indicator_finding("T12", project, indicator, "target", level3=indicator.level3, amount=yuan(amount),
                                    annual=yuan(annual), label=layout.label(layout.budget.annual))


def is_placeholder(written: str, placeholders: list[str]) -> bool:
    """A target that is a placeholder, holds one (`≥XX%`), or has nothing to measure (`—`)."""
    text = fold_width(written.strip())
    folded = [fold_width(p) for p in placeholders]
    if text in folded or not _CONTENT.search(text) or parse_target(text).placeholder:
        return True
    return any(len(p) > 1 and p in text for p in folded)  # `/` alone may be a unit: 次/年


@project_rule("T13")
def target_is_placeholder(project: Project, layout: Layout) -> Iterator[Finding]:
    for indicator in project.indicators:
        if indicator.written and is_placeholder(indicator.written, layout.thresholds.placeholders):
            yield indicator_finding("T13", project, indicator, "target", level3=indicator.level3,
                                    value=indicator.written)


def role_missing(rule: str, project: Project, layout: Layout, role: str) -> Iterator[Finding]:
    """A finding about the whole table when no indicator plays `role`."""
    if project.indicators and not any(layout.is_role(i, role) for i in project.indicators):
        yield project_finding(rule, project, level1=layout.role_name(role))


@project_rule("T14")
def no_cost_indicator(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from role_missing("T14", project, layout, "cost")


@project_rule("T15")
def cost_is_a_word(project: Project, layout: Layout) -> Iterator[Finding]:
    for indicator in project.indicators:
        if layout.is_role(indicator, "cost") and indicator.written and not indicator.quantitative:
            yield indicator_finding("T15", project, indicator, "target", level3=indicator.level3,
                                    value=indicator.written)


@project_rule("T16")
def cost_is_a_floor(project: Project, layout: Layout) -> Iterator[Finding]:
    for indicator in project.indicators:
        if layout.is_role(indicator, "cost") and indicator.operator in ("≥", ">"):
            yield indicator_finding("T16", project, indicator, "target", level3=indicator.level3,
                                    value=indicator.written, operator=indicator.operator)


@project_rule("T17")
def percentage_above_ceiling(project: Project, layout: Layout) -> Iterator[Finding]:
    ceiling = decimal_of(layout.thresholds.percent_ceiling)
    for indicator in project.indicators:
        unit, scale = base_unit(indicator.unit_of_measure)
        if unit == "%" and indicator.value is not None and indicator.value * scale > ceiling:
            yield indicator_finding("T17", project, indicator, "target", level3=indicator.level3,
                                    value=indicator.written, ceiling=plain(ceiling))


@project_rule("T18")
def no_satisfaction_indicator(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from role_missing("T18", project, layout, "satisfaction")
