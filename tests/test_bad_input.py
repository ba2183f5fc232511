"""Messy input folders: every file is accounted for, one bad file never costs the others."""

from __future__ import annotations

import zipfile
from dataclasses import replace

import pytest
from builders import (
    INDICATOR_PART,
    checksums,
    encrypt,
    read_part,
    rezip,
    with_entity_bomb,
    with_lying_sizes,
    with_shared_strings_bomb,
    zip_bomb,
)
from conftest import SAMPLES

from perfxl.core.model import FAILED, PROCESSED, SKIPPED
from perfxl.io.workbook import Limits, UnreadableWorkbook, load_grids
from perfxl.target import pipeline
from perfxl.target.pipeline import run, validate


def _entry(batch, name):
    return next(e for e in batch.ledger if e.file == name)


def _s01(batch, name):
    return [f for f in batch.findings if f.file == name and f.rule == "S01"]


def _zero_bytes(folder, good):
    (folder / "空文件.xlsx").write_bytes(b"")
    return "空文件.xlsx"


def _truncated(folder, good):
    (folder / "半截.xlsx").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return "半截.xlsx"


def _not_a_zip(folder, good):
    (folder / "改了扩展名.xlsx").write_text("项目名称,预算\n", encoding="utf-8")
    return "改了扩展名.xlsx"


def _corrupt_member(folder, good):
    data = bytearray(good.read_bytes())
    start = data.index(b"PK\x03\x04", 100) + 200  # inside the compressed bytes of the second part
    data[start : start + 64] = bytes(64)
    (folder / "损坏.xlsx").write_bytes(bytes(data))
    return "损坏.xlsx"


def _altered_stored_member(folder, good):
    """A stored (uncompressed) part whose text changed after it was zipped: it still parses as XML (a
    sheet renamed 项目信息 -> 页目信息), only its CRC tells."""
    stored = rezip(good, folder / "改动.xlsx", {}, store=True)
    data = stored.read_bytes()
    at = data.index("项目信息".encode())
    stored.write_bytes(data[:at] + "页".encode() + data[at + 3 :])  # 项 -> 页, same length
    return "改动.xlsx"


def _password(folder, good):
    encrypt(good, folder / "加密.xlsx")
    return "加密.xlsx"


