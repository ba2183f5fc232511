"""The batch checks (X): across the workbooks of one run, and against last year's consolidated workbook.

A batch finding is given once per file involved, so that each file's list is complete on its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from .config import Config
from .model import Finding, Project
from .rules import batch_rule, field_finding
from .values import yuan

UNFILLED = "（未填写）"


@batch_rule("X01")
def same_project_twice(projects: list[Project], config: Config, previous: dict) -> Iterator[Finding]:
    groups: dict[tuple, list[Project]] = defaultdict(list)
    for project in projects:
        key = (project.year, project.unit, project.project_name)
        if None not in key:
            groups[key].append(project)
    for (year, unit, name), same in groups.items():
        if len(same) > 1:
            files = "、".join(p.file for p in same)
            for project in same:
                yield field_finding("X01", project, config.layout(project.layout), "project_name", name=name, year=year, unit=unit, files=files)


def usual_year(counts: Counter) -> int:
    """The batch's own year: the most frequent, the latest among equals."""
    return max(counts, key=lambda year: (counts[year], year))


@batch_rule("X02")
def several_years(projects: list[Project], config: Config, previous: dict) -> Iterator[Finding]:
    counts = Counter(p.year for p in projects if p.year is not None)
    if len(counts) < 2:
        return
    usual = usual_year(counts)
    years = "、".join(f"{year} 年度 {counts[year]} 个" for year in sorted(counts))
    for project in projects:
        if project.year is not None and project.year != usual:
            yield field_finding("X02", project, config.layout(project.layout), "year", year=project.year, years=years)


@batch_rule("X03")
def prior_budget_differs_from_last_year(projects: list[Project], config: Config,
                                        previous: dict) -> Iterator[Finding]:
    tolerance = config.thresholds["amount_tolerance"]
    for project in projects:
        layout = config.layout(project.layout)
        last_year = previous.get((project.unit, project.project_name))
        if last_year is None or not layout.applies("X03"):
            continue
        prior = project.prior_budget
        if prior is None or abs(prior - last_year) > tolerance:
            yield field_finding("X03", project, layout, "prior_budget", prior=UNFILLED if prior is None else yuan(prior),
                                previous=yuan(last_year))
