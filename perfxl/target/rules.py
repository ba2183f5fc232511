"""The checks of the rule catalogue: one small function per rule, registered with its id.

Project checks see one project; batch checks see them all. Each yields findings; the S rules are
raised while reading (reader.py) and have no check here. This module holds the target form's two
registries and the I and B checks; the T checks live in indicator_rules.py, the X checks in
batch_rules.py, and checks.py imports all three to run them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal

from perfxl.core.catalogue import finding
from perfxl.core.config import Config
from perfxl.core.layout import Layout
from perfxl.core.model import BUDGET_SHEET, Finding, Project
from perfxl.core.registry import Registry
from perfxl.core.values import decimal_of, yuan

ProjectCheck = Callable[[Project, Layout], Iterator[Finding]]
BatchCheck = Callable[[list[Project], Config, dict], Iterator[Finding]]
PROJECT_CHECKS: Registry[ProjectCheck] = Registry()
BATCH_CHECKS: Registry[BatchCheck] = Registry()
project_rule = PROJECT_CHECKS.rule  # @project_rule("T02") on a ProjectCheck
batch_rule = BATCH_CHECKS.rule  # @batch_rule("X01") on a BatchCheck


# Helpers shared by the checks -------------------------------------------------------------------


def percent(ratio: Decimal | float) -> str:
    """A ratio as a percentage with one decimal (half up), without a trailing `.0`: `58.7%`, `50%`."""
    shown = (decimal_of(ratio) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{shown:f}%".replace(".0%", "%")


def amount_of(project: Project, name: str) -> Decimal | None:
    """The amount field `name` of `project` as a Decimal; None when missing or unreadable."""
    value = project.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return decimal_of(value)


def field_finding(rule: str, project: Project, layout: Layout, name: str, /, **values) -> Finding:
    """A finding at the value cell of field `name` of `project`."""
    sheet = layout.field(name).sheet
    return finding(rule, project.file, sheet, project.cells.get(name, ""), project.name, **values)


# Project information — I ------------------------------------------------------------------------


@project_rule("I01")
def start_after_end(project: Project, layout: Layout) -> Iterator[Finding]:
    if project.start_date and project.end_date and project.start_date > project.end_date:
        yield field_finding("I01", project, layout, "start_date", start=project.start_date, end=project.end_date)


@project_rule("I02")
def plan_outside_year(project: Project, layout: Layout) -> Iterator[Finding]:
    if None in (project.year, project.start_date, project.end_date):
        return
    if project.category in layout.profile.multi_year_categories:
        return
    outside = [name for name in ("start_date", "end_date") if getattr(project, name).year != project.year]
    if outside:
        yield field_finding("I02", project, layout, outside[0], start=project.start_date, end=project.end_date,
                            year=project.year)


def choice_not_allowed(rule: str, project: Project, layout: Layout) -> Iterator[Finding]:
    """A finding at each choice field checked by `rule` whose value is not in its list."""
    for spec in layout.fields:
        allowed = layout.choices(spec)
        value = project.get(spec.name)
        if spec.rule == rule and value is not None and value not in allowed:
            yield field_finding(rule, project, layout, spec.name, label=spec.label, value=value,
                                allowed="、".join(allowed))


@project_rule("I03")
def category_not_allowed(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from choice_not_allowed("I03", project, layout)


@project_rule("I04")
def gov_procurement_not_yes_no(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from choice_not_allowed("I04", project, layout)


@project_rule("I05")
def year_outside_plan(project: Project, layout: Layout) -> Iterator[Finding]:
    year, start, end = project.year, project.start_date, project.end_date
    if year is None or start is None or end is None or start > end:
        return  # an unreadable date is S03/S04's, a reversed plan I01's
    if not start.year <= year <= end.year:
        yield field_finding("I05", project, layout, "year", year=project.year, span=project.plan_span)


# Budget — B -------------------------------------------------------------------------------------


@project_rule("B01")
def negative_amount(project: Project, layout: Layout) -> Iterator[Finding]:
    for spec in layout.fields:
        amount = amount_of(project, spec.name) if spec.kind == "amount" else None
        if amount is not None and amount < 0:
            yield field_finding("B01", project, layout, spec.name, label=spec.label, value=yuan(amount))
    column = project.budget_line_columns.get("amount", "")
    for line in project.budget_lines:
        if line.amount is not None and line.amount < 0:
            yield finding("B01", project.file, BUDGET_SHEET, f"{column}{line.row}", project.name,
                          label=f"预算明细「{line.item}」的金额", value=yuan(line.amount))


def amount_above(rule: str, project: Project, layout: Layout, name: str, limit_name: str) -> Iterator[Finding]:
    """A finding at field `name` when its amount exceeds field `limit_name`."""
    amount, limit = amount_of(project, name), amount_of(project, limit_name)
    if amount is not None and limit is not None and amount > limit:
        yield field_finding(rule, project, layout, name, amount=yuan(amount), limit=yuan(limit),
                            label=layout.label(name), limit_label=layout.label(limit_name))


@project_rule("B02")
def annual_above_total(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from amount_above("B02", project, layout, layout.budget.annual, layout.budget.total)


def annual_differs_within_one_year(rule: str, project: Project, layout: Layout) -> Iterator[Finding]:
    """A finding when the plan lies in one calendar year yet this year's amount differs from the total."""
    annual, total = amount_of(project, layout.budget.annual), amount_of(project, layout.budget.total)
    start, end = project.start_date, project.end_date
    if annual is None or total is None or start is None or end is None:
        return
    if start.year == end.year and annual != total:
        yield field_finding(rule, project, layout, layout.budget.annual, annual=yuan(annual), total=yuan(total))


