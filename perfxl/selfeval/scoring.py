"""Year-end self-evaluation (绩效自评): 分值 per indicator, the scoring of one indicator and of a project.

All numbers come from the `[selfeval]` table of the configuration (defaults.toml). Every number is a
`Decimal`: scores are rounded to two decimals half up, as a person does on paper, and the total is the sum
of the printed parts, so that the 自评表 adds up when recomputed; 分值 are split so that they add up to
the configured total exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from perfxl.core.quantity import base_unit, parse_target
from perfxl.core.values import CENT, decimal_of, round2
from perfxl.selfeval.book import Row, SelfEvaluation

ZERO, ONE = Decimal(0), Decimal(1)


def _split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` shared by `weights`, each to the cent, the last part taking the remainder."""
    whole = sum(weights)
    parts = [(total * w / whole).quantize(CENT, ROUND_HALF_UP) for w in weights[:-1]]
    return [*parts, total - sum(parts, Decimal(0))]


def level1_weights(level1s: list[str], settings: dict) -> dict[str, Decimal]:
    """The points of each 一级 the project has; a 一级 listed in `taken_from` takes its points from another."""
    groups = list(dict.fromkeys(level1s))
    table = settings["level1_points"]
    weights = {g: decimal_of(table.get(g, 0)) for g in groups}
    for group in groups:
        source = settings["taken_from"].get(group)
        if source in weights:
            weights[source] -= weights[group]
    if sum(weights.values()) <= 0 or any(w < 0 for w in weights.values()):
        return dict.fromkeys(groups, Decimal(1))  # no 一级 the table knows: share evenly
    return weights


def allocate_points(level1s: list[str], settings: dict) -> list[Decimal]:
    """分值 of each indicator (by its 一级, in order): 一级 points scaled to `indicator_points`, split evenly
    within each 一级, to the cent; the last row of each 一级 takes its remainder, so the sum is exact."""
    if not level1s:
        return []
    weights = level1_weights(level1s, settings)
    groups = list(weights)
    group_points = dict(zip(groups, _split(decimal_of(settings["indicator_points"]),
                                           [weights[g] for g in groups]), strict=True))
    shares: dict[str, list[Decimal]] = {}
    for group in groups:
        count = level1s.count(group)
        shares[group] = _split(group_points[group], [Decimal(1)] * count)
    return [shares[level1].pop(0) for level1 in level1s]


# One indicator ------------------------------------------------------------------------------------


def convert(value: Decimal, unit: str, target_unit: str) -> Decimal | None:
    """`value` in `unit` expressed in `target_unit` (万元 and 元, ‰ and %, 万人次 and 人次); None when the two
    cannot be converted. A scale without a unit (`3.2万`) takes the other side's unit; so does a missing unit
    (`95` against `≥90%`), which the caller reports (E03)."""
    base, scale = base_unit(unit)
    target_base, target_scale = base_unit(target_unit)
    if not unit or not target_unit:
        return value * scale / target_scale
    if base == target_base or not base or not target_base:
        return value * scale / target_scale
    return None


def meets(operator: str, actual: Decimal, target: Decimal) -> bool:
    return {"≥": actual >= target, ">": actual > target, "≤": actual <= target, "<": actual < target,
            "=": actual == target}[operator]


def achieved_share(operator: str, actual: Decimal, target: Decimal) -> Decimal:
    """The share of 分值 an indicator earns: 1 when it meets its target, else the ratio the issue sets."""
    if meets(operator, actual, target):
        return ONE
    if actual <= 0 or target <= 0:
        return ZERO
    if operator in ("≥", ">"):
        return actual / target
    if operator in ("≤", "<"):
        return target / actual
    return min(actual / target, target / actual)


@dataclass
class Judgement:
    """What the scoring made of one indicator row."""

    score: Decimal
    quantitative: bool
    met: bool | None = None  # None: cannot tell (empty or unreadable actual, no 完成程度)
    actual_value: Decimal | None = None  # in the target's unit
    unconverted: bool = False  # the actual's unit differs from the target's and cannot be converted
    assumed_unit: bool = False  # the actual has no unit; it was read in the target's


def judge(row: Row, settings: dict) -> Judgement:
    """Score one row against its target, as written in the row."""
    points = row.points or ZERO
    target = parse_target(row.target)
    if not target.quantitative:
        share = settings["attainment"].get(row.attainment)
        share = None if share is None else decimal_of(share)
        if share is None:
            return Judgement(ZERO, False)
        return Judgement(round2(points * share), False, met=share >= 1)
    actual = parse_target(row.actual) if row.actual else None
    if actual is None or actual.value is None or target.value is None:
        return Judgement(ZERO, True)
    converted = convert(actual.value, actual.unit_of_measure, target.unit_of_measure)
    unconverted = converted is None
    value = actual.value if converted is None else converted
    share = max(ZERO, min(ONE, achieved_share(target.operator, value, target.value)))
    assumed = not actual.unit_of_measure and bool(target.unit_of_measure)
    return Judgement(round2(points * share), True, meets(target.operator, value, target.value), value, unconverted,
                     assumed)


# One project --------------------------------------------------------------------------------------


@dataclass
class Score:
    """A project's scores: budget, each indicator, total and 等级."""

    execution_rate: Decimal | None
    budget_score: Decimal
    judgements: list[Judgement] = field(default_factory=list)

    @property
    def indicator_score(self) -> Decimal:
        """The sum of the indicators' scores as printed (each already to the cent)."""
        return sum((j.score for j in self.judgements), ZERO)

    @property
    def total(self) -> Decimal:
        """预算执行得分 + 指标得分, both as printed: the 自评表's total adds up on paper."""
        return self.budget_score + self.indicator_score


def execution_rate(evaluation: SelfEvaluation) -> Decimal | None:
    """全年执行数 ÷ 全年预算数, exact; None when either is unknown or the budget is not above 0."""
    budget, spent = evaluation.values.get("final_budget"), evaluation.values.get("spent")
    if isinstance(budget, Decimal) and isinstance(spent, Decimal) and budget > 0:
        return spent / budget
    return None


def score(evaluation: SelfEvaluation, settings: dict) -> Score:
    """Score `evaluation`: budget points × min(执行率, 1), plus every indicator's score."""
    rate = execution_rate(evaluation)
    points = decimal_of(settings["budget_points"])
    budget_score = round2(points * min(rate, ONE)) if rate is not None else ZERO
    return Score(rate, budget_score, [judge(row, settings) for row in evaluation.rows])


def grade(total: Decimal, settings: dict) -> str:
    """The 等级 of `total`: the first grade whose lowest total it reaches."""
    for name, lowest in settings["grades"].items():
        if total >= decimal_of(lowest):
            return name
    return list(settings["grades"])[-1]
