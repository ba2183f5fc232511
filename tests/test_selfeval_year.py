"""selfeval prepare reads one year, from target workbooks or from the filed Word forms; selfeval run names
the year on every line of a project."""

from __future__ import annotations

import shutil

import openpyxl
from click.testing import CliRunner
from conftest import SAMPLE_2026, SAMPLES

from perfxl.cli.main import cli


def _invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def _forms(tmp_path):
    """The samples' Word forms (2020 and 2026), as perfxl wrote and the unit filed them."""
    result = _invoke("run", SAMPLES, tmp_path / "output")
    assert result.exit_code == 0, result.output
    shutil.copytree(tmp_path / "output" / "目标表", tmp_path / "报送" / "目标表")
    return tmp_path / "报送" / "目标表"


def _sheet(path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)["自评表"].iter_rows(values_only=True))


def test_a_folder_of_two_years_stops_naming_them(tmp_path):
    result = _invoke("selfeval", "prepare", SAMPLES, "--out", tmp_path / "自评")
    assert result.exit_code == 2, result.output
    assert "中有几个年度的项目（2020 年度 6 个、2026 年度 1 个）" in result.output
    assert "--year 2020" in result.output
    assert isinstance(result.exception, SystemExit)
    assert not (tmp_path / "自评").exists()


def test_year_chooses_and_the_other_years_are_named(tmp_path):
    result = _invoke("selfeval", "prepare", SAMPLES, "--out", tmp_path / "自评", "--year", 2026)
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "自评").glob("*.xlsx")] == ["2026_拆违经费.xlsx"]
    assert "其他年度的项目未处理：2020 年度 6 个" in result.output
    assert "2026 年度：项目1 个，通过 1 个；写出自评工作簿 1 个" in result.output


def test_a_year_not_in_the_folder_is_refused(tmp_path):
    result = _invoke("selfeval", "prepare", SAMPLES, "--out", tmp_path / "自评", "--year", 2019)
    assert result.exit_code == 2, result.output
    assert "没有 2019 年度的项目（有：2020 年度 6 个、2026 年度 1 个）" in result.output


def test_the_filed_word_forms_prepare_what_the_workbooks_prepare(tmp_path):
    forms = _forms(tmp_path)
    from_word = _invoke("selfeval", "prepare", forms, "--out", tmp_path / "自评", "--year", 2026)
    assert from_word.exit_code == 0, from_word.output
    assert "2026 年度：目标表（Word）1 个，通过 1 个；写出自评工作簿 1 个" in from_word.output
    from_books = _invoke("selfeval", "prepare", SAMPLES, "--out", tmp_path / "自评2", "--year", 2026)
    assert from_books.exit_code == 0, from_books.output
    word, books = _sheet(tmp_path / "自评/2026_拆违经费.xlsx"), _sheet(tmp_path / "自评2/2026_拆违经费.xlsx")
    assert word == books
    assert SAMPLE_2026["fields"]["主管部门"] in {row[1] for row in word}
    assert sorted(p.name for p in forms.iterdir()) == sorted(p.name for p in (tmp_path / "output/目标表").iterdir()), \
        "the filed forms are read, never changed"


def test_the_word_forms_without_a_year_stop_and_a_document_without_a_form_is_named(tmp_path):
    forms = _forms(tmp_path)
    stop = _invoke("selfeval", "prepare", forms, "--out", tmp_path / "自评")
    assert stop.exit_code == 2 and "（2020 年度 6 个、2026 年度 1 个）" in stop.output, stop.output
    import docx

    letter = docx.Document()
    letter.add_paragraph("关于报送绩效目标的函")
    letter.save(forms / "说明.docx")
    result = _invoke("selfeval", "prepare", forms, "--out", tmp_path / "自评", "--year", 2020)
    assert result.exit_code == 1, result.output
    assert "未读取：说明.docx：文档中没有找到绩效目标表" in result.output
    assert len(list((tmp_path / "自评").glob("2020_*.xlsx"))) == 6


def test_every_line_of_selfeval_run_names_the_year(tmp_path):
    from selfeval_fill import fill

    _invoke("selfeval", "prepare", SAMPLES, "--out", tmp_path / "自评", "--year", 2026)
    budget = float(SAMPLE_2026["fields"]["年度资金申请总额（元）"])
    fill(tmp_path / "自评/2026_拆违经费.xlsx", (budget, budget))
    result = _invoke("selfeval", "run", tmp_path / "自评", tmp_path / "output")
    assert result.exit_code == 0, result.output
    assert "2026年度 拆违经费：总分 100.00，等级 优" in result.output
    assert "2026 年度：文件 1 个，项目 1 个，通过 1 个" in result.output


def test_word_forms_beside_workbooks_are_named_as_not_read(tmp_path):
    forms = _forms(tmp_path)
    shutil.copytree(SAMPLES, tmp_path / "混合")
    shutil.copy(forms / "2026_拆违经费.docx", tmp_path / "混合")
    result = _invoke("selfeval", "prepare", tmp_path / "混合", "--out", tmp_path / "自评", "--year", 2026)
    assert result.exit_code == 0, result.output
    assert "只读取工作簿；其中的 Word 文档 1 个未读取" in result.output
    assert [p.name for p in (tmp_path / "自评").glob("*.xlsx")] == ["2026_拆违经费.xlsx"]