@project_rule("B03")
def annual_differs_from_total_within_one_year(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from annual_differs_within_one_year("B03", project, layout)


@project_rule("B04")
def prior_spent_above_prior_budget(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from amount_above("B04", project, layout, "prior_spent", "prior_budget")


@project_rule("B05")
def only_one_prior_figure(project: Project, layout: Layout) -> Iterator[Finding]:
    filled = [name for name in ("prior_budget", "prior_spent") if getattr(project, name) is not None]
    if len(filled) == 1:
        missing = "prior_spent" if filled[0] == "prior_budget" else "prior_budget"
        yield field_finding("B05", project, layout, missing, filled=layout.field(filled[0]).label,
                            missing=layout.field(missing).label)


@project_rule("B06")
def recurring_without_prior_figures(project: Project, layout: Layout) -> Iterator[Finding]:
    recurring = project.category in layout.profile.recurring_categories
    if recurring and project.prior_budget is None and project.prior_spent is None:
        yield field_finding("B06", project, layout, "prior_budget", category=project.category)


@project_rule("B07")
def annual_budget_changes_too_much(project: Project, layout: Layout) -> Iterator[Finding]:
    change, limit = project.budget_change, decimal_of(layout.thresholds.budget_change_ratio)
    if change is not None and abs(change) > limit:
        yield field_finding("B07", project, layout, "annual_budget", direction="增加" if change > 0 else "减少",
                            change=percent(abs(change)), annual=yuan(project.annual_budget),
                            prior=yuan(project.prior_budget), limit=percent(limit))


@project_rule("B08")
def low_prior_execution_rate(project: Project, layout: Layout) -> Iterator[Finding]:
    rate, floor = project.prior_execution_rate, decimal_of(layout.thresholds.execution_rate_floor)
    if rate is not None and rate < floor:
        yield field_finding("B08", project, layout, "prior_spent", rate=percent(rate), floor=percent(floor))


@project_rule("B09")
def budget_lines_do_not_add_up(project: Project, layout: Layout) -> Iterator[Finding]:
    tolerance = decimal_of(layout.thresholds.amount_tolerance)
    column = project.budget_line_columns.get("amount", "")
    for stated in project.budget_totals:  # the table's own 合计/小计 rows, against the lines they cover
        lines = project.budget_lines[stated.first : stated.last]
        covered = sum((line.amount or Decimal(0) for line in lines), Decimal(0))
        if stated.line.amount is not None and abs(covered - stated.line.amount) > tolerance:
            yield finding("B09", project.file, BUDGET_SHEET, f"{column}{stated.line.row}", project.name,
                          what="各行之和", sum=yuan(covered), against=f"「{stated.line.item}」行",
                          annual=yuan(stated.line.amount), diff=yuan(abs(covered - stated.line.amount)))
    amounts = [line.amount for line in project.budget_lines if line.amount is not None]
    annual = amount_of(project, layout.budget.annual)
    if not amounts or annual is None:
        return
    total = sum(amounts, Decimal(0))
    if abs(total - annual) > tolerance:
        yield field_finding("B09", project, layout, layout.budget.annual, what="合计", sum=yuan(total),
                            against=layout.label(layout.budget.annual), annual=yuan(annual), diff=yuan(abs(total - annual)))


def parts_do_not_add_up(rule: str, project: Project, layout: Layout) -> Iterator[Finding]:
    """A finding at the total of the layout's sum checked by `rule` when its parts (empty: 0) differ."""
    for spec in (s for s in layout.budget.sums if s.rule == rule):
        total = amount_of(project, spec.total)
        parts = [amount_of(project, name) or Decimal(0) for name in spec.parts]
        if total is not None and abs(sum(parts, Decimal(0)) - total) > decimal_of(layout.thresholds.amount_tolerance):
            shown = " + ".join(f"{layout.label(n).removeprefix('其中：')} {yuan(v)}" for n, v in zip(
                spec.parts, parts, strict=True))
            yield field_finding(rule, project, layout, spec.total, label=layout.label(spec.total), total=yuan(total),
                                parts=shown, sum=yuan(sum(parts, Decimal(0))))


@project_rule("B10")
def project_funds_do_not_add_up(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from parts_do_not_add_up("B10", project, layout)


@project_rule("B11")
def annual_funds_do_not_add_up(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from parts_do_not_add_up("B11", project, layout)


@project_rule("B12")
def annual_funds_above_project_funds(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from amount_above("B12", project, layout, layout.budget.annual, layout.budget.total)


@project_rule("B13")
def annual_funds_differ_within_one_year(project: Project, layout: Layout) -> Iterator[Finding]:
    yield from annual_differs_within_one_year("B13", project, layout)
