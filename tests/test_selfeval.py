"""Year-end self-evaluation on the samples of both layouts (six 2020, one 2026): prepare -> fill in code -> run,
every score, total and 等级 of 自评汇总.xlsx against values computed here; the prepared workbook; the Word 自评表."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal as D
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SAMPLE_2026, SAMPLES, SEED, read_sheet
from selfeval_fill import cents, fill
from selfeval_fill import shown as as_shown

from perfxl.cli.main import cli
from perfxl.io.forms import convert_to_pdf

BUDGETS = {seed["file"]: D(seed["budget"]["项目当年预算（元）"].replace(",", "")) for seed in SEED}
REASON = "受疫情影响，部分工作顺延。"
# What each sample's unit reports: budget (全年预算数 = 年初预算数, 执行率) and the indicators not met exactly.
SCENARIOS = {
    "01_上海科技网站群运维.xlsx": (D(1), {  # all met; 亿/万 written differently from the target
        "年度页面浏览量": {"actual": "12000万次"}}),
    "02_上海科技年鉴年报.xlsx": (D("0.95"), {  # some missed, with reasons
        "《上海科技年鉴2020》": {"actual": "1200册", "deviation": REASON, "share": D(1200) / 1300},
        "《2019上海科技进步报告》": {"actual": "2100册", "deviation": "加印", "share": D(2000) / 2100}}),
    "03_上海科技统计工作.xlsx": (D(1), {  # a qualitative 部分达成, with a reason
        "统计报告合格": {"attainment": "部分达成", "actual": "部分合格", "deviation": REASON, "share": D("0.6")}}),
    "04_上海科技地方报告.xlsx": (D("0.85"), {}),  # 执行率 85% with a reason
    "05_上海科技管理平台运维.xlsx": (D(1), {  # a ≤ target overrun, with a reason
        "信息系统运行故障停机时长率": {"actual": "2%", "deviation": REASON, "share": D("0.5")}}),
    "06_上海科技音像资料库运行.xlsx": (D(1), {  # missed without a reason: E04, no Word form
        "整理并入库科技活动照片": {"actual": "8000张", "share": D("0.8")}}),
}


def expected_grade(total: float) -> str:
    return next(grade for grade, lowest in (("优", 90), ("良", 80), ("中", 60), ("差", 0)) if total >= lowest)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """prepare on input/, every workbook filled as SCENARIOS says, run; with the rows and expectations."""
    tmp = tmp_path_factory.mktemp("selfeval")
    runner = CliRunner()
    for year in (2020, 2026):  # the samples hold two years: one self-evaluation each, never mixed
        result = runner.invoke(cli, ["selfeval", "prepare", str(SAMPLES), "--out", str(tmp / "自评"), "--year", year])
        assert result.exit_code == 0, result.output
    expected = {}
    for seed in SEED:
        name = seed["info"]["项目名称"]
        path = tmp / "自评" / f"2020_{name}.xlsx"
        rate, plan = SCENARIOS[seed["file"]]
        budget = BUDGETS[seed["file"]]
        fields = {"low_rate_reason": REASON} if rate < 0.9 else {}
        rows = fill(path, (budget, cents(budget * rate)), plan, fields)
        expected[name] = (rate, rows)
    # the published 2026 project: all met (its 合理/提高/降低 are qualitative: 达成), funds fully spent
    budget = D(str(SAMPLE_2026["fields"]["年度资金申请总额（元）"]))
    name = SAMPLE_2026["fields"]["项目名称"]
    expected[name] = (D(1), fill(tmp / "自评" / f"2026_{name}.xlsx", (budget, budget)))
    result = runner.invoke(cli, ["selfeval", "run", str(tmp / "自评"), str(tmp / "output")])
    return tmp, result, expected


def test_run_reports_the_one_error_and_exits_1(evaluated):
    _, result, _ = evaluated
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert re.findall(r"错误 E\d\d", result.output) == ["错误 E04"]


POINTS_2020 = {"投入与管理": 10, "产出目标": 40, "效果目标": 30, "影响力目标": 10}
POINTS_2026 = {"成本指标": 10, "产出指标": 40, "效益指标": 30, "满意度指标": 10}  # 成本 takes 10 of 产出's 50


def test_prepared_points_follow_the_level1_table(evaluated):
    for name, (_, rows) in evaluated[2].items():
        by_level1 = {}
        level1 = ""
        for row in rows:
            level1 = row["level1"] or level1
            by_level1.setdefault(level1, []).append(row["points"])
        expected = POINTS_2026 if name == SAMPLE_2026["fields"]["项目名称"] else POINTS_2020
        assert {k: round(sum(v), 2) for k, v in by_level1.items()} == expected
        if "投入与管理" in by_level1:
            assert by_level1["投入与管理"] == [2.5] * 4
        assert round(sum(r["points"] for r in rows), 2) == 90


def test_every_score_total_and_grade_in_the_summary(evaluated):
    tmp, _, expected = evaluated
    summary = tmp / "output" / "自评汇总.xlsx"
    projects = {r["项目名称"]: r for r in read_sheet(summary, "项目得分")}
    indicators = read_sheet(summary, "指标得分")
    assert set(projects) == set(expected)
    for name, (rate, rows) in expected.items():
        scores = [cents(r["points"] * r["share"]) for r in rows]
        listed = [r for r in indicators if r["项目名称"] == name]
        assert [(r["三级指标"], as_shown(r["分值"]), as_shown(r["得分"])) for r in listed] == [
            (row["level3"], row["points"], score) for row, score in zip(rows, scores, strict=True)]
        budget_score, indicator_score = cents(10 * min(rate, 1)), sum(scores)
        row = projects[name]
        assert as_shown(row["执行率"]) == rate
        assert (as_shown(row["预算执行得分"]), as_shown(row["指标得分"]), as_shown(row["总分"])) == (
            budget_score, indicator_score, budget_score + indicator_score), name
        assert row["等级"] == expected_grade(row["总分"])
    assert projects["“上海科技”网站及网站群建设（运维）"]["总分"] == 100
    assert projects["上海科技地方报告"]["等级"] == "优"  # 98.5


def test_failed_project_is_scored_but_gets_no_form(evaluated):
    tmp, _, _ = evaluated
    projects = {r["项目名称"]: r for r in read_sheet(tmp / "output" / "自评汇总.xlsx", "项目得分")}
    failed = projects["上海科技音像资料库运行 (2020年)"]
    assert (failed["状态"], failed["错误数"], failed["自评表"]) == ("未通过", 1, None)
    forms = sorted(p.name for p in (tmp / "output" / "自评表").glob("*.docx"))
    assert len(forms) == 6 and "2020_上海科技音像资料库运行 (2020年).docx" not in forms
    assert "2026_拆违经费.docx" in forms
    findings = read_sheet(tmp / "output" / "自评汇总.xlsx", "校验结果")
    assert [(f["规则"], f["单元格"]) for f in findings] == [("E04", "H20")]
    ledger = read_sheet(tmp / "output" / "自评汇总.xlsx", "处理清单")
    assert len(ledger) == 7 and {e["状态"] for e in ledger} == {"已处理"}


def test_prepared_workbook_locks_the_filed_cells(tmp_path):
    result = CliRunner().invoke(cli, ["selfeval", "prepare", str(SAMPLES), "--out", str(tmp_path), "--year", "2020"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "2020_上海科技管理平台（运维）.xlsx")
    sheet = book["自评表"]
    assert sheet.protection.sheet and [sheet["A2"].value, sheet["B2"].value] == ["表格类型", "绩效自评表"]
    assert book["申报值"].sheet_state == "veryHidden" and "填表说明" in book.sheetnames
    head = next(r for r in range(1, 30) if sheet.cell(r, 1).value == "一级指标")
    first = head + 1
    assert [sheet.cell(first, c).value for c in range(1, 5)] == ["投入与管理", "投入管理", "资金到位率", "=100%"]
    assert all(sheet.cell(first, c).protection.locked for c in (1, 2, 3, 4, 7))
    assert not any(sheet.cell(first, c).protection.locked for c in (5, 6, 8))
    qualitative = f"F{first + 1}"
    assert [qualitative in str(v.sqref) for v in sheet.data_validations.dataValidation] == [True]
    assert f"F{first}" not in str(sheet.data_validations.dataValidation[0].sqref)
    assert sheet.cell(sheet.max_row, 4).value == "<=1%"


def test_prepare_never_overwrites(tmp_path):
    out = tmp_path / "自评"
    CliRunner().invoke(cli, ["selfeval", "prepare", str(SAMPLES), "--out", str(out), "--year", "2020"])
    target = out / "2020_上海科技地方报告.xlsx"
    target.write_bytes(b"filled by the unit")
    result = CliRunner().invoke(cli, ["selfeval", "prepare", str(SAMPLES), "--out", str(out), "--year", "2020"])
    assert result.exit_code == 0 and "已存在，未覆盖" in result.output
    assert target.read_bytes() == b"filled by the unit"


def _form_text(path: Path) -> str:
    document = docx.Document(path)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_word_form_shows_the_scores(evaluated):
    tmp, _, _ = evaluated
    form = tmp / "output" / "自评表" / "2020_2020年上海科技年鉴年报.docx"
    text = _form_text(form)
    row = next(r for r in read_sheet(tmp / "output" / "自评汇总.xlsx", "项目得分")
               if r["项目名称"] == "2020年上海科技年鉴年报")
    assert "项目支出绩效自评表" in text and "（2020年度）" in text
    for shown in (f"{row['总分']:.2f}", f"等级：{row['等级']}", "9.50", "95%", "1,500,000", "1,425,000",
                  "1200册", REASON):
        assert shown in text, shown
    table = docx.Document(form).tables[-1]
    merged = table.rows[1]._tr.tc_lst[0].tcPr.vMerge
    assert merged is not None and merged.val == "restart"  # 投入与管理 over its four rows


NEEDS_SOFFICE = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext")),
    reason="LibreOffice (soffice) or poppler-utils (pdftotext) not installed: "
           "apt-get install libreoffice-writer-nogui poppler-utils (.ci/run does this)")


@NEEDS_SOFFICE
def test_word_form_renders_in_libreoffice(evaluated, tmp_path):
    tmp, _, _ = evaluated
    row = next(r for r in read_sheet(tmp / "output" / "自评汇总.xlsx", "项目得分")
               if r["项目名称"] == "2020年上海科技统计工作")
    form = shutil.copy(tmp / "output" / "自评表" / f"2020_{row['项目名称']}.docx", tmp_path / "form.docx")
    pdfs = convert_to_pdf([Path(form)])
    assert len(pdfs) == 1
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    for shown in ("项目支出绩效自评表", row["项目名称"], f"{row['总分']:.2f}", f"等级：{row['等级']}",
                  "部分合格", "1,600,000"):
        assert shown in text, shown


def test_the_low_rate_reason_and_the_goal_outcome_are_in_the_form_and_the_summary(evaluated):
    """E05 makes the unit write why 执行率 is low: the bureau reads it on the 自评表 and in 自评汇总."""
    tmp, _, _ = evaluated
    projects = {r["项目名称"]: r for r in read_sheet(tmp / "output" / "自评汇总.xlsx", "项目得分")}
    low = projects["上海科技地方报告"]
    assert (low["执行率偏低原因"], low["年度总体目标（实际完成情况）"]) == (REASON, "全年目标均已完成。")
    assert low["年度总体目标（预期目标）"]
    assert projects["2020年上海科技年鉴年报"]["执行率偏低原因"] is None  # 95 %: none asked, none shown
    budget = docx.Document(tmp / "output" / "自评表" / "2020_上海科技地方报告.docx").tables[1]
    assert [c.text for c in budget.rows[-1].cells][:2] == ["执行率偏低原因", REASON]
    assert "执行率偏低原因" in _form_text(tmp / "output" / "自评表" / "2020_2020年上海科技年鉴年报.docx")


def test_every_word_form_passes_the_ooxml_schema(evaluated):
    from test_forms import schema_errors

    tmp, _, _ = evaluated
    forms = sorted((tmp / "output" / "自评表").glob("*.docx"))
    assert len(forms) == 6
    assert {f.name: schema_errors(f) for f in forms} == {f.name: [] for f in forms}


def test_every_word_form_names_east_asian_and_latin_faces(evaluated):
    from test_forms import font_problems

    forms = sorted((evaluated[0] / "output" / "自评表").glob("*.docx"))
    assert forms and {f.name: font_problems(f) for f in forms} == {f.name: [] for f in forms}


def test_the_indicator_columns_hold_their_headings_and_published_values_on_one_line(evaluated):
    tmp, _, _ = evaluated
    form = tmp / "output" / "自评表" / "2020_2020年上海科技年鉴年报.docx"
    table = docx.Document(form).tables[-1]
    widths = [int(col.get(docx.oxml.ns.qn("w:w"))) for col in table._tbl.tblGrid.iterchildren(
        docx.oxml.ns.qn("w:gridCol"))]
    margins, wide, narrow = 216, 210, 105  # twips: cell margins, a 10.5-point wide and half-width character
    assert widths[0] >= 4 * wide + margins  # 一级指标, not 一级指 / 标
    assert widths[3] >= wide + 8 * narrow + margins  # ≥78.00(%)
    assert widths[3] >= 5 * wide + margins and widths[4] >= 5 * wide + margins  # 年度指标值, 实际完成值


def _has_calc() -> bool:
    command = shutil.which("soffice")
    return bool(command) and (Path(command).resolve().parent / "libsclo.so").exists()


@pytest.mark.skipif(not (_has_calc() and shutil.which("pdftotext")),
                    reason="LibreOffice Calc (soffice) or poppler-utils (pdftotext) not installed: apt-get "
                           "install libreoffice-calc-nogui poppler-utils (.ci/run does this)")
def test_the_summary_prints_every_sheet_legibly_and_every_text_whole(evaluated, tmp_path):
    tmp, _, _ = evaluated
    summary = Path(shutil.copy(tmp / "output" / "自评汇总.xlsx", tmp_path / "自评汇总.xlsx"))
    book = openpyxl.load_workbook(summary)
    for sheet in book:
        widths = [d.width for d in sheet.column_dimensions.values() for _ in range(d.min, d.max + 1)]
        fitted = sheet.sheet_properties.pageSetUpPr and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.paperSize == 9 and sheet.print_title_rows == "$1:$1", sheet.title
        assert (130 / sum(widths) >= 0.6) if fitted else sheet.print_title_cols, sheet.title  # ≥ 60 % or across pages
    (pdf,) = convert_to_pdf([summary])
    pages = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    footers = {re.sub(r"\s+", "", line) for page in pages for line in page.splitlines() if "页" in line}
    assert all(any(f.startswith(f"{sheet.title}第") for f in footers) for sheet in book), footers  # every sheet
    printed = re.sub(r"\s+", "", "".join(pages))
    texts = [value for sheet in book for row in sheet.iter_rows(min_row=2, values_only=True) for value in row
             if isinstance(value, str) and len(value) > 20]
    assert len(texts) > 10
    assert [text for text in texts if re.sub(r"\s+", "", text) not in printed] == []