def _legacy_disguised(folder, good):
    (folder / "旧格式改名.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return "旧格式改名.xlsx"


def _legacy_xls(folder, good):
    (folder / "去年.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return "去年.xls"


def _csv(folder, good):
    (folder / "导出.csv").write_text("年度,项目名称\n2021,测试\n", encoding="utf-8")
    return "导出.csv"


def _zip_bomb(folder, good):
    zip_bomb(good, folder / "炸弹.xlsx", megabytes=3)  # the test's limit is 1 MB
    return "炸弹.xlsx"


def _lying_bomb(folder, good):
    with_lying_sizes(good, folder / "谎报大小.xlsx", INDICATOR_PART, payload_bytes=3 * 2**20)
    return "谎报大小.xlsx"


def _huge_area(folder, good):
    xml = read_part(good, INDICATOR_PART).replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    rezip(good, folder / "远处单元格.xlsx", {INDICATOR_PART: xml.encode()})
    return "远处单元格.xlsx"


def _entities_in_sheet(folder, good):
    with_entity_bomb(good, folder / "实体_表.xlsx", INDICATOR_PART)
    return "实体_表.xlsx"


def _entities_in_strings(folder, good):
    with_shared_strings_bomb(good, folder / "实体_共享字符串.xlsx")
    return "实体_共享字符串.xlsx"


def _entities_in_workbook(folder, good):
    xml = read_part(good, "xl/workbook.xml")
    xml = xml[xml.index("?>") + 2:] if xml.startswith("<?xml") else xml
    rezip(good, folder / "实体_簿.xlsx", {"xl/workbook.xml": ('<!DOCTYPE x [<!ENTITY a "aaaa">]>' + xml).encode()})
    return "实体_簿.xlsx"


# case -> (builder, status, words the user must see in the ledger message)
FAILING = {
    "zero-byte": (_zero_bytes, "空的（0 字节）"),
    "truncated zip": (_truncated, "已损坏"),
    "not a zip": (_not_a_zip, "已损坏"),
    "corrupt member": (_corrupt_member, "损坏"),
    "altered stored member": (_altered_stored_member, "损坏"),
    "password": (_password, "请取消密码后另存"),
    "legacy renamed": (_legacy_disguised, "另存为 .xlsx"),
    "legacy .xls": (_legacy_xls, "另存为 .xlsx"),
    "csv": (_csv, "另存为 .xlsx"),
    "zip bomb": (_zip_bomb, "超过 1 MB"),
    "lying zip sizes": (_lying_bomb, "损坏"),
    "huge used area": (_huge_area, "使用范围过大"),
    "entities in sheet": (_entities_in_sheet, "XML 实体定义"),
    "entities in sharedStrings": (_entities_in_strings, "XML 实体定义"),
    "entities in workbook.xml": (_entities_in_workbook, "XML 实体定义"),
}


@pytest.fixture
def small_limits(config):
    return replace(config, limits={**config.limits, "max_unzipped_mb": 1})


@pytest.mark.parametrize("case", FAILING, ids=list(FAILING))
def test_a_bad_file_fails_alone_with_a_clear_message(make_workbook, small_limits, tmp_path, case):
    build, words = FAILING[case]
    good = make_workbook("好的.xlsx")
    name = build(tmp_path / "input", good)
    before = checksums(tmp_path / "input")

    batch = validate(tmp_path / "input", small_limits)

    entry = _entry(batch, name)
    assert entry.status == FAILED
    assert words in entry.message
    assert [f.severity for f in _s01(batch, name)] == ["错误"], "the failure is also a finding in 校验结果"
    assert _entry(batch, "好的.xlsx").status == PROCESSED
    assert [p.file for p in batch.projects] == ["好的.xlsx"]
    assert checksums(tmp_path / "input") == before


def test_the_zip_bomb_limit_is_configurable(make_workbook, config, tmp_path):
    zip_bomb(make_workbook("好的.xlsx"), tmp_path / "input" / "大.xlsx", megabytes=3)
    assert _entry(validate(tmp_path / "input", config), "大.xlsx").status == PROCESSED  # 200 MB by default


def test_a_bomb_is_refused_before_any_engine_parses_it(make_workbook, small_limits, tmp_path, monkeypatch):
    bomb = zip_bomb(make_workbook("好的.xlsx"), tmp_path / "炸弹.xlsx", megabytes=3)
    parsed = []
    monkeypatch.setattr("perfxl.io.workbook._calamine_grids", lambda *a: parsed.append(a))
    monkeypatch.setattr("perfxl.io.workbook._openpyxl_grids", lambda *a: parsed.append(a))
    with pytest.raises(UnreadableWorkbook):
        load_grids(bomb, ("绩效指标",), Limits(2**20, 10**6))
    assert parsed == []


@pytest.mark.parametrize("part", ["sheet", "sharedStrings"])
@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_both_engines_refuse_entity_expansion_on_their_own(make_workbook, tmp_path, engine, part):
    """Defence in depth: even past the DOCTYPE check, neither engine expands entities."""
    from perfxl.io.workbook import _calamine_grids, _openpyxl_grids

    good = make_workbook("好的.xlsx")
    if part == "sheet":
        bomb = with_entity_bomb(good, tmp_path / "bomb.xlsx", INDICATOR_PART)
    else:
        bomb = with_shared_strings_bomb(good, tmp_path / "bomb.xlsx")
    grids = {"calamine": _calamine_grids, "openpyxl": _openpyxl_grids}[engine]
    try:
        result = grids(bomb, ("绩效指标",))
    except Exception:  # noqa: BLE001 - refusing is the expected outcome (calamine: XmlError; openpyxl: defusedxml)
        return
    texts = [str(v) for row in result["绩效指标"].rows for v in row if v]
    assert all(len(t) < 1000 for t in texts), "an entity was expanded"


def test_xlsm_is_read_and_its_macros_ignored(make_workbook, config, tmp_path):
    good = make_workbook("好的.xlsx")
    types = read_part(good, "[Content_Types].xml").replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    rezip(good, tmp_path / "input" / "宏.xlsm", {"[Content_Types].xml": types.encode(),
                                                "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not run"})
    good.unlink()
    batch = validate(tmp_path / "input", config)
    assert _entry(batch, "宏.xlsm").status == PROCESSED
    assert batch.projects[0].project_name == "科技文献数据库运维"
    assert not [f for f in batch.findings if f.severity == "错误"]


@pytest.mark.parametrize("rename", ["指标", "Sheet3", None])
def test_a_missing_or_renamed_sheet_is_s02(make_workbook, config, tmp_path, rename):
    def edit(book):
        if rename is None:
            del book["绩效指标"]
        else:
            book["绩效指标"].title = rename

    make_workbook("缺表.xlsx", edit=edit)
    batch = validate(tmp_path / "input", config)
    s02 = [f for f in batch.findings if f.rule == "S02"]
    assert [(f.sheet, f.severity) for f in s02] == [("绩效指标", "错误")]
    assert "改回「绩效指标」" in s02[0].hint
    assert _entry(batch, "缺表.xlsx").status == FAILED
    assert "缺少工作表：绩效指标" in _entry(batch, "缺表.xlsx").message


def test_a_sheet_name_with_stray_spaces_is_still_found(make_workbook, config, tmp_path):
    make_workbook("空格.xlsx", edit=lambda book: setattr(book["绩效指标"], "title", " 绩效 指标 "))
    assert _entry(validate(tmp_path / "input", config), "空格.xlsx").status == PROCESSED


def test_formulas_without_cached_values_are_s06(make_workbook, config, tmp_path):
    def edit(book):
        book["预算"]["B3"] = "=B2"  # written by a program: a formula with no cached value

    make_workbook("公式.xlsx", edit=edit)
    batch = validate(tmp_path / "input", config)
    s06 = [f for f in batch.findings if f.rule == "S06"]
    assert [(f.sheet, f.cell, f.severity) for f in s06] == [("预算", "B3", "警告")]
    assert batch.projects[0].annual_budget is None
    assert _entry(batch, "公式.xlsx").status == PROCESSED


def test_ten_thousand_character_texts_are_read_whole(make_workbook, clean_project, config, tmp_path):
    fields, indicators = clean_project
    fields["项目概况"] = "概" * 10_000
    indicators[4][2] = "新增文献记录" + "长" * 10_000
    make_workbook("长文本.xlsx", fields, indicators)
    batch = validate(tmp_path / "input", config)
    project = batch.projects[0]
    assert project.overview == "概" * 10_000
    assert len(project.indicators[4].level3) == 10_006
    assert not [f for f in batch.findings if f.rule == "S07"]


def test_text_past_the_excel_cell_limit_is_cut_with_s07(make_workbook, clean_project, config, tmp_path):
    fields, indicators = clean_project
    indicators[4][2] = "𠀀" * 20_000  # 40,000 Excel characters: a cell written by a program, not by Excel
    make_workbook("超长.xlsx", fields, indicators)
    batch = run(tmp_path / "input", tmp_path / "output", config)
    name = batch.projects[0].indicators[4].level3
    assert name == "𠀀" * 16_383  # 32,766 UTF-16 units: a character is never split
    s07 = [f for f in batch.findings if f.rule == "S07"]
    assert [(f.sheet, f.cell, f.severity) for f in s07] == [("绩效指标", "C6", "提示")]
    assert "32767" in s07[0].hint


def test_booleans_and_1900_date_serials(make_workbook, clean_project, config, tmp_path):
    fields, _ = clean_project
    fields["计划开始日期"] = 44197  # 2021-01-01 as a 1900-system serial in a General cell
    fields["计划完成日期"] = 44561.0  # 2021-12-31
    fields["是否含有政府购买服务"] = True
    fields["同名项目上年预算额（元）"] = False
    make_workbook("逻辑值.xlsx", fields)
    batch = validate(tmp_path / "input", config)
    project = batch.projects[0]
    assert (project.start_date.isoformat(), project.end_date.isoformat()) == ("2021-01-01", "2021-12-31")
    assert project.gov_procurement == "TRUE"  # as Excel shows it; I04 judges it
    s04 = [f for f in batch.findings if f.rule == "S04"]
    assert [(f.sheet, f.severity) for f in s04] == [("预算", "错误")]
    assert "「FALSE」是逻辑值（TRUE/FALSE），不是金额" in s04[0].message


def test_lock_hidden_and_other_files_are_skipped_and_listed(make_workbook, config, tmp_path):
    make_workbook("一处/好的.xlsx")
    make_workbook("一处/二处/深层.xlsx", fields={**_fields_named("深层项目")})
    folder = tmp_path / "input"
    for name, data in {"~$好的.xlsx": b"lock", ".DS_Store": b"x", ".隐藏/藏.xlsx": b"x", "说明.docx": b"PK",
                       "一处/批复.pdf": b"%PDF", "一处/README": b"x"}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    batch = validate(folder, config)
    ledger = {e.file: (e.status, e.message) for e in batch.ledger}
    assert ledger.keys() == {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert ledger["一处/二处/深层.xlsx"][0] == PROCESSED
    assert ledger["一处/好的.xlsx"][0] == PROCESSED
    assert "锁定文件" in ledger["~$好的.xlsx"][1]
    assert ledger[".隐藏/藏.xlsx"] == (SKIPPED, "隐藏文件，已跳过")
    assert ledger["说明.docx"] == ledger["一处/批复.pdf"] == (SKIPPED, "不是电子表格，已跳过")
    assert not [f for f in batch.findings if f.severity == "错误"], "skipped files raise no error"


def _fields_named(name):
    from conftest import CLEAN_FIELDS

    return {**CLEAN_FIELDS, "项目名称": name}


def test_a_surprise_inside_one_file_fails_that_file_only(make_workbook, config, tmp_path, monkeypatch):
    make_workbook("甲.xlsx")
    make_workbook("乙.xlsx", fields=_fields_named("乙项目"))
    real = pipeline.read_project

    def flaky(path, file, cfg):
        if file == "甲.xlsx":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, file, cfg)

    monkeypatch.setattr(pipeline, "read_project", flaky)
    batch = validate(tmp_path / "input", config)
    assert _entry(batch, "甲.xlsx").status == FAILED
    assert "意外错误（RecursionError" in _entry(batch, "甲.xlsx").message
    assert [f.rule for f in batch.findings if f.file == "甲.xlsx"] == ["S01"]
    assert _entry(batch, "乙.xlsx").status == PROCESSED


def test_files_in_equal_ledger_rows_and_inputs_are_untouched(make_workbook, small_limits, tmp_path):
    good = make_workbook("好的.xlsx")
    for build, _ in FAILING.values():
        build(tmp_path / "input", good)
    for sample in sorted((SAMPLES).glob("*.xlsx")):
        (tmp_path / "input" / "样例" / sample.name).parent.mkdir(exist_ok=True)
        (tmp_path / "input" / "样例" / sample.name).write_bytes(sample.read_bytes())
    before = checksums(tmp_path / "input")

    batch = run(tmp_path / "input", tmp_path / "output", small_limits)

    assert sorted(e.file for e in batch.ledger) == sorted(before)
    assert checksums(tmp_path / "input") == before
    with zipfile.ZipFile(tmp_path / "output" / "绩效目标汇总.xlsx") as report:
        assert report.testzip() is None


def test_a_number_past_the_date_range_in_a_date_cell_is_s04(make_workbook, clean_project, config, tmp_path):
    """calamine panics on it (a Rust panic): the reader falls back to openpyxl and reports the cell."""
    fields, _ = clean_project
    fields["计划开始日期"] = -418312173
    fields["同名项目上年预算额（元）"] = 1.7976931348623155e308
    make_workbook("远日期.xlsx", fields)
    batch = validate(tmp_path / "input", config)
    assert _entry(batch, "远日期.xlsx").status == PROCESSED
    s04 = {f.sheet: f.message for f in batch.findings if f.rule == "S04"}
    assert "计划开始日期" in s04["项目信息"] and "合理范围" in s04["预算"]
