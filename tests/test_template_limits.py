"""Issue 22: a template (mail .txt.j2, Word .docx) is rendered within a time, a size and a depth; whatever
goes wrong is one line naming the template, exit 2, with the run's findings still printed."""

from __future__ import annotations

import email
import email.policy
import time
import zipfile

import jinja2
import pytest
from click.testing import CliRunner

from perfxl.cli.main import cli
from perfxl.core.config import shipped_layout
from perfxl.io.form_template import template_parts
from perfxl.io.render import sandbox

MAIL = "templates/邮件.txt.j2"
FORM = "templates/目标表.docx"

HOSTILE = {
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "loops without a call": "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
    "power": "{{ 9**(9**9) }}",
    "repeated text": "{{ 'a'*10**10 }}",
    "center": "{{ unit|center(10**10) }}",
    "center float": "{{ unit|center(1e10) }}",
    "slice": "{{ [1]|slice(10**9)|list }}",
    "batch padding": "{{ [1]|batch(10**9, 'x')|list }}",
    "percent width from args": "{{ '%*d'|format(1e9,1) }}",
    "percent width": "{{ '%999999999d' % 1 }}",
    "format width": "{{ '{:>1000000000}'.format(unit) }}",
    "str method width": "{{ unit.ljust(10**9) }}",
    "big int as text": "{{ (10**100000)|string }}",
    "recursive macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "doubling macro": "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('ab') }}",
    "doubling namespace": "{% set ns = namespace(s='a') %}{% for i in range(99) %}{% set ns.s = ns.s ~ ns.s %}"
                          "{% endfor %}",
    "captured output": "{% set x %}{% for i in range(100000) %}{{ 'a' * 1000 }}{% endfor %}{% endset %}{{ x }}",
    "replace": "{{ unit|replace('', 'b' * 100000)|replace('', 'c' * 100) }}",
    "join": "{{ ['x' * 1000000] * 3 | join }}{{ (['x' * 3000000] * 2)|join }}",
    "lorem ipsum": "{{ lipsum(10**9) }}",
    "joined operands": "{% set s = 'a' * 4000000 %}{{ s ~ s }}",
    "made anew each turn": "{% set s = 'a' * 4000000 %}{% set ns = namespace(l=[]) %}{% for i in range(2000) %}"
                           "{% set ns.l = ns.l + [s ~ i] %}{% endfor %}",
    "indent": "{{ ('\\n' * 1000000)|indent(1000) }}",
    "expandtabs": "{{ ('\\t' * 1000000).expandtabs(1000) }}",
    "repeated bytes": "{{ 'ab'.encode() * 10**10 }}",
    "division by zero": "{{ (unit|length) // 0 }}",
}


@pytest.fixture
def quick(monkeypatch):
    """A render limit of 1 s instead of 10, so that a runaway loop costs the test 1 s."""
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 1.0)


def _cli(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def _refused_quickly(command: str):
    """`perfxl command input output`, which must end within seconds with exit 2 and no traceback."""
    started = time.perf_counter()
    result = _cli(command, "input", "output")
    assert time.perf_counter() - started < 20
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), "no traceback"
    return result


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_expression_is_refused_quickly_as_a_template_problem(body, quick):
    env = sandbox.environment(undefined=jinja2.StrictUndefined)
    started = time.perf_counter()
    with pytest.raises(sandbox.TemplateProblem):
        sandbox.render(env.from_string(body), {"unit": "某单位"})
    assert time.perf_counter() - started < 3


def test_a_self_including_template_is_refused_as_too_deep(tmp_path):
    (tmp_path / "a.j2").write_text("a{% include 'a.j2' %}", encoding="utf-8")
    env = sandbox.environment(loader=sandbox.template_loader(tmp_path))
    with pytest.raises(sandbox.TemplateProblem, match="嵌套过深"):
        sandbox.render(env.get_template("a.j2"), {})


def test_ordinary_templates_still_render(tmp_path):
    env = sandbox.environment(undefined=jinja2.StrictUndefined)
    text = ("{{ unit }}|{{ '%.2f'|format(3.14159) }}|{{ '{:>6}'.format('ab') }}|{{ 2**10 }}|{{ unit|center(8) }}|"
            "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}|"
            "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m('y') }}|{{ ['a', 'b']|join('、') }}|{{ 'a-b'|replace('-', '+') }}|"
            "{{ unit ~ 1 ~ 'x' }}|{{ 'a\\nb'|indent(2) }}|{{ '%s元'|format(1234567) }}|{{ '{}'.format(7654321) }}|"
            "{{ '%d' % 3498000 }}|{{ 'abcdef'|truncate(5000) }}|{{ [1, 2, 3]|batch(2)|list|length }}")
    assert sandbox.render(env.from_string(text), {"unit": "单位"}) == \
        "单位|3.14|    ab|1024|   单位   |3|<y>|a、b|a+b|单位1x|a\n  b|1234567元|7654321|3498000|abcdef|2"


# --- through the CLI: mail ---------------------------------------------------------------------------


