"""The checks of the rule catalogue: one small function per rule, registered with its id.

Project checks see one project; batch checks see them all. Each yields findings; the S rules are
raised while reading (reader.py) and have no check here. This module holds the registry and the
I and B checks; the T checks live in indicator_rules.py, the X checks in batch_rules.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .catalogue import CATALOGUE, finding
from .config import Config
from .model import BUDGET_SHEET, FIELD_BY_NAME, Finding, Project
from .values import yuan

ProjectCheck = Callable[[Project, Config], Iterator[Finding]]
BatchCheck = Callable[[list[Project], Config, dict], Iterator[Finding]]
PROJECT_CHECKS: dict[str, ProjectCheck] = {}
BATCH_CHECKS: dict[str, BatchCheck] = {}


def _registrar(registry: dict) -> Callable[[str], Callable]:
    def rule(rule_id: str) -> Callable:
        """Register the decorated function as the check of rule `rule_id`."""
        assert rule_id in CATALOGUE, rule_id

        def register(check):
            registry[rule_id] = check
            return check

        return register

    return rule


project_rule = _registrar(PROJECT_CHECKS)  # @project_rule("T02") on a ProjectCheck
batch_rule = _registrar(BATCH_CHECKS)  # @batch_rule("X01") on a BatchCheck


def check_project(project: Project, config: Config) -> list[Finding]:
    """All project rules not disabled in the configuration, in catalogue order."""
    disabled = set(config.rules["disabled"])
    return [f for rule, check in PROJECT_CHECKS.items() if rule not in disabled for f in check(project, config)]


def check_batch(projects: list[Project], config: Config, previous: dict | None = None) -> list[Finding]:
    """All batch rules; `previous` maps (unit, project name) to last year's 项目当年预算."""
    disabled = set(config.rules["disabled"])
    return [f for rule, check in BATCH_CHECKS.items() if rule not in disabled
            for f in check(projects, config, previous or {})]


# Helpers shared by the checks -------------------------------------------------------------------


def percent(ratio: float) -> str:
    """A ratio as a percentage with one decimal, without a trailing `.0`: `58.7%`, `50%`."""
    return f"{ratio:.1%}".replace(".0%", "%")


def field_finding(rule: str, project: Project, name: str, /, **values) -> Finding:
    """A finding at the value cell of field `name` of `project`."""
    sheet = FIELD_BY_NAME[name].sheet
    return finding(rule, project.file, sheet, project.cells.get(name, ""), project.name, **values)


# Project information — I ------------------------------------------------------------------------


@project_rule("I01")
def start_after_end(project: Project, config: Config) -> Iterator[Finding]:
    if project.start_date and project.end_date and project.start_date > project.end_date:
        yield field_finding("I01", project, "start_date", start=project.start_date, end=project.end_date)


@project_rule("I02")
def plan_outside_year(project: Project, config: Config) -> Iterator[Finding]:
    if None in (project.year, project.start_date, project.end_date):
        return
    if project.category in config.profile["multi_year_categories"]:
        return
    outside = [name for name in ("start_date", "end_date") if getattr(project, name).year != project.year]
    if outside:
        yield field_finding("I02", project, outside[0], start=project.start_date, end=project.end_date,
                            year=project.year)


@project_rule("I03")
def category_not_allowed(project: Project, config: Config) -> Iterator[Finding]:
    allowed = config.profile["categories"]
    if project.category is not None and project.category not in allowed:
        yield field_finding("I03", project, "category", value=project.category, allowed="、".join(allowed))


@project_rule("I04")
def gov_procurement_not_yes_no(project: Project, config: Config) -> Iterator[Finding]:
    if project.gov_procurement is not None and project.gov_procurement not in config.profile["gov_procurement_choices"]:
        yield field_finding("I04", project, "gov_procurement", value=project.gov_procurement)


# Budget — B -------------------------------------------------------------------------------------

AMOUNT_FIELDS = ("total_budget", "annual_budget", "prior_budget", "prior_spent")


@project_rule("B01")
def negative_amount(project: Project, config: Config) -> Iterator[Finding]:
    for name in AMOUNT_FIELDS:
        amount = getattr(project, name)
        if amount is not None and amount < 0:
            yield field_finding("B01", project, name, label=FIELD_BY_NAME[name].label, value=yuan(amount))
    column = project.budget_line_columns.get("amount", "")
    for line in project.budget_lines:
        if line.amount is not None and line.amount < 0:
            yield finding("B01", project.file, BUDGET_SHEET, f"{column}{line.row}", project.name,
                          label=f"预算明细「{line.item}」的金额", value=yuan(line.amount))


