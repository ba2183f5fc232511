"""Sending the drafts over SMTP, and the send log (发送记录.csv) that keeps a message from going out twice.

The log is checked for writing before the server is asked anything, and each message is recorded the
moment the server accepts it; when a record cannot be written the send stops there, so no message goes
out that the next send would not know about.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import os
import smtplib
import ssl
import sys
from pathlib import Path

from perfxl.core.errors import os_problem
from perfxl.io.files import atomic_write
from perfxl.mail.drafts import SMTP_LINES, Draft
from perfxl.mail.items import MailError
from perfxl.mail.settings import PASSWORD_VARIABLE, check_settings, text_problem

LOG_NAME = "发送记录.csv"
LOG_COLUMNS = ("时间", "邮件编号", "收件人", "附件", "结果", "指纹")
SENT = "已发送"


def sent_keys(log: Path) -> set[str]:
    """Keys of the messages the send log records as accepted by the server.

    A log re-saved by Excel as GBK is read as such and written back as UTF-8, so that rows appended
    later share one encoding."""
    if not log.exists():
        return set()
    data = log.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
        with atomic_write(log) as temp:
            temp.write_text(text, encoding="utf-8-sig", newline="")
    return {row.get("指纹") or "" for row in csv.DictReader(io.StringIO(text, newline="")) if row.get("结果") == SENT}


def _unwritable(log: Path, error: OSError) -> MailError:
    return MailError(f"无法读写发送记录 {log}：{os_problem(error)}。没有发送任何邮件：发送记录写不进去，"
                     "下次发送就不知道哪些已经发出。请关闭该文件（例如在 Excel 中打开着）后重试")


def check_log(log: Path) -> None:
    """Raise MailError unless the send log can be appended to (or, not there yet, created)."""
    try:
        if log.exists():
            log.open("a", encoding="utf-8").close()
        else:
            log.open("x", encoding="utf-8").close()
            log.unlink()
    except OSError as error:
        raise _unwritable(log, error) from error


def _log(log: Path, draft: Draft, result: str) -> None:
    new = not log.exists()
    with log.open("a", encoding="utf-8-sig" if new else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(LOG_COLUMNS)
        writer.writerow([dt.datetime.now().isoformat(timespec="seconds"), draft.message["Message-ID"],
                         "; ".join(draft.recipients), "; ".join(a.name for a in draft.attachments), result, draft.key])
        handle.flush()
        os.fsync(handle.fileno())


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()


def password(settings: dict) -> str:
    """The SMTP password: the environment variable when it is set; else, at a terminal, asked without echo;
    else empty (the server's refusal then says where the password goes)."""
    if not settings["user"]:
        return ""
    if PASSWORD_VARIABLE in os.environ:
        return os.environ[PASSWORD_VARIABLE]
    if not _interactive():
        return ""
    try:
        typed = getpass.getpass(f"邮件服务器 {settings['host']} 用户 {settings['user']} 的密码（输入时不显示）：")
    except EOFError:
        return ""
    if problem := text_problem(typed):
        raise MailError(f"输入的密码{problem.split('，')[0]}：请检查密码")
    return typed


def _connect(settings: dict, secret: str) -> smtplib.SMTP:
    host, port, timeout = settings["host"], settings["port"], settings["timeout_seconds"]
    where = f"{host}:{port}"
    try:
        if settings["security"] == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
            if settings["security"] == "starttls":
                server.starttls(context=ssl.create_default_context())
        if settings["user"]:
            server.login(settings["user"], secret)
        return server
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(f"邮件服务器 {where} 拒绝登录（用户 {settings['user']}）：请检查用户名和环境变量 "
                        f"{PASSWORD_VARIABLE} 中的密码（或在终端中运行，按提示输入密码）") from error
    except ConnectionRefusedError as error:
        raise MailError(f"邮件服务器 {where} 拒绝连接：请检查 [mail] host、port 和 security") from error
    except (OSError, smtplib.SMTPException) as error:
        if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
            raise MailError(f"连接邮件服务器 {where} 超时（{timeout} 秒无应答）：请检查网络和 [mail] host、port") from error
        raise MailError(f"无法连接邮件服务器 {where}：{error}") from error


def _deliver(server: smtplib.SMTP, settings: dict, draft: Draft) -> tuple[str, str]:
    """Hand one draft to the server: (the log's result, the problem to show; empty when accepted)."""
    try:
        server.sendmail(settings["from"], draft.recipients, draft.message.as_bytes(policy=SMTP_LINES))
    except smtplib.SMTPRecipientsRefused as error:
        refused = "、".join(error.recipients)
        return f"失败：收件人被拒绝 {refused}", f"「{draft.subject}」：收件人被拒绝（{refused}），未发送"
    except (smtplib.SMTPException, OSError) as error:
        return f"失败：{error}", f"「{draft.subject}」：服务器拒绝（{error}），未发送"
    return SENT, ""


def _record(log: Path, draft: Draft, result: str, sent: int, pending: int) -> None:
    """Write the result down now; when that fails, stop the send and say what went out unrecorded."""
    try:
        _log(log, draft, result)
    except OSError as error:
        what = "已被服务器接收" if result == SENT else "未能发送"
        raise MailError(f"邮件「{draft.subject}」{what}，但无法记入发送记录 {log}：{os_problem(error)}。"
                        f"为免重复发送，已停止：本次已发送 {sent} 封，其余 {pending} 封未发送。"
                        f"请关闭该文件后重新发送{'（这一封已发出，重发时会再发一次）' if result == SENT else ''}") from error


def send(drafts: list[Draft], settings: dict, log: Path, resend: bool = False) -> tuple[int, int, list[str]]:
    """Send the drafts not yet accepted (all with `resend`); returns (sent, skipped, problems)."""
    check_settings(settings, sending=True)
    try:
        done = sent_keys(log)  # also when resending: it turns a log re-saved as GBK back into UTF-8
    except OSError as error:
        raise _unwritable(log, error) from error
    pending = [d for d in drafts if resend or d.key not in done]
    if not pending:
        return 0, len(drafts), []
    check_log(log)  # before connecting: a message that cannot be recorded is never sent
    server = _connect(settings, password(settings))
    sent, problems = 0, []
    try:
        for number, draft in enumerate(pending, start=1):
            result, problem = _deliver(server, settings, draft)
            sent += result == SENT
            _record(log, draft, result, sent, len(pending) - number)
            if problem:
                problems.append(problem)
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()
    return sent, len(drafts) - len(pending), problems
