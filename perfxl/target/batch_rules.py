"""The batch checks (X): across the workbooks of one run, and against last year's consolidated workbook.

A batch finding is given once per file involved, so that each file's list is complete on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from perfxl.core.config import Config
from perfxl.core.model import Finding, Project
from perfxl.core.values import decimal_of, text_key, yuan
from perfxl.target.rules import batch_rule, field_finding

UNFILLED = "（未填写）"


@batch_rule("X01")
def same_project_twice(projects: list[Project], config: Config, previous: dict) -> Iterator[Finding]:
    groups: dict[tuple, list[Project]] = defaultdict(list)
    for project in projects:
        if None not in (project.year, project.unit, project.project_name):
            # names compared as the reader compares labels: （一期） = (一期), no zero-width or full-width tricks
            groups[(project.year, text_key(project.unit), text_key(project.project_name))].append(project)
    for same in groups.values():
        if len(same) > 1:
            files = "、".join(p.file for p in same)
            first = same[0]
            for project in same:
                yield field_finding("X01", project, config.layout(project.layout), "project_name", name=first.project_name, year=first.year,
                                    unit=first.unit, files=files)


FILES_NAMED = 3  # files named per year in X02's message; the rest are counted


def _year_group(year: int, files: list[str]) -> str:
    named = "、".join(files[:FILES_NAMED]) + ("等" if len(files) > FILES_NAMED else "")
    return f"{year} 年度 {len(files)} 个（{named}）"


@batch_rule("X02")
def several_years(projects: list[Project], config: Config, previous: dict) -> Iterator[Finding]:
    """On every file with a year: which file is the odd one cannot be told from the counts."""
    files: dict[int, list[str]] = defaultdict(list)
    for project in projects:
        if project.year is not None:
            files[project.year].append(project.file)
    if len(files) < 2:
        return
    years = "、".join(_year_group(year, files[year]) for year in sorted(files))
    for project in projects:
        if project.year is not None:
            yield field_finding("X02", project, config.layout(project.layout), "year", year=project.year, years=years)


@batch_rule("X03")
def prior_budget_differs_from_last_year(projects: list[Project], config: Config,
                                        previous: dict) -> Iterator[Finding]:
    for project in projects:
        layout = config.layout(project.layout)
        last_year = previous.get((project.unit, project.project_name))
        if last_year is None or not layout.applies("X03"):
            continue
        prior, last_year = project.prior_budget, decimal_of(last_year)
        if prior is None or abs(prior - last_year) > decimal_of(layout.thresholds.amount_tolerance):
            yield field_finding("X03", project, layout, "prior_budget", prior=UNFILLED if prior is None else yuan(prior),
                                previous=yuan(last_year))