def amount_above(rule: str, project: Project, name: str, limit_name: str, keys: tuple[str, str]) -> Iterator[Finding]:
    """A finding at field `name` when its amount exceeds field `limit_name`; `keys` name both in the message."""
    amount, limit = getattr(project, name), getattr(project, limit_name)
    if amount is not None and limit is not None and amount > limit:
        yield field_finding(rule, project, name, **{keys[0]: yuan(amount), keys[1]: yuan(limit)})


@project_rule("B02")
def annual_above_total(project: Project, config: Config) -> Iterator[Finding]:
    yield from amount_above("B02", project, "annual_budget", "total_budget", ("annual", "total"))


@project_rule("B03")
def annual_differs_from_total_within_one_year(project: Project, config: Config) -> Iterator[Finding]:
    annual, total = project.annual_budget, project.total_budget
    if None in (annual, total, project.start_date, project.end_date):
        return
    if project.start_date.year == project.end_date.year and annual != total:
        yield field_finding("B03", project, "annual_budget", annual=yuan(annual), total=yuan(total))


@project_rule("B04")
def prior_spent_above_prior_budget(project: Project, config: Config) -> Iterator[Finding]:
    yield from amount_above("B04", project, "prior_spent", "prior_budget", ("spent", "prior"))


@project_rule("B05")
def only_one_prior_figure(project: Project, config: Config) -> Iterator[Finding]:
    filled = [name for name in ("prior_budget", "prior_spent") if getattr(project, name) is not None]
    if len(filled) == 1:
        missing = "prior_spent" if filled[0] == "prior_budget" else "prior_budget"
        yield field_finding("B05", project, missing, filled=FIELD_BY_NAME[filled[0]].label,
                            missing=FIELD_BY_NAME[missing].label)


@project_rule("B06")
def recurring_without_prior_figures(project: Project, config: Config) -> Iterator[Finding]:
    recurring = project.category in config.profile["recurring_categories"]
    if recurring and project.prior_budget is None and project.prior_spent is None:
        yield field_finding("B06", project, "prior_budget", category=project.category)


@project_rule("B07")
def annual_budget_changes_too_much(project: Project, config: Config) -> Iterator[Finding]:
    change, limit = project.budget_change, config.thresholds["budget_change_ratio"]
    if change is not None and abs(change) > limit:
        yield field_finding("B07", project, "annual_budget", direction="增加" if change > 0 else "减少",
                            change=percent(abs(change)), annual=yuan(project.annual_budget),
                            prior=yuan(project.prior_budget), limit=percent(limit))


@project_rule("B08")
def low_prior_execution_rate(project: Project, config: Config) -> Iterator[Finding]:
    rate, floor = project.prior_execution_rate, config.thresholds["execution_rate_floor"]
    if rate is not None and rate < floor:
        yield field_finding("B08", project, "prior_spent", rate=percent(rate), floor=percent(floor))


@project_rule("B09")
def budget_lines_do_not_add_up(project: Project, config: Config) -> Iterator[Finding]:
    tolerance = config.thresholds["amount_tolerance"]
    column = project.budget_line_columns.get("amount", "")
    for total in project.budget_totals:  # the table's own 合计/小计 rows, against the lines they cover
        covered = sum(line.amount or 0 for line in project.budget_lines[total.first : total.last])
        if total.line.amount is not None and abs(covered - total.line.amount) > tolerance:
            yield finding("B09", project.file, BUDGET_SHEET, f"{column}{total.line.row}", project.name,
                          what="各行之和", sum=yuan(covered), against=f"「{total.line.item}」行", annual=yuan(total.line.amount),
                          diff=yuan(abs(covered - total.line.amount)))
    amounts = [line.amount for line in project.budget_lines if line.amount is not None]
    if not amounts or project.annual_budget is None:
        return
    total = sum(amounts)
    if abs(total - project.annual_budget) > tolerance:
        yield field_finding("B09", project, "annual_budget", what="合计", sum=yuan(total), against="项目当年预算",
                            annual=yuan(project.annual_budget), diff=yuan(abs(total - project.annual_budget)))


# The indicator (T) and batch (X) checks register themselves when imported.
from . import batch_rules, indicator_rules  # noqa: E402, F401, I001
