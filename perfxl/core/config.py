"""Configuration: the shipped defaults.toml and layout files, overridden by an optional perfxl.toml.

Everything is checked before any workbook is read: types and keys by msgspec structs, then what must
fit together (rule ids, a layout's own references). A problem is a ConfigError naming the key.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import msgspec

from perfxl.core.catalogue import CATALOGUE
from perfxl.core.errors import PerfxlError
from perfxl.core.layout import Layout, Strict, Thresholds, check_layout, check_migrations
from perfxl.core.model import SEVERITIES
from perfxl.core.paths import TEMPLATES_DIR
from perfxl.core.text import TextFileError, read_text

DEFAULT_NAME = "perfxl.toml"
# Tables whose keys are the user's own (goal names, words, grades): an override replaces them whole.
OPEN_TABLES = {"hierarchy", "standard_indicators", "synonyms", "grades", "attainment", "level1_points",
               "taken_from"}
# Keys that take one text or a list of texts.
TEXT_OR_LIST = {"to", "cc"}
Positive = Annotated[int, msgspec.Meta(ge=1)]
Points = Annotated[float, msgspec.Meta(ge=0, le=100)]
Ratio = Annotated[float, msgspec.Meta(ge=0, le=1)]


class ConfigError(PerfxlError):
    """The configuration cannot be used; the message names the key and what to do."""


class Limits(Strict):
    max_unzipped_mb: Annotated[int, msgspec.Meta(ge=1, le=16384)]
    max_sheet_cells: Annotated[int, msgspec.Meta(ge=1, le=2**20 * 2**14)]  # Excel's rows × columns
    max_cell_chars: Annotated[int, msgspec.Meta(ge=1, le=32767)]  # Excel's limit for one cell
    max_word_mb: Annotated[int, msgspec.Meta(ge=1, le=1024)]
    max_word_cells: Annotated[int, msgspec.Meta(ge=100, le=10_000_000)]
    max_forms_per_document: Annotated[int, msgspec.Meta(ge=1, le=100_000)]


class RuleSettings(Strict):
    severity: dict[str, str] = {}  # values checked by _check_rules, which names the rule
    disabled: list[str] = []


class LayoutSettings(Strict):
    default: str
    files: list[str] = []


class Mail(msgspec.Struct, forbid_unknown_fields=True):
    # Types only: what the values mean (addresses, ports) is checked by perfxl mail when it needs them.
    from_: str = msgspec.field(name="from")
    to: list[str]
    cc: list[str]
    host: str
    port: int  # its range is checked by perfxl mail, with the other server settings
    security: str
    user: str
    contact: str
    max_message_mb: Annotated[float, msgspec.Meta(gt=0, le=1024)]
    attach_report: bool
    timeout_seconds: Annotated[float, msgspec.Meta(le=86400)]  # > 0 checked by perfxl mail
    group_by: str = "主管部门"  # 主管部门 | 实施单位: one message per which, for layouts with a 主管部门
    sender: str = ""  # the signature; empty: the 主管部门 (or unit) the message is for


class SelfEvalSettings(Strict):
    budget_points: Points
    indicator_points: Annotated[float, msgspec.Meta(gt=0, le=100)]
    execution_rate_floor: Ratio
    overshoot_ratio: Annotated[float, msgspec.Meta(gt=0, le=1000)]
    grades: dict[str, Points]
    attainment: dict[str, Ratio]


class Pdf(Strict):
    soffice: str  # the LibreOffice program; empty: looked up (perfxl.io.office)


class Settings(Strict):
    """perfxl.toml's (and defaults.toml's) top level."""

    thresholds: Thresholds
    limits: Limits
    rules: RuleSettings
    mail: Mail
    layouts: LayoutSettings
    selfeval: SelfEvalSettings
    pdf: Pdf
    profile: dict[str, Any] = {}  # overrides of the 上海2020 layout's profile, as before layouts
    layout: dict[str, dict[str, Any]] = {}  # layout name -> overrides of any of its keys


@dataclass(frozen=True)
class Config:
    limits: dict[str, Any]
    rules: dict[str, Any]
    mail: dict[str, Any]
    layouts: dict[str, Layout]
    default_layout: str
    folder: Path  # where the configuration in use lives: templates/ is looked up beside it
    selfeval: dict[str, Any] = field(default_factory=dict)  # year-end scoring ([selfeval]), see selfeval_settings
    pdf: dict[str, Any] = field(default_factory=lambda: {"soffice": ""})

    def layout(self, name: str | None = None) -> Layout:
        """The layout called `name` (the default layout when None)."""
        return self.layouts[name or self.default_layout]

    def selfeval_settings(self, name: str) -> dict[str, Any]:
        """The self-evaluation's scoring for projects of layout `name`: [selfeval] and the layout's points."""
        return {**self.selfeval, **msgspec.to_builtins(self.layout(name).selfeval)}

    @property
    def templates(self) -> Path:
        return self.folder / TEMPLATES_DIR


MAX_DEPTH = 16  # the deepest table in defaults.toml and the layout files is 5 levels down


def _toml(path: Path, what: str) -> dict[str, Any]:
    """The TOML file at `path`, read as a user's text file (regular, bounded, BOM or not, UTF-8), its
    numbers finite and its tables not nested past MAX_DEPTH; any problem one ConfigError with its line."""
    try:
        text = read_text(Path(path), what)
    except TextFileError as error:
        raise ConfigError(str(error)) from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        place = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line = f"第 {place.group(1)} 行第 {place.group(2)} 列" if place else "中"
        reason = re.sub(r" ?\(at (line \d+, column \d+|end of document)\)", "", str(error))
        raise ConfigError(f"{what} {path} {line}格式有误（{reason}）：请按 TOML 格式改正，"
                          "例如 键 = 值、文字加英文引号、表名写在 [ ] 中") from error
    except RecursionError as error:
        raise ConfigError(f"{what} {path} 中的表或列表嵌套过深：请删除多余的 {{ }} 或 [ ]") from error
    _check_values(data, f"{what} {path}")
    return data


def _check_values(data: Any, name: str, key: str = "", depth: int = 0) -> None:
    """Every number finite (TOML allows nan and inf) and no table or list nested past MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise ConfigError(f"{name} 中的配置项「{key}」嵌套超过 {MAX_DEPTH} 层：请删除多余的 {{ }} 或 [ ]")
    if isinstance(data, float) and not math.isfinite(data):
        raise ConfigError(f"{name} 中配置项「{key}」的值 {data} 不是有限的数：请写一个普通的数，例如 30 或 0.5")
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for inner, value in items:
        _check_values(value, name, f"{key}.{inner}" if key and isinstance(inner, str) else
                      f"{key}[{inner}]" if key else str(inner), depth + 1)


