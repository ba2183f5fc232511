"""The rule registry: which function checks which rule of the catalogue.

A rule module marks each check with its registry's decorator (`@PROJECT_RULES.rule("T02")`); the module
that runs a kind's checks imports its rule modules by name (perfxl/target/checks.py,
perfxl/selfeval/rules.py), so that the registry is filled by imports one can read, not by a side effect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from perfxl.core.catalogue import CATALOGUE

Check = TypeVar("Check", bound=Callable)
ORDER = {rule: position for position, rule in enumerate(CATALOGUE)}


class Registry(Generic[Check]):
    """Rule id -> its check, for one kind of check (project, batch, self-evaluation)."""

    def __init__(self) -> None:
        self.checks: dict[str, Check] = {}

    def rule(self, rule_id: str) -> Callable[[Check], Check]:
        """Register the decorated function as the check of rule `rule_id` (which the catalogue must know)."""
        if rule_id not in CATALOGUE:
            raise KeyError(f"rule {rule_id} is not in the catalogue")

        def register(check: Check) -> Check:
            self.checks[rule_id] = check
            return check

        return register

    def enabled(self, disabled: set[str] | list[str]) -> Iterator[tuple[str, Check]]:
        """(rule, check) of every rule not in `disabled`, in catalogue order."""
        for rule in sorted(self.checks, key=ORDER.__getitem__):
            if rule not in disabled:
                yield rule, self.checks[rule]

    def __contains__(self, rule: str) -> bool:
        return rule in self.checks

    def __iter__(self) -> Iterator[str]:
        return iter(self.checks)
