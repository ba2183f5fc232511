"""Layouts (版式): which official form a workbook follows, described by data (perfxl/layouts/*.toml).

A layout holds everything the reader, the rules, the blank workbook, the Word form and the consolidated
workbook need to know about one form: its fields and labels, the indicator table's columns, the
一级 → 二级 hierarchy, the roles the rules look for (cost, output, satisfaction …), which rules apply and
their thresholds, and the names of its Word template and blank workbook. Every module asks the layout;
none spells a label of its own. A new form is a new layout file plus a Word template.

The files are checked against the structs below with msgspec (strict types, no unknown keys), so a
mistyped key or value in a layout file or in perfxl.toml is reported by name before anything is read.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Literal

import msgspec

from perfxl.core.model import Indicator
from perfxl.core.values import label_key

LAYOUT_LABEL = "版式"  # the row of 项目信息 that marks which layout a workbook follows
INDICATOR_NAMES = ("level1", "level2", "level3", "target")  # the columns every layout's table has
TERM_NAMES = ("一级", "二级", "三级", "指标值")  # what the rule messages call the four columns, in the layout's words
Threshold = Annotated[float, msgspec.Meta(ge=0, le=1_000_000)]
Rate = Annotated[float, msgspec.Meta(ge=0, le=1)]  # a share: 0.9 is 90 %
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
Year = Annotated[int, msgspec.Meta(ge=1900, le=2200)]


class Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of the configuration structs: unknown keys are errors. Each subclass says `frozen=True` again,
    for type checkers (msgspec inherits it, mypy does not)."""


class Thresholds(Strict, frozen=True):
    budget_change_ratio: Threshold  # B07
    execution_rate_floor: Rate  # B08
    satisfaction_floor: Percent  # T08
    amount_tolerance: Threshold  # B09, B10, B11, X03
    percent_ceiling: Threshold  # T17
    bracket_pairs: list[str]  # T09
    cut_off_endings: list[str]  # T09
    complete_words: list[str]  # T09: words that end in one of those endings yet are whole
    placeholders: list[str]  # T13


class FieldSpec(Strict, frozen=True):
    """One labelled field: where it lives and how it is read."""

    name: str
    label: str
    sheet: Literal["项目信息", "预算"]
    kind: Literal["text", "choice", "date", "amount", "year"]
    need: Literal["required", "recommended", "optional"] = "optional"
    aliases: list[str] = []
    choices: str = ""  # the profile list of allowed values, for kind "choice"
    rule: str = ""  # the rule that checks a choice (I03, I04)
    long: bool = False  # a long text: spans the form's row, wraps in the workbook

    def label_keys(self) -> frozenset[str]:
        """The label keys this field is found by: label and aliases, with or without 其中： and （元）."""
        return _label_keys((self.label, *self.aliases))


@functools.cache  # asked for every field of every workbook read; the labels are few and fixed
def _label_keys(labels: tuple[str, ...]) -> frozenset[str]:
    keys = set()
    for label in labels:
        key = label_key(label)
        for variant in (key, key.removeprefix("其中:")):  # label_key has folded a full-width ：
            keys.update({variant, variant.removesuffix("(元)")})
    return frozenset(keys)


class Column(Strict, frozen=True):
    """A column of the indicator table."""

    name: str  # level1, level2, level3, target, note, or a layout's own (e.g. explanation)
    header: str
    aliases: list[str] = []
    optional: bool = False
    in_form: bool = True  # shown in the Word form
    form_header: str = ""  # the Word form's heading when it differs from the workbook's (年度(/项目)指标值)

    def label_keys(self) -> frozenset[str]:
        return _header_keys((self.header, *self.aliases))


@functools.cache  # asked for each header candidate of every workbook read
def _header_keys(headers: tuple[str, ...]) -> frozenset[str]:
    return frozenset(map(label_key, headers))


class Sum(Strict, frozen=True):
    rule: str
    total: str
    parts: list[str]


class Budget(Strict, frozen=True):
    total: str  # the project over all its years
    annual: str  # this year's amount: 预算明细 and cost amounts are compared with it
    sums: list[Sum] = []


class Role(Strict, frozen=True):
    """A kind of indicator the rules look for, by its 一级 or its 二级 name."""

    level1: str = ""
    level2: str = ""
    requires: list[str] = []  # 二级 the role's 一级 should all carry (T06)


class StandardIndicator(Strict, frozen=True):
    level1: str
    level2: str
    target: str


class Profile(Strict, frozen=True):
    hierarchy: dict[str, list[str]]
    synonyms: dict[str, str] = {}
    standard_indicators: dict[str, StandardIndicator] = {}
    categories: list[str] = []
    natures: list[str] = []
    multi_year_categories: list[str] = []
    recurring_categories: list[str] = []
    gov_procurement_choices: list[str] = []