def _mail_template(tmp_path, text: str, encoding: str = "utf-8") -> None:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / MAIL).write_bytes(text.encode(encoding))


@pytest.mark.parametrize("body", [HOSTILE["nested loops"], HOSTILE["power"], HOSTILE["format width"],
                                  HOSTILE["big int as text"], "{{ unit|yuan }}", "{% include '邮件.txt.j2' %}",
                                  "{{ unit.x.y }}", "{% for %}", "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
                                  "{{ unit }}" * 6000])
def test_mail_with_a_hostile_template_says_so_in_one_line(body, make_workbook, tmp_path, monkeypatch, quick):
    make_workbook("项目.xlsx")
    _mail_template(tmp_path, f"主题：{body}\n正文\n")
    monkeypatch.chdir(tmp_path)
    result = _refused_quickly("mail")
    assert "邮件.txt.j2" in result.output and "有误" in result.output
    assert "Traceback" not in result.output
    assert not list((tmp_path / "output").rglob("*.eml"))


def _subject(tmp_path) -> str:
    draft = next((tmp_path / "output").rglob("*.eml")).read_bytes()
    return email.message_from_bytes(draft, policy=email.policy.default)["Subject"]


def test_a_mail_template_saved_with_a_bom_gives_a_clean_subject(make_workbook, tmp_path, monkeypatch):
    make_workbook("项目.xlsx")
    _mail_template(tmp_path, "\ufeff主题：{{ unit }}的目标表\n正文\n")
    monkeypatch.chdir(tmp_path)
    result = _cli("mail", "input", "output")
    assert result.exit_code == 0, result.output
    assert not _subject(tmp_path).startswith("\ufeff") and _subject(tmp_path).endswith("的目标表")


def test_a_mail_template_saved_as_gbk_is_refused_saying_to_save_as_utf8(make_workbook, tmp_path, monkeypatch):
    make_workbook("项目.xlsx")
    _mail_template(tmp_path, "主题：{{ unit }}的目标表\n正文\n", "gbk")
    monkeypatch.chdir(tmp_path)
    result = _cli("mail", "input", "output")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), "no traceback"
    assert "GBK" in result.output and "UTF-8" in result.output and "邮件.txt.j2" in result.output


# --- through the CLI: the Word form ------------------------------------------------------------------


def _form_template(tmp_path, expression: str, bom: bool = False, encoding: str = "utf-8") -> None:
    parts = template_parts(shipped_layout("上海2020"))
    xml = parts["word/document.xml"].replace("{{ project_name }}", expression, 1)
    if encoding != "utf-8":
        xml = xml.replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
        assert f'encoding="{encoding}"' in xml
    parts["word/document.xml"] = ("\ufeff" if bom else "") + xml
    (tmp_path / "templates").mkdir(exist_ok=True)
    with zipfile.ZipFile(tmp_path / FORM, "w") as package:
        for name, text in parts.items():
            package.writestr(name, text.encode(encoding if name == "word/document.xml" else "utf-8"))


@pytest.fixture
def batch_with_a_finding(make_workbook, clean_project):
    """Two workbooks: one that passes (its form is rendered) and one with an error the run reports."""
    make_workbook("通过.xlsx")
    fields, indicators = clean_project
    fields["项目名称"] = ""
    make_workbook("有错.xlsx", fields, indicators)


