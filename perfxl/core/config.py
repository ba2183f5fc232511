"""Configuration: the shipped defaults.toml and layout files, overridden by an optional perfxl.toml.

Everything is checked before any workbook is read: types and keys by msgspec structs, then what must
fit together (rule ids, a layout's own references). A problem is a ConfigError naming the key.
"""

from __future__ import annotations

import functools
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

DEFAULT_NAME = "perfxl.toml"
# Tables whose keys are the user's own (goal names, words, grades): an override replaces them whole.
OPEN_TABLES = {"hierarchy", "standard_indicators", "synonyms", "grades", "attainment", "level1_points",
               "taken_from"}
# Keys that take one text or a list of texts.
TEXT_OR_LIST = {"to", "cc"}
Positive = Annotated[int, msgspec.Meta(ge=1)]


class ConfigError(PerfxlError):
    """The configuration cannot be used; the message names the key and what to do."""


class Limits(Strict):
    max_unzipped_mb: Positive
    max_sheet_cells: Positive
    max_cell_chars: Positive


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
    port: int
    security: str
    user: str
    contact: str
    max_message_mb: float
    attach_report: bool
    timeout_seconds: float
    group_by: str = "主管部门"  # 主管部门 | 实施单位: one message per which, for layouts with a 主管部门
    sender: str = ""  # the signature; empty: the 主管部门 (or unit) the message is for


class SelfEvalSettings(Strict):
    budget_points: Annotated[float, msgspec.Meta(ge=0)]
    indicator_points: Annotated[float, msgspec.Meta(gt=0)]
    execution_rate_floor: Annotated[float, msgspec.Meta(ge=0)]
    overshoot_ratio: Annotated[float, msgspec.Meta(gt=0)]
    grades: dict[str, Annotated[float, msgspec.Meta(ge=0)]]
    attainment: dict[str, Annotated[float, msgspec.Meta(ge=0, le=1)]]


class Settings(Strict):
    """perfxl.toml's (and defaults.toml's) top level."""

    thresholds: Thresholds
    limits: Limits
    rules: RuleSettings
    mail: Mail
    layouts: LayoutSettings
    selfeval: SelfEvalSettings
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

    def layout(self, name: str | None = None) -> Layout:
        """The layout called `name` (the default layout when None)."""
        return self.layouts[name or self.default_layout]

    def selfeval_settings(self, name: str) -> dict[str, Any]:
        """The self-evaluation's scoring for projects of layout `name`: [selfeval] and the layout's points."""
        return {**self.selfeval, **msgspec.to_builtins(self.layout(name).selfeval)}

    @property
    def templates(self) -> Path:
        return self.folder / TEMPLATES_DIR


def _toml(path: Path, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"无法读取{what} {path}：{error.strerror}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{what} {path} 格式有误：{error}") from error


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
    reason = re.sub(r"Expected `(\w+)` >= (\S+)", lambda m: f"应为不小于 {m.group(2)} 的{_TYPES.get(m.group(1))}",
                    reason)
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
    problems = check_layout(layout, set(CATALOGUE))
    if problems:
        raise ConfigError(f"版式「{name}」（{source}）有误：" + "；".join(problems))
    return layout


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
    return _build(_toml(path, "配置文件"), Path(path).resolve().parent)


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
        raise ConfigError(f"配置中的版式「{'、'.join(sorted(unknown))}」不存在；可用的版式：{'、'.join(layouts)}")
    return Config(limits=plain["limits"], rules=plain["rules"], mail=plain["mail"],
                  layouts=layouts, default_layout=plain["layouts"]["default"], folder=folder,
                  selfeval=plain["selfeval"])