class Roll(Strict, frozen=True):
    """What `--year` does to this year's figures when a form is rolled into a new year."""

    copy: dict[str, str] = {}  # field -> the field whose value it takes (上年预算额 <- 当年预算)
    clear: list[str] = []  # fields the new year does not know: left empty, highlighted, commented
    note: str = ""  # the comment on each cleared cell: what to write


class Review(Strict, frozen=True):
    value: str  # the default written
    note: str  # the comment: what to check


class Migration(Strict, frozen=True):
    """How a workbook of another layout becomes one of this layout (perfxl migrate)."""

    fields: dict[str, str]  # this layout's field -> the source layout's field it is copied from
    zero: list[str] = []  # amounts the source form does not know of (other sources of funds): 0
    values: dict[str, dict[str, str]] = {}  # field -> {source value -> value}, for a copied choice
    review: dict[str, Review] = {}  # field -> a default written for a person to check
    fill: dict[str, str] = {}  # field -> what a person must write (left empty, highlighted)
    indicators: dict[str, str] = {}  # source "一级" or "一级/二级" -> this layout's "一级/二级"
    dropped: list[str] = []  # source 一级 with no place in this layout
    required: dict[str, str] = {}  # "一级/二级" every project needs -> what to write when it has none


class Migrations(Strict, frozen=True):
    from_: dict[str, Migration] = msgspec.field(default_factory=dict, name="from")


class SelfEvalPoints(Strict, frozen=True):
    """The year-end self-evaluation's points per 一级 of this layout (perfxl selfeval)."""

    level1_points: dict[str, Percent] = {}
    taken_from: dict[str, str] = {}  # 一级 -> the 一级 whose points it takes, when the project has it


class Layout(Strict, frozen=True):
    name: str
    title: str
    description: str
    years: tuple[Year, Year]
    form_template: str
    workbook_template: str
    rules: list[str]
    guide: list[str]
    fields: list[FieldSpec]
    columns: list[Column]
    budget: Budget
    roles: dict[str, Role]
    profile: Profile
    thresholds: Thresholds
    amount_decimals: Annotated[int, msgspec.Meta(ge=0, le=6)] = 0
    form_body: str = ""  # the built-in Word body perfxl writes the template with (default: the layout's name)
    goal_span: bool = True  # the form heads the overall goal with the plan period, `(2024 年-2026 年)`
    roll: Roll = Roll()
    migrate: Migrations = Migrations()
    selfeval: SelfEvalPoints = SelfEvalPoints()
    source: str = ""  # the file it was read from, for messages

    # --- fields ---------------------------------------------------------------------------------

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    def fields_on(self, sheet: str) -> list[FieldSpec]:
        return [f for f in self.fields if f.sheet == sheet]

    def label(self, name: str) -> str:
        """A field's label as a sentence names it: without the （元） of its column."""
        return self.field(name).label.removesuffix("（元）")

    def choices(self, spec: FieldSpec) -> list[str]:
        return getattr(self.profile, spec.choices) if spec.choices else []

    # --- indicators -----------------------------------------------------------------------------

    @property
    def hierarchy(self) -> dict[str, list[str]]:
        return self.profile.hierarchy

    def level2_names(self) -> list[str]:
        return list(dict.fromkeys(n for names in self.hierarchy.values() for n in names))

    def is_role(self, indicator: Indicator, role: str) -> bool:
        """Whether `indicator` plays `role` (cost, output, effect, satisfaction) in this layout."""
        spec = self.roles.get(role)
        if spec is None:
            return False
        return (indicator.level1 == spec.level1) if spec.level1 else (indicator.level2 == spec.level2)

    def role_name(self, role: str) -> str:
        """The 一级 (or 二级) name of `role`, as messages show it."""
        spec = self.roles.get(role)
        return "" if spec is None else spec.level1 or spec.level2

    def has_levels(self, path: str) -> bool:
        """Whether `path`, "一级" or "一级/二级", names a 一级 (and one of its 二级) of this layout."""
        level1, _, level2 = path.partition("/")
        return level1 in self.hierarchy and (not level2 or level2 in self.hierarchy[level1])

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def terms(self) -> dict[str, str]:
        """The layout's words for the indicator table's parts, as its headers name them (一级指标 or 一级目标,
        指标值 or 指标目标值): the placeholders {一级} {二级} {三级} {指标值} of the rule messages."""
        return dict(zip(TERM_NAMES, (c.header for c in self.columns[:4]), strict=True))

    @property
    def body(self) -> str:
        """The built-in Word body of this layout's form."""
        return self.form_body or self.name

    # --- recognising a workbook -------------------------------------------------------------------

    def applies(self, rule: str) -> bool:
        return rule in self.rules

    def current(self, today: dt.date | None = None) -> bool:
        year = (today or dt.date.today()).year
        return self.years[0] <= year <= self.years[1]

    def recognition_keys(self) -> frozenset[str]:
        """What in a workbook says it follows this layout: its field labels as it prints them (an alias, such
        as 上海2026's 项目总目标, is another layout's label), its 一级 and its 二级 names."""
        return _recognition_keys(tuple(f.label for f in self.fields), tuple(self.hierarchy), tuple(self.level2_names()))