@pytest.mark.parametrize("expression", [HOSTILE["nested loops"], HOSTILE["repeated text"], HOSTILE["center"],
                                        HOSTILE["recursive macro"], "{{ (project_name|length) / 0 }}",
                                        "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "{{ unit }}" * 6000])
def test_run_with_a_hostile_word_template_prints_the_findings_then_fails_in_one_line(
        expression, batch_with_a_finding, tmp_path, monkeypatch, quick):
    _form_template(tmp_path, expression)
    monkeypatch.chdir(tmp_path)
    result = _refused_quickly("run")
    assert "有错.xlsx" in result.output, "the findings are printed before the failure"
    assert FORM in result.output and ("无法填写" in result.output or "占位符" in result.output)
    assert not list((tmp_path / "output" / "目标表").glob("*.docx")), "no form written"


@pytest.mark.parametrize("bom, encoding", [(True, "utf-8"), (False, "GBK")])
def test_a_word_template_with_a_bom_in_its_xml_or_an_ordinary_expression_still_fills(
        batch_with_a_finding, tmp_path, monkeypatch, bom, encoding):
    _form_template(tmp_path, "{{ project_name }}（{{ '%s'|format(unit) }}）", bom=bom, encoding=encoding)
    monkeypatch.chdir(tmp_path)
    result = _cli("run", "input", "output")
    assert result.exit_code == 1, result.output  # the error of 有错.xlsx
    forms = list((tmp_path / "output" / "目标表").glob("*.docx"))
    assert len(forms) == 1
    import docx

    assert any("（" in p.text for p in docx.Document(str(forms[0])).paragraphs + [
        c.paragraphs[0] for t in docx.Document(str(forms[0])).tables for r in t.rows for c in r.cells])


# --- the Word template's size ------------------------------------------------------------------------


def _template_with_part(tmp_path, name: str, data: bytes) -> None:
    _form_template(tmp_path, "{{ project_name }}")
    with zipfile.ZipFile(tmp_path / FORM, "a", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr(name, data)


@pytest.mark.parametrize("megabytes", [3, 30])
def test_a_word_template_that_inflates_is_refused_with_the_findings_printed(batch_with_a_finding, tmp_path,
                                                                            monkeypatch, megabytes):
    _template_with_part(tmp_path, "word/media/image1.png", bytes(megabytes * 2**20))
    assert (tmp_path / FORM).stat().st_size < 200_000
    monkeypatch.chdir(tmp_path)
    result = _refused_quickly("run")
    assert "有错.xlsx" in result.output and FORM in result.output and "疑似异常文件" in result.output


def test_forms_are_compressed_even_when_a_template_part_is_not(batch_with_a_finding, tmp_path, monkeypatch):
    _template_with_part(tmp_path, "word/media/image1.png", bytes(2**20))  # 1 MB: within the limits
    monkeypatch.chdir(tmp_path)
    result = _cli("run", "input", "output")
    assert result.exit_code == 1, result.output
    form = next((tmp_path / "output" / "目标表").glob("*.docx"))
    assert form.stat().st_size < 100_000
    with zipfile.ZipFile(form) as package:
        assert package.read("word/media/image1.png") == bytes(2**20)


def _render_in_child(queue) -> None:
    env = sandbox.environment()
    queue.put(sandbox.render(env.from_string("{{ 1 + 1 }}"), {}))


def test_a_worker_forked_while_the_watchdog_holds_its_lock_still_renders():
    import multiprocessing

    from perfxl.io.render import watchdog

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this system")
    sandbox.render(sandbox.environment().from_string("x"), {})  # the watchdog thread runs
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    with watchdog._WATCHDOG.lock:  # as if its thread held it at the moment of the fork
        child = context.Process(target=_render_in_child, args=(queue,))
        child.start()
    try:
        assert queue.get(timeout=20) == "2"
    finally:
        child.kill()  # ends a child that hangs (the failure this test is about); harmless once it is done
        child.join(20)


def test_a_template_that_hangs_costs_the_limit_once_per_process(config, tmp_path, quick):
    """A worker writing a chunk of forms: after the first form its template could not fill, each next one
    fails at once instead of after its own 10 s."""
    from perfxl.core.paths import BUILT_IN_DIR
    from perfxl.io.forms import FormError, FormTemplate
    from perfxl.target.reader import read_project

    _form_template(tmp_path, HOSTILE["nested loops"])
    template = FormTemplate.load(tmp_path / FORM, config.layout("上海2020"))
    workbook = sorted((BUILT_IN_DIR.parent.parent / "examples").glob("01_*.xlsx"))[0]
    project = read_project(workbook, workbook.name, config).project
    took = []
    for _ in range(3):
        started = time.perf_counter()
        with pytest.raises(FormError, match="渲染超过 1 秒"):
            template.render(project)
        took.append(time.perf_counter() - started)
    assert took[0] > 0.9 and took[2] < 0.2, took


def test_forms_are_compressed_when_a_template_has_many_small_parts(batch_with_a_finding, tmp_path, monkeypatch):
    _form_template(tmp_path, "{{ project_name }}")
    with zipfile.ZipFile(tmp_path / FORM, "a", compression=zipfile.ZIP_DEFLATED) as package:
        for number in range(100):  # 100 parts of 60 KB each: every one small, 6 MB in all
            package.writestr(f"word/media/image{number}.png", bytes(60_000))
    monkeypatch.chdir(tmp_path)
    assert _cli("run", "input", "output").exit_code == 1
    form = next((tmp_path / "output" / "目标表").glob("*.docx"))
    assert form.stat().st_size < 200_000


def test_a_selfeval_form_of_many_rows_gets_the_allowance_a_target_form_gets(tmp_path, monkeypatch):
    from decimal import Decimal

    from perfxl.core.config import load_config
    from perfxl.selfeval.book import Row, SelfEvaluation
    from perfxl.selfeval.form import Scored, compiled_template
    from perfxl.selfeval.scoring import score

    monkeypatch.setattr(sandbox, "MAX_TEXT", 50_000)  # far less than 600 rows of 200 characters make
    rows = [Row(10 + i, "产出指标", "数量指标", f"指标{i}" + "说明" * 100, "≥1个", "1个", points=Decimal(1))
            for i in range(600)]
    evaluation = SelfEvaluation("甲.xlsx", {"project_name": "甲", "year": "2026"}, rows)
    settings = load_config().selfeval
    compiled_template().write(Scored(evaluation, score(evaluation, settings), settings), tmp_path / "甲.docx")
    with zipfile.ZipFile(tmp_path / "甲.docx") as form:
        assert form.read("word/document.xml").decode("utf-8").count("指标599") == 1