def _merge(base: dict, override: dict) -> dict:
    """`override` laid over `base`: tables merged key by key, except the user's own (OPEN_TABLES)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key not in OPEN_TABLES:
            merged[key] = _merge(base[key], value)
        elif key in TEXT_OR_LIST and isinstance(value, str):
            merged[key] = [value]
        else:
            merged[key] = value
    return merged


_TYPES = {"float": "数", "int": "整数", "str": "文字", "array": "列表", "object": "表（[…] 或 { … }）",
          "bool": "true 或 false"}


_BOUNDS = {">=": "不小于", "<=": "不大于", ">": "大于", "<": "小于"}


def _problem(error: msgspec.ValidationError, where: str) -> ConfigError:
    """A msgspec message (`Expected `float`, got `str` - at `$.thresholds.x``) as a Chinese one."""
    text = str(error)
    path = re.search(r" - at `\$\.?(.*)`$", text)
    key = ".".join(p for p in (where, path.group(1) if path else "") if p).replace("[...]", "")
    if unknown := re.match(r"Object contains unknown field `(.*?)`", text):
        key = ".".join(p for p in (key, unknown.group(1)) if p)
        return ConfigError(f"配置项「{key}」无法识别：请检查拼写，可用的键见 perfxl/defaults.toml 和 perfxl/layouts/")
    if missing := re.match(r"Object missing required field `(.*?)`", text):
        return ConfigError(f"配置项「{'.'.join(p for p in (key, missing.group(1)) if p)}」缺失")
    reason = re.sub(r" - at `.*`$", "", text)
    reason = re.sub(r"Expected `(\w+)`, got `(\w+)`",
                    lambda m: f"应为{_TYPES.get(m.group(1), m.group(1))}，实际是{_TYPES.get(m.group(2), m.group(2))}",
                    reason)
    reason = re.sub(r"Expected `(\w+)` (>=|<=|>|<) (\S+)",
                    lambda m: f"应为{_BOUNDS[m.group(2)]} {m.group(3).removesuffix('.0')} 的{_TYPES.get(m.group(1), m.group(1))}", reason)
    reason = reason.replace("Integer value out of range", "整数超出范围")
    return ConfigError(f"配置项「{key}」的值有误：{reason}")


def _convert(data: Any, kind: type, where: str = "") -> Any:
    try:
        return msgspec.convert(data, kind, strict=True)
    except msgspec.ValidationError as error:
        raise _problem(error, where) from error


def _layout(raw: dict, defaults: dict, user: dict, source: str) -> Layout:
    """A layout file's table with perfxl.toml's overrides laid over it, checked.

    Thresholds: defaults.toml, then the layout file's, then perfxl.toml's [thresholds], then its
    [layout."name".thresholds]."""
    name = raw.get("name", "")
    raw = dict(raw, source=source)
    raw["thresholds"] = {**defaults["thresholds"], **raw.get("thresholds", {}), **user.get("thresholds", {})}
    profile = user.get("profile") if name == "上海2020" else None
    if profile:
        raw = _merge(raw, {"profile": profile})
    override = user.get("layout", {}).get(name, {})
    raw = _merge(raw, override)
    try:
        layout = _convert(raw, Layout, f"layout.{name}" if override else "")
    except ConfigError as error:  # say which file: a unit may have layout files of its own
        also = "，以及 perfxl.toml 中对它的设置" if profile or override else ""
        raise ConfigError(f"版式「{name}」（{source}{also}）：{error}") from error
    _check_template_names(layout, f"layout.{name}" if override else "", source)
    problems = check_layout(layout, set(CATALOGUE))
    if problems:
        raise ConfigError(f"版式「{name}」（{source}）有误：" + "；".join(problems))
    return layout


TEMPLATE_SUFFIXES = {"form_template": ".docx", "workbook_template": ".xlsx"}


def _check_template_names(layout: Layout, where: str, source: str) -> None:
    """A template is a plain file name, looked up in templates/ (or built in): never a path, so that
    `make template` cannot write outside the project."""
    for key, suffix in TEMPLATE_SUFFIXES.items():
        name = getattr(layout, key)
        plain = (name not in ("", ".", "..") and not re.search(r'[\\/:*?"<>|\x00-\x1f]', name)
                 and name == name.strip() and name.lower().endswith(suffix))
        if not plain:
            full = ".".join(p for p in (where, key) if p)
            raise ConfigError(f"版式「{layout.name}」（{source}）的配置项「{full}」的值「{name}」无效：应为 templates 文件夹中的"
                              f"一个文件名（以 {suffix} 结尾，不含路径或盘符）")


def _layout_files(settings: dict, folder: Path) -> list[tuple[dict, str]]:
    shipped = resources.files("perfxl").joinpath("layouts")
    found = [(_toml(Path(str(f)), "版式文件"), f"perfxl/layouts/{f.name}")
             for f in sorted(shipped.iterdir(), key=lambda f: f.name) if f.name.endswith(".toml")]
    for file in settings["layouts"]["files"]:
        path = folder / file
        found.append((_toml(path, "版式文件"), str(path)))
    return found


def _check_rules(rules: dict[str, Any]) -> None:
    for rule, severity in rules["severity"].items():
        if rule not in CATALOGUE:
            raise ConfigError(f"配置项「rules.severity.{rule}」：没有编号为 {rule} 的规则")
        if severity not in SEVERITIES:
            raise ConfigError(f"配置项「rules.severity.{rule}」的值「{severity}」应为 错误、警告 或 提示")
    for rule in rules["disabled"]:
        if rule not in CATALOGUE:
            raise ConfigError(f"配置项「rules.disabled」：没有编号为 {rule} 的规则")


def load_config(path: Path | None = None) -> Config:
    """Defaults and layouts, overridden by `path` or, when None, by ./perfxl.toml if it exists."""
    if path is None and Path(DEFAULT_NAME).is_file():
        path = Path(DEFAULT_NAME)
    if path is None:
        return _build({}, Path.cwd())
    user = _toml(path, "配置文件")
    try:
        return _build(user, Path(path).resolve().parent)
    except ConfigError as error:  # a value of the user's file: say which file holds it
        if str(path) in str(error):
            raise
        raise ConfigError(f"配置文件 {path} 中{error}") from error


@functools.cache
def shipped_layout(name: str) -> Layout:
    """A layout as perfxl ships it, without any perfxl.toml (for writing workbooks of a fixed form)."""
    return _build({}, Path.cwd()).layout(name)


def _build(user: dict[str, Any], folder: Path) -> Config:
    data = tomllib.loads(resources.files("perfxl").joinpath("defaults.toml").read_text(encoding="utf-8"))
    plain = msgspec.to_builtins(_convert(_merge(data, user), Settings))
    _check_rules(plain["rules"])
    layouts = {}
    for raw, source in _layout_files(plain, folder):
        layout = _layout(raw, data, user, source)
        if layout.name in layouts:
            raise ConfigError(f"版式「{layout.name}」定义了两次（{layouts[layout.name].source}、{source}）")
        layouts[layout.name] = layout
    if problems := check_migrations(layouts):
        raise ConfigError("；".join(problems))
    unknown = (set(plain["layout"]) - set(layouts)) | ({plain["layouts"]["default"]} - set(layouts))
    if unknown:
        raise ConfigError(f"所写的版式「{'、'.join(sorted(unknown))}」不存在；可用的版式：{'、'.join(layouts)}")
    return Config(limits=plain["limits"], rules=plain["rules"], mail=plain["mail"],
                  layouts=layouts, default_layout=plain["layouts"]["default"], folder=folder,
                  selfeval=plain["selfeval"], pdf=plain["pdf"])