@functools.cache  # asked for every layout for each workbook without a 版式 row
def _recognition_keys(labels: tuple[str, ...], level1_names: tuple[str, ...],
                      level2_names: tuple[str, ...]) -> frozenset[str]:
    return frozenset().union(*(_label_keys((label,)) for label in labels), map(label_key, level1_names),
                             map(label_key, level2_names))


def check_layout(layout: Layout, rule_ids: set[str]) -> list[str]:
    """What in a well-typed layout still does not fit together, as (key, problem) messages."""
    problems = []
    names = [c.name for c in layout.columns]
    if names[:4] != list(INDICATOR_NAMES):
        problems.append(f"columns：前四列应为 {'、'.join(INDICATOR_NAMES)}（一级、二级、三级、指标值）")
    for rule in layout.rules:
        if rule not in rule_ids:
            problems.append(f"rules：没有编号为 {rule} 的规则")
    fields = {f.name for f in layout.fields}
    wanted = [layout.budget.total, layout.budget.annual, *(n for s in layout.budget.sums for n in (s.total, *s.parts))]
    problems += [f"budget：字段「{name}」不在 fields 中" for name in wanted if name not in fields]
    for spec in layout.fields:
        if spec.kind == "choice" and not isinstance(getattr(layout.profile, spec.choices, None), list):
            problems.append(f"fields.{spec.name}.choices：profile 中没有列表「{spec.choices}」")
    for role, named in layout.roles.items():
        if not (named.level1 or named.level2):
            problems.append(f"roles.{role}：须写明 level1 或 level2")
    problems += [f"roll：字段「{name}」不在 fields 中"
                 for name in [*layout.roll.clear, *layout.roll.copy, *layout.roll.copy.values()] if name not in fields]
    for name in ("year", "project_name", "unit"):
        if name not in fields:
            problems.append(f"fields：缺少字段 {name}（年度、项目名称、单位每个版式都要有）")
    return problems


def check_migrations(layouts: dict[str, Layout], lists: bool = False) -> list[str]:
    """What in the layouts' [migrate.from."…"] tables names an unknown layout or field; with `lists`, also
    a value, 一级 or 二级 missing from the lists (which perfxl.toml may change: checked when migrating)."""
    problems = []
    for layout in layouts.values():
        for source_name, migration in layout.migrate.from_.items():
            where = f"版式「{layout.name}」migrate.from.{source_name}"
            source = layouts.get(source_name)
            if source is None:
                problems.append(f"{where}：没有版式「{source_name}」")
                continue
            found = _migration_problems(migration, source, layout)
            if lists:
                found += _migration_list_problems(migration, source, layout)
            problems += [f"{where}：{p}" for p in found]
    return problems


def _migration_problems(migration: Migration, source: Layout, target: Layout) -> list[str]:
    own, theirs = {f.name for f in target.fields}, {f.name for f in source.fields}
    named = [*migration.fields, *migration.zero, *migration.values, *migration.review, *migration.fill]
    problems = [f"字段「{name}」不在本版式的 fields 中" for name in named if name not in own]
    problems += [f"fields.{name}：「{was}」不在 {source.name} 的 fields 中"
                 for name, was in migration.fields.items() if was not in theirs]
    return problems


def _migration_list_problems(migration: Migration, source: Layout, target: Layout) -> list[str]:
    own = {f.name for f in target.fields}
    problems = []
    for name, mapping in migration.values.items():
        allowed = target.choices(target.field(name)) if name in own else []
        problems += [f"values.{name}：「{value}」不在可选值中" for value in mapping.values() if value not in allowed]
    problems += [f"indicators：「{path}」不是 {source.name} 的一级/二级" for path in migration.indicators
                 if not source.has_levels(path)]
    problems += [f"indicators：「{path}」不是本版式的一级/二级" for path in
                 [*migration.indicators.values(), *migration.required] if "/" not in path or not target.has_levels(path)]
    problems += [f"dropped：「{name}」不是 {source.name} 的一级" for name in migration.dropped
                 if name not in source.hierarchy]
    return problems
