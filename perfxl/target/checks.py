"""Running the target form's checks: the rule modules are imported here by name, which fills the registries."""

from __future__ import annotations

from perfxl.core.catalogue import speaking
from perfxl.core.config import Config
from perfxl.core.model import Finding, Project
from perfxl.target import batch_rules, indicator_rules, rules

PROJECT_CHECKS = rules.PROJECT_CHECKS
BATCH_CHECKS = rules.BATCH_CHECKS
RULE_MODULES = (rules, indicator_rules, batch_rules)  # every module whose checks are registered


def check_project(project: Project, config: Config) -> list[Finding]:
    """The project rules of its layout not disabled in the configuration, in catalogue order."""
    layout = config.layout(project.layout)
    disabled = set(config.rules["disabled"])
    with speaking(layout.terms):  # the messages name the table's parts in the layout's words
        return [f for rule, check in PROJECT_CHECKS.enabled(disabled) if layout.applies(rule)
                for f in check(project, layout)]


def check_batch(projects: list[Project], config: Config, previous: dict | None = None) -> list[Finding]:
    """All batch rules; `previous` maps (unit, project name) to last year's 项目当年预算."""
    disabled = set(config.rules["disabled"])
    return [f for _, check in BATCH_CHECKS.enabled(disabled) for f in check(projects, config, previous or {})]
