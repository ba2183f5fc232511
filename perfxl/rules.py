"""The checks of the rule catalogue: one small function per rule, registered with its id.

Project checks see one project; batch checks see them all. Each yields findings; the S rules are
raised while reading (reader.py) and have no check here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .catalogue import CATALOGUE
from .config import Config
from .model import Finding, Project

ProjectCheck = Callable[[Project, Config], Iterator[Finding]]
BatchCheck = Callable[[list[Project], Config, dict], Iterator[Finding]]
PROJECT_CHECKS: dict[str, ProjectCheck] = {}
BATCH_CHECKS: dict[str, BatchCheck] = {}


def project_rule(rule: str) -> Callable[[ProjectCheck], ProjectCheck]:
    assert rule in CATALOGUE, rule

    def register(check: ProjectCheck) -> ProjectCheck:
        PROJECT_CHECKS[rule] = check
        return check

    return register


def batch_rule(rule: str) -> Callable[[BatchCheck], BatchCheck]:
    assert rule in CATALOGUE, rule

    def register(check: BatchCheck) -> BatchCheck:
        BATCH_CHECKS[rule] = check
        return check

    return register


def check_project(project: Project, config: Config) -> list[Finding]:
    """All project rules not disabled in the configuration, in catalogue order."""
    disabled = set(config.rules["disabled"])
    return [f for rule, check in PROJECT_CHECKS.items() if rule not in disabled for f in check(project, config)]


def check_batch(projects: list[Project], config: Config, previous: dict | None = None) -> list[Finding]:
    """All batch rules; `previous` maps (unit, project name) to last year's 项目当年预算."""
    disabled = set(config.rules["disabled"])
    return [f for rule, check in BATCH_CHECKS.items() if rule not in disabled
            for f in check(projects, config, previous or {})]
