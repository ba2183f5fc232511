"""Issue 22: Word documents (import, migrate) are read within limits that fit forms, in time linear in
their cells; one document's surprise fails that document only; a form in an altChunk is read."""

from __future__ import annotations

import random
import time
import zipfile

import pytest
from click.testing import CliRunner
from conftest import SEED
from test_import import seed_document

from perfxl.cli.main import cli

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                 'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                 '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
                 'document.main+xml"/></Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
             'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def _docx(path, body: str, extra: dict[str, bytes] | None = None, rels: str = "") -> None:
    """A minimal .docx whose body is `body` (WordprocessingML), deflated as Word does."""
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{body}</w:body></w:document>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", ROOT_RELS)
        package.writestr("word/document.xml", document)
        if rels:
            package.writestr("word/_rels/document.xml.rels",
                             f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        for name, data in (extra or {}).items():
            package.writestr(name, data)


def _row(texts, before: str = "") -> str:
    cells = "".join(f"<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>" for t in texts)
    return f"<w:tr>{before}{cells}</w:tr>"


def _import(*args):
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def _migrate(*args):
    return CliRunner().invoke(cli, ["migrate", *map(str, args)])


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "docs" / "好.docx"
    path.parent.mkdir()
    seed_document(path, SEED[0])
    return path


def _workbooks(folder):
    return sorted(p.name for p in folder.glob("*.xlsx")) if folder.is_dir() else []


# --- time linear in cells ----------------------------------------------------------------------------


def test_a_row_of_thousands_of_labels_is_read_in_linear_time(tmp_path):
    timings = {}
    for count in (1000, 4000):
        _docx(tmp_path / f"{count}.docx", f"<w:tbl>{_row(['项目名称'] * count)}{_row(['甲'] * count)}</w:tbl>")
        started = time.perf_counter()
        result = _import(tmp_path / f"{count}.docx", "--out", tmp_path / f"o{count}")
        timings[count] = time.perf_counter() - started
        assert result.exit_code in (0, 1, 2) and isinstance(result.exception, SystemExit | None)
    assert timings[4000] < 8 * timings[1000] + 1, timings  # quadratic would be 16 times
    assert timings[4000] < 10, timings


# --- limits that fit forms ---------------------------------------------------------------------------


@pytest.mark.parametrize("paragraphs, shown", [
    (["<w:p/>"] * 1_000_000, "压缩比异常"),  # 130 KB that inflate to 6 MB
    ([f'<w:p w:rsidR="{random.getrandbits(32):08X}"/>' for _ in range(300_000)], "max_word_cells"),
])
def test_millions_of_empty_paragraphs_are_refused_quickly(tmp_path, good, paragraphs, shown):
    _docx(tmp_path / "docs" / "空段落.docx", "".join(paragraphs))
    started = time.perf_counter()
    result = _import(tmp_path / "docs", "--out", tmp_path / "o")
    assert time.perf_counter() - started < 20
    assert "空段落.docx" in result.output and shown in result.output
    assert len(_workbooks(tmp_path / "o")) == 1, "the good document is still imported"


def test_a_document_larger_than_the_word_limit_is_refused(tmp_path, monkeypatch):
    (tmp_path / "perfxl.toml").write_text("[limits]\nmax_word_mb = 1\n", encoding="utf-8")
    _docx(tmp_path / "大.docx", "<w:p><w:r><w:t>项目名称</w:t></w:r></w:p>",
          {"word/media/image1.png": bytes(2 * 2**20)})
    monkeypatch.chdir(tmp_path)
    result = _import("大.docx", "--out", "o")
    assert "超过 1 MB" in result.output and "max_word_mb" in result.output


def test_the_forms_per_document_are_capped_with_a_message(tmp_path, monkeypatch):
    (tmp_path / "perfxl.toml").write_text("[limits]\nmax_forms_per_document = 2\n", encoding="utf-8")
    seed_document(tmp_path / "三张.docx", *SEED[:3])
    seed_document(tmp_path / "两张.docx", *SEED[:2])
    monkeypatch.chdir(tmp_path)
    result = _import("三张.docx", "两张.docx", "--out", "o")
    assert "有 3 张绩效目标表，超过每个文档 2 张的上限" in result.output
    assert "max_forms_per_document" in result.output
    assert len(_workbooks(tmp_path / "o")) == 2, "the document within the cap is imported"


def test_a_3_gib_ole_file_is_not_read_whole(tmp_path):
    from perfxl.io.files import OLE_MAGIC

    big = tmp_path / "旧.docx"
    with big.open("wb") as handle:
        handle.write(OLE_MAGIC + bytes(504))
        handle.truncate(3 * 2**30)  # sparse: no disk used
    started = time.perf_counter()
    result = _import(big, "--out", tmp_path / "o")
    assert time.perf_counter() - started < 5
    assert "旧版 Word" in result.output


# --- one document's surprise fails that document only ------------------------------------------------


ODD = {
    "gridBefore x": "<w:tbl>" + _row(["项目名称", "甲"], '<w:trPr><w:gridBefore w:val="x"/></w:trPr>') + "</w:tbl>",
    "gridBefore huge": "<w:tbl>" + _row(["项目名称", "甲"], '<w:trPr><w:gridBefore w:val="99999999"/></w:trPr>') + "</w:tbl>",
    "gridSpan negative": "<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val=\"-3\"/></w:tcPr><w:p/></w:tc></w:tr></w:tbl>",
    "broken xml": "<w:p><w:r>",
    "entity": "<w:p><w:r><w:t>&lol;</w:t></w:r></w:p>",
}


@pytest.mark.parametrize("body", ODD.values(), ids=ODD.keys())
def test_an_odd_document_fails_alone_in_import_and_migrate(tmp_path, good, body):
    _docx(tmp_path / "docs" / "怪.docx", body)
    for command, out in ((_import, "oi"), (_migrate, "om")):
        result = command(tmp_path / "docs", "--out", tmp_path / out)
        assert isinstance(result.exception, SystemExit | None), result.output
        assert "Traceback" not in result.output
        assert any("上海科技" in name for name in _workbooks(tmp_path / out)), (command, result.output)
        assert "怪.docx" in result.output


# --- altChunk ---------------------------------------------------------------------------------------


def test_a_form_inside_an_altchunk_docx_is_read(tmp_path):
    seed_document(tmp_path / "inner.docx", SEED[0])
    rel = (f'<Relationship Id="rIdA" Type="{R}/aFChunk" Target="afchunk.docx" TargetMode="Internal"/>')
    _docx(tmp_path / "外.docx", '<w:altChunk r:id="rIdA"/>', {"word/afchunk.docx": (tmp_path / "inner.docx").read_bytes()},
          rel)
    result = _import(tmp_path / "外.docx", "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert len(_workbooks(tmp_path / "o")) == 1


def test_an_altchunk_in_another_format_is_said_not_to_be_read(tmp_path):
    rel = f'<Relationship Id="rIdA" Type="{R}/aFChunk" Target="afchunk.rtf"/>'
    _docx(tmp_path / "格式.docx", '<w:p><w:r><w:t>项目名称：甲</w:t></w:r></w:p><w:altChunk r:id="rIdA"/>',
          {"word/afchunk.rtf": b"{\\rtf1\\ansi \\par}"}, rel)
    result = _import(tmp_path / "格式.docx", "--out", tmp_path / "o")
    assert "afchunk.rtf" in result.output and "未能读取" in result.output


def test_an_altchunk_inside_a_table_cell_is_said_not_to_be_read(tmp_path):
    seed_document(tmp_path / "inner.docx", SEED[0])
    rel = f'<Relationship Id="rIdA" Type="{R}/aFChunk" Target="incell.docx"/>'
    cell = '<w:tbl><w:tr><w:tc><w:p/><w:altChunk r:id="rIdA"/></w:tc></w:tr></w:tbl>'
    _docx(tmp_path / "格中.docx", '<w:p><w:r><w:t>项目名称：甲</w:t></w:r></w:p>' + cell,
          {"word/incell.docx": (tmp_path / "inner.docx").read_bytes()}, rel)
    result = _import(tmp_path / "格中.docx", "--out", tmp_path / "o")
    assert "Traceback" not in result.output
    assert "incell.docx" in result.output and "未能读取" in result.output


def test_an_ordinary_form_still_imports_with_its_fields(tmp_path, good):
    result = _import(good, "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert len(_workbooks(tmp_path / "o")) == 1
    assert "未能读取：" not in result.output.replace("未能读取：无", "")


# --- writing: never over another command's file; disk full is one line ------------------------------


def test_a_workbook_created_meanwhile_by_another_command_is_never_overwritten(tmp_path, good, monkeypatch):
    from perfxl.convert import form_book

    real = form_book.save_book
    taken = []

    def save_then_race(book, temp):  # another command takes the name between the choice and the rename
        real(book, temp)
        for name in ("“上海科技”网站及网站群建设（运维）.xlsx",):
            (temp.parent / name).write_bytes(b"theirs")
            taken.append(name)

    monkeypatch.setattr(form_book, "save_book", save_then_race)
    result = _import(good, "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / taken[0]).read_bytes() == b"theirs"
    assert (tmp_path / "o" / "“上海科技”网站及网站群建设（运维）（2）.xlsx").stat().st_size > 1000
    assert not list((tmp_path / "o").glob(".perfxl-*")), "no temporary file left"


def test_without_hard_links_the_name_is_still_created_exclusively(tmp_path, monkeypatch):
    import os

    from perfxl.io.files import write_unique

    def no_links(*args):
        raise PermissionError("no hard links here")

    monkeypatch.setattr(os, "link", no_links)
    (tmp_path / "a.xlsx").write_bytes(b"theirs")
    taken = write_unique([tmp_path / "a.xlsx", tmp_path / "b.xlsx"], lambda temp: temp.write_bytes(b"ours"))
    assert taken == tmp_path / "b.xlsx" and taken.read_bytes() == b"ours"
    assert (tmp_path / "a.xlsx").read_bytes() == b"theirs"


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("command", [_import, _migrate])
def test_a_full_disk_is_one_line_per_document_and_nothing_ignored(tmp_path, good, monkeypatch, command):
    import errno
    from pathlib import Path

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    result = command(good, "--out", tmp_path / "o")
    assert "磁盘已满" in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit | None)
    assert not list((tmp_path / "o").glob("*.xlsx")) and not list((tmp_path / "o").glob(".perfxl-*"))


@pytest.mark.parametrize("command, module, function", [
    (_import, "perfxl.convert.placing", "write_form"), (_migrate, "perfxl.convert.migrate", "migrate_project")])
def test_a_surprise_while_writing_one_document_costs_that_document_only(tmp_path, good, monkeypatch, command,
                                                                        module, function):
    import importlib

    seed_document(tmp_path / "docs" / "另一个.docx", SEED[1])
    target = importlib.import_module(module)
    real = getattr(target, function)

    def surprise(*args, **kwargs):
        if "好" in str(args[1] if function == "migrate_project" else args[0].source):
            raise ValueError("surprise")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, function, surprise)
    result = command(tmp_path / "docs", "--out", tmp_path / "o")
    assert isinstance(result.exception, SystemExit | None), result.output
    assert "意外错误（ValueError）" in result.output
    assert len(_workbooks(tmp_path / "o")) == 1, result.output


@pytest.mark.parametrize("command", [_import, _migrate])
def test_a_device_or_a_fifo_given_as_a_document_is_refused_without_waiting(tmp_path, good, command):
    import os

    sources = [good, "/dev/zero"]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "管道.docx")
        sources.append(tmp_path / "管道.docx")
    started = time.perf_counter()
    result = command(*sources, "--out", tmp_path / "o")
    assert time.perf_counter() - started < 20
    assert "/dev/zero：失败" in result.output, result.output
    assert ("管道.docx：失败：不是普通文件" in result.output) == (len(sources) == 3)
    assert len(_workbooks(tmp_path / "o")) == 1


HTML_FORM = """<html><head><meta charset="utf-8"></head><body>
<p>财政项目支出绩效目标表</p>
<table><tr><td>项目名称</td><td colspan="3">网页生成的项目</td></tr>
<tr><td>主管部门</td><td>某局</td><td>实施单位</td><td>某中心</td></tr></table>
<table><tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>指标值</th></tr>
<tr><td rowspan="2">产出目标</td><td>数量</td><td>培训人次</td><td>≥100人次</td></tr>
<tr><td>质量</td><td>合格率</td><td>≥95%</td></tr></table></body></html>"""


@pytest.mark.parametrize("name, data", [
    ("afchunk.htm", HTML_FORM.encode("utf-8")),
    ("afchunk.mht", (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"B\"\r\n\r\n--B\r\n"
                     b"Content-Type: text/html; charset=\"gb18030\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                     ) + __import__("base64").encodebytes(HTML_FORM.encode("gb18030")) + b"\r\n--B--\r\n"),
])
def test_a_form_inside_an_html_or_mht_altchunk_is_read(tmp_path, name, data):
    from openpyxl import load_workbook

    rel = f'<Relationship Id="rIdA" Type="{R}/aFChunk" Target="{name}"/>'
    _docx(tmp_path / "网页.docx", '<w:altChunk r:id="rIdA"/>', {f"word/{name}": data}, rel)
    result = _import(tmp_path / "网页.docx", "--out", tmp_path / "o")
    assert "绩效指标 2 条" in result.output, result.output
    [workbook] = (tmp_path / "o").glob("*.xlsx")
    assert workbook.name == "网页生成的项目.xlsx"
    rows = [[c.value for c in row] for row in load_workbook(workbook)["绩效指标"].iter_rows(min_row=2, max_col=4)]
    assert rows[:2] == [["产出目标", "数量", "培训人次", "≥100人次"], [None, "质量", "合格率", "≥95%"]]


def test_a_workbook_renamed_docx_is_said_not_to_be_a_word_document(tmp_path, make_workbook):
    workbook = make_workbook("项目.xlsx")
    renamed = tmp_path / "改名.docx"
    renamed.write_bytes(workbook.read_bytes())
    result = _import(renamed, "--out", tmp_path / "o")
    assert "改名.docx：失败：不是 Word 文档" in result.output, result.output


@pytest.mark.parametrize("header", [b"\xff\xff", b"\x09\x00"])
def test_an_ole_header_with_odd_sector_sizes_is_still_just_a_legacy_file(tmp_path, header):
    from perfxl.io.files import OLE_MAGIC, office_container

    data = bytearray(OLE_MAGIC + bytes(600))
    data[0x1E:0x20] = header
    data[0x30:0x34] = b"\xff\xff\xff\xff"
    (tmp_path / "x.doc").write_bytes(bytes(data))
    assert office_container(tmp_path / "x.doc") == "legacy"


def test_an_encrypted_document_is_told_from_its_ole_directory_beyond_the_first_megabyte(tmp_path):
    from perfxl.io.files import ENCRYPTED_MARK, OLE_MAGIC, office_container

    data = bytearray(OLE_MAGIC + bytes(3 * 2**20))
    data[0x1E:0x20] = b"\x09\x00"
    data[0x30:0x34] = (5000).to_bytes(4, "little")  # the directory in sector 5000, 2.5 MB in
    data[5001 * 512 : 5001 * 512 + len(ENCRYPTED_MARK)] = ENCRYPTED_MARK
    (tmp_path / "x.docx").write_bytes(bytes(data))
    assert office_container(tmp_path / "x.docx") == "encrypted"
