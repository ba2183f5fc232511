"""The README's year of a 主管部门 (“一年的流程”), followed step by step through the CLI in a project folder:
five 2026 projects in four 实施单位 → one draft signed by the sender; the filed forms kept in 报送/目标表/;
next year's projects imported from the filed forms (--year 2027); in January the self-evaluation prepared from last year's Word forms with --year;
filled; run (every line names the year); the 自评表 mailed as one message of the 主管部门."""

from __future__ import annotations

import copy
import datetime as dt
import email
import shutil
from email import policy

import openpyxl
from click.testing import CliRunner
from conftest import CLEAN_FIELDS_2026, read_sheet
from selfeval_fill import fill
from test_mail_year import DEPARTMENT, PROJECTS, SENDER

from perfxl.cli.main import cli

REASON = "部分采购延至次年。"
ANNUAL_FUNDS = {label: CLEAN_FIELDS_2026[label] for label in (
    "年度资金申请总额（元）", "其中：当年财政拨款（元）", "其中：上年结转资金（元）", "其中：年度其他资金（元）")}


def _invoke(*args):
    result = CliRunner().invoke(cli, [*map(str, args)])
    assert isinstance(result.exception, SystemExit | None), result.output
    return result


def _projects(make_workbook_2026, year: int) -> None:
    for name, unit in PROJECTS:
        fields = copy.deepcopy(CLEAN_FIELDS_2026)
        fields.update({"年度": year, "项目名称": name, "实施单位": unit, "计划开始日期": dt.date(year, 1, 1),
                       "计划完成日期": dt.date(year, 12, 31)})
        make_workbook_2026(f"{name}.xlsx", fields)


def _fill_annual_funds(path) -> None:
    """What the unit types into an imported, rolled workbook: the new year's 年度资金 (left empty by --year)."""
    book = openpyxl.load_workbook(path)
    sheet = book["预算"]
    for row in sheet.iter_rows(max_col=2):
        label = str(row[0].value or "").lstrip("*")  # a required field's label begins with *
        if label in ANNUAL_FUNDS and row[1].value is None:
            row[1].value = ANNUAL_FUNDS[label]
    book.save(path)


def _messages(folder) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def test_a_year_of_one_department(make_workbook_2026, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "perfxl.toml").write_text(f'[mail]\nsender = "{SENDER}"\n', encoding="utf-8")
    # 2026 budget: five projects in input/, checked, mailed as one submission
    _projects(make_workbook_2026, 2026)
    assert _invoke("run").exit_code == 0
    mailed = _invoke("mail")
    assert mailed.exit_code == 0, mailed.output
    [draft] = _messages(tmp_path / "output/邮件")
    assert draft["Subject"] == f"{DEPARTMENT}2026年度财政项目支出绩效目标申报表（5个项目）"
    assert draft.get_body(("plain",)).get_content().rstrip().endswith(SENDER)
    # filed: the forms kept in 报送/目标表/ (names begin with the year), the workbooks in 报送/申报表/2026/
    shutil.copytree(tmp_path / "output/目标表", tmp_path / "报送/目标表", dirs_exist_ok=True)
    shutil.move(tmp_path / "input", tmp_path / "报送/申报表/2026")
    # autumn: next year's projects imported from the filed 2026 forms, rolled to 2027, filed the same way
    filed = sorted((tmp_path / "报送/目标表").glob("2026_*.docx"))
    imported = _invoke("import", *filed, "--out", "input", "--year", 2027)
    assert imported.exit_code == 0, imported.output
    books = sorted((tmp_path / "input").glob("*.xlsx"))
    assert len(books) == 5
    assert _invoke("run").exit_code == 1  # the new year's 年度资金 are left to the unit (marked red)
    for book in books:
        _fill_annual_funds(book)
    rolled = _invoke("run")
    assert rolled.exit_code == 0, rolled.output
    assert "项目 5 个，通过 5 个" in rolled.output, rolled.output
    summary = [row for row in read_sheet(tmp_path / "output/绩效目标汇总.xlsx", "项目汇总")
               if not row["文件"].startswith("合计")]
    assert sorted((row["年度"], row["项目名称"]) for row in summary) == sorted((2027, name) for name, _ in PROJECTS)
    assert _invoke("mail").exit_code == 0
    shutil.copytree(tmp_path / "output/目标表", tmp_path / "报送/目标表", dirs_exist_ok=True)
    # January 2027: input/ holds 2027; the self-evaluation of 2026 starts from what was filed
    mixed = _invoke("selfeval", "prepare", "报送/目标表")
    assert mixed.exit_code == 2 and "2026 年度 5 个、2027 年度 5 个" in mixed.output, mixed.output
    prepared = _invoke("selfeval", "prepare", "报送/目标表", "--year", 2026)
    assert prepared.exit_code == 0, prepared.output
    books = sorted((tmp_path / "自评").glob("*.xlsx"))
    assert [p.name for p in books] == sorted(f"2026_{name}.xlsx" for name, _ in PROJECTS)
    for book in books:  # one project spent 80 % and says why
        low = book.name == "2026_绿地养护.xlsx"
        fill(book, (2000000, 1600000 if low else 2000000), fields={"low_rate_reason": REASON} if low else None)
    run = _invoke("selfeval", "run")
    assert run.exit_code == 0, run.output
    assert sum(line.startswith("2026年度 ") for line in run.output.splitlines()) == 5
    mailed = _invoke("mail", "--what", "自评表")
    assert mailed.exit_code == 0, mailed.output
    assert sum(line.startswith("2026年度 ") for line in mailed.output.splitlines()) == 5  # as selfeval run says
    assert "2026 年度：文件 5 个，项目 5 个，通过 5 个" in mailed.output
    [draft] = _messages(tmp_path / "output/邮件/自评表")
    assert draft["Subject"] == f"{DEPARTMENT}2026年度项目支出绩效自评表（5个项目）"
    body = draft.get_body(("plain",)).get_content()
    assert "（实施单位：上海市普陀区绿化管理所）" in body and body.rstrip().endswith(SENDER)
    names = sorted(p.get_filename() for p in draft.iter_attachments())
    assert names == sorted(f"{unit}_2026_{name}.docx" for name, unit in PROJECTS)
    import docx

    form = docx.Document(tmp_path / "output/自评表/2026_绿地养护.docx")
    assert REASON in [c.text for t in form.tables for row in t.rows for c in row.cells]
