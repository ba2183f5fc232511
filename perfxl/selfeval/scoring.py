"""Year-end self-evaluation (绩效自评): 分值 per indicator, the scoring of one indicator and of a project.

All numbers come from the `[selfeval]` table of the configuration (defaults.toml). Scores are rounded to
two decimals half up, as a person does on paper; 分值 are split with `Decimal` so that they add up to the
configured total exactly.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from perfxl.core.values import parse_target
from perfxl.selfeval.book import Row, SelfEvaluation

CENT = Decimal("0.01")
SCALES = (("百万", 1e6), ("亿", 1e8), ("万", 1e4), ("千", 1e3))  # unit prefixes, longest first


def round2(number: float) -> float:
    """`number` to two decimals, half up (2.675 -> 2.68, where `round` gives 2.67)."""
    return float(Decimal(repr(number)).quantize(CENT, ROUND_HALF_UP))


def _split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` shared by `weights`, each to the cent, the last part taking the remainder."""
    whole = sum(weights)
    parts = [(total * w / whole).quantize(CENT, ROUND_HALF_UP) for w in weights[:-1]]
    return [*parts, total - sum(parts, Decimal(0))]


def level1_weights(level1s: list[str], settings: dict) -> dict[str, Decimal]:
    """The points of each 一级 the project has; a 一级 listed in `taken_from` takes its points from another."""
    groups = list(dict.fromkeys(level1s))
    table = settings["level1_points"]
    weights = {g: Decimal(str(table.get(g, 0))) for g in groups}
    for group in groups:
        source = settings["taken_from"].get(group)
        if source in weights:
            weights[source] -= weights[group]
    if sum(weights.values()) <= 0 or any(w < 0 for w in weights.values()):
        return dict.fromkeys(groups, Decimal(1))  # no 一级 the table knows: share evenly
    return weights


def allocate_points(level1s: list[str], settings: dict) -> list[float]:
    """分值 of each indicator (by its 一级, in order): 一级 points scaled to `indicator_points`, split evenly
    within each 一级, to the cent; the last row of each 一级 takes its remainder, so the sum is exact."""
    if not level1s:
        return []
    weights = level1_weights(level1s, settings)
    groups = list(weights)
    group_points = dict(zip(groups, _split(Decimal(str(settings["indicator_points"])),
                                           [weights[g] for g in groups]), strict=True))
    shares: dict[str, list[Decimal]] = {}
    for group in groups:
        count = level1s.count(group)
        shares[group] = _split(group_points[group], [Decimal(1)] * count)
    return [float(shares[level1].pop(0)) for level1 in level1s]


# One indicator ------------------------------------------------------------------------------------


def _base_unit(unit: str) -> tuple[str, float]:
    """A unit without parentheses and its scale: `万元` -> (`元`, 10000), `(%)` -> (`%`, 1)."""
    unit = unicodedata.normalize("NFKC", unit).strip().strip("()")
    for prefix, scale in SCALES:
        if unit.startswith(prefix) and len(unit) > len(prefix):
            return unit[len(prefix):], scale
    return unit, 1.0


def convert(value: float, unit: str, target_unit: str) -> float | None:
    """`value` in `unit` expressed in `target_unit`; None when the two cannot be converted.

    A missing unit on either side is read as the other's (`95` against `≥90%`)."""
    base, scale = _base_unit(unit)
    target_base, target_scale = _base_unit(target_unit)
    if not base or not target_base or (base, scale) == (target_base, target_scale):
        return value
    return value * scale / target_scale if base == target_base else None


def meets(operator: str, actual: float, target: float) -> bool:
    return {"≥": actual >= target, ">": actual > target, "≤": actual <= target, "<": actual < target,
            "=": abs(actual - target) < 1e-9}[operator]


def achieved_share(operator: str, actual: float, target: float) -> float:
    """The share of 分值 an indicator earns: 1 when it meets its target, else the ratio the issue sets."""
    if meets(operator, actual, target):
        return 1.0
    if actual <= 0 or target <= 0:
        return 0.0
    if operator in ("≥", ">"):
        return actual / target
    if operator in ("≤", "<"):
        return target / actual
    return min(actual / target, target / actual)


@dataclass
class Judgement:
    """What the scoring made of one indicator row."""

    score: float
    quantitative: bool
    met: bool | None = None  # None: cannot tell (empty or unreadable actual, no 完成程度)
    actual_value: float | None = None  # in the target's unit
    unconverted: bool = False  # the actual's unit differs from the target's and cannot be converted


def judge(row: Row, settings: dict) -> Judgement:
    """Score one row against its target, as written in the row."""
    points = row.points or 0.0
    target = parse_target(row.target)
    if not target.quantitative:
        share = settings["attainment"].get(row.attainment)
        if share is None:
            return Judgement(0.0, False)
        return Judgement(round2(points * share), False, met=share >= 1)
    actual = parse_target(row.actual) if row.actual else None
    if actual is None or not actual.quantitative:
        return Judgement(0.0, True)
    value = convert(actual.value, actual.unit_of_measure, target.unit_of_measure)
    unconverted = value is None
    value = actual.value if unconverted else value
    share = max(0.0, min(1.0, achieved_share(target.operator, value, target.value)))
    return Judgement(round2(points * share), True, meets(target.operator, value, target.value), value, unconverted)


# One project --------------------------------------------------------------------------------------


@dataclass
class Score:
    """A project's scores: budget, each indicator, total and 等级."""

    execution_rate: float | None
    budget_score: float
    judgements: list[Judgement] = field(default_factory=list)

    @property
    def indicator_score(self) -> float:
        return round2(sum(j.score for j in self.judgements))

    @property
    def total(self) -> float:
        return round2(self.budget_score + self.indicator_score)


def execution_rate(evaluation: SelfEvaluation) -> float | None:
    budget, spent = evaluation.values.get("final_budget"), evaluation.values.get("spent")
    if isinstance(budget, float) and isinstance(spent, float) and budget > 0:
        return spent / budget
    return None


def score(evaluation: SelfEvaluation, settings: dict) -> Score:
    """Score `evaluation`: budget points × min(执行率, 1), plus every indicator's score."""
    rate = execution_rate(evaluation)
    budget_score = round2(settings["budget_points"] * min(rate, 1.0)) if rate is not None else 0.0
    return Score(rate, budget_score, [judge(row, settings) for row in evaluation.rows])


def grade(total: float, settings: dict) -> str:
    """The 等级 of `total`: the first grade whose lowest total it reaches."""
    for name, lowest in settings["grades"].items():
        if total >= lowest:
            return name
    return list(settings["grades"])[-1]
