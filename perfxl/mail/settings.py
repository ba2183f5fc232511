"""The [mail] settings checked for what they mean (addresses, server, grouping), before a batch runs."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re

from perfxl.core.values import visible
from perfxl.mail.items import BY_DEPARTMENT, GROUP_BY, MailSettingsError

PASSWORD_VARIABLE = "PERFXL_SMTP_PASSWORD"
HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+")


def text_problem(value: object) -> str:
    if not isinstance(value, str):
        return "不是文字（请加引号）"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "含有换行等控制字符"
    if not value.isascii():
        return "含有中文等非 ASCII 字符，邮件服务器不接受：请改用英文地址或账号（中文域名请写成 xn-- 开头的形式）"
    return ""


def _address_problem(value: object) -> str:
    return text_problem(value) or ("" if ADDRESS.fullmatch(str(value)) else "不是邮件地址（应形如 name@example.com）")


def _host_problem(host: str) -> str:
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return ""
    return text_problem(host) or ("" if HOST_NAME.fullmatch(host) else "不是有效的服务器名称（应形如 smtp.example.com）")


def _draft_problems(settings: dict) -> list[str]:
    """What the drafts already need: well-formed addresses, a known grouping, a one-line sender."""
    addresses = [("from", settings["from"])] if settings["from"] else []
    addresses += [(key, value) for key in ("to", "cc") for value in settings[key]]
    problems = [f"[mail] {key} 的「{visible(value)}」{problem}" for key, value in addresses
                if (problem := _address_problem(value))]
    group_by = settings.get("group_by", BY_DEPARTMENT)
    if group_by not in GROUP_BY:
        problems.append(f"[mail] group_by 应为 {' 或 '.join(GROUP_BY)}，而不是「{visible(group_by)}」")
    sender = settings.get("sender", "")
    if not isinstance(sender, str) or any(ord(c) < 32 for c in sender):
        problems.append(f"[mail] sender 的「{visible(sender)}」应为一行文字（落款，例如 某某区卫生健康委员会财务科）")
    return problems


def _server_problems(settings: dict) -> list[str]:
    missing = [key for key in ("from", "host") if not settings[key]] + ([] if settings["to"] else ["to"])
    if missing:
        return [f"perfxl.toml 的 [mail] 缺少：{'、'.join(missing)}"]
    problems = []
    if settings["security"] not in ("ssl", "starttls", "none"):
        problems.append(f"[mail] security 应为 ssl、starttls 或 none，而不是「{visible(settings['security'])}」")
    if problem := _host_problem(settings["host"]):
        problems.append(f"[mail] host 的「{visible(settings['host'])}」{problem}")
    if not 0 < settings["port"] < 65536:
        problems.append(f"[mail] port 应在 1 到 65535 之间，而不是 {settings['port']}")
    if not settings["timeout_seconds"] > 0:
        problems.append(f"[mail] timeout_seconds 应大于 0（秒），而不是 {settings['timeout_seconds']}")
    if settings["user"] and (problem := text_problem(settings["user"])):
        problems.append(f"[mail] user 的「{visible(settings['user'])}」{problem}")
    if settings["user"] and (problem := text_problem(os.environ.get(PASSWORD_VARIABLE, ""))):
        problems.append(f"环境变量 {PASSWORD_VARIABLE} 中的密码{problem.split('，')[0]}：请检查密码")
    return problems


def check_settings(settings: dict, sending: bool) -> None:
    """Raise MailSettingsError naming every unusable [mail] setting; the server ones only when `sending`."""
    problems = _draft_problems(settings)
    if sending:
        server = _server_problems(settings)
        problems = server + problems if server and server[0].startswith("perfxl.toml") else problems + server
    if problems:
        raise MailSettingsError("；".join(problems))
