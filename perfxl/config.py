"""Configuration: the shipped defaults.toml, overridden by an optional perfxl.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .catalogue import CATALOGUE
from .model import SEVERITIES

DEFAULT_NAME = "perfxl.toml"
# Tables whose keys are the user's own (names of goals, rules …): replaced whole, not checked key by key.
OPEN_TABLES = {"profile.hierarchy", "profile.standard_indicators", "profile.synonyms", "rules.severity",
               "selfeval.grades", "selfeval.attainment", "selfeval.level1_points", "selfeval.taken_from"}
# Keys that take one text or a list of texts.
TEXT_OR_LIST = {"mail.to", "mail.cc"}


class ConfigError(Exception):
    """The configuration file cannot be used; the message names the key and what to do."""


@dataclass(frozen=True)
class Config:
    profile: dict[str, Any]
    thresholds: dict[str, Any]
    limits: dict[str, Any]
    rules: dict[str, Any]
    mail: dict[str, Any]
    selfeval: dict[str, Any]

    @property
    def hierarchy(self) -> dict[str, list[str]]:
        return self.profile["hierarchy"]


def _defaults() -> dict[str, Any]:
    return tomllib.loads(resources.files("perfxl").joinpath("defaults.toml").read_text(encoding="utf-8"))


def _merge(base: dict, override: dict, path: str = "") -> dict:
    merged = dict(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if key not in base:
            raise ConfigError(f"配置项「{where}」无法识别：请检查拼写，可用的键见 perfxl/defaults.toml")
        default = base[key]
        if isinstance(default, dict) and where not in OPEN_TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"配置项「{where}」应为一个表（[{where}]）")
            merged[key] = _merge(default, value, f"{where}.")
        elif where in TEXT_OR_LIST and isinstance(value, str | list):
            merged[key] = [value] if isinstance(value, str) else value
        elif type(value) is not type(default) and not (isinstance(default, float) and isinstance(value, int)):
            raise ConfigError(f"配置项「{where}」的值 {value!r} 类型不对，应与默认值 {default!r} 同类")
        else:
            merged[key] = value
    return merged


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
    """Defaults, overridden by `path` or, when None, by ./perfxl.toml if it exists."""
    data = _defaults()
    if path is None and Path(DEFAULT_NAME).is_file():
        path = Path(DEFAULT_NAME)
    if path is not None:
        try:
            override = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError(f"无法读取配置文件 {path}：{error.strerror}") from error
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"配置文件 {path} 格式有误：{error}") from error
        data = _merge(data, override)
    _check_rules(data["rules"])
    return Config(**{key: data[key] for key in ("profile", "thresholds", "limits", "rules", "mail",
                                                  "selfeval")})
