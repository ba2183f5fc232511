"""perfxl migrate: the six 2020 samples become 上海2026 workbooks whose only 错误 are the cells left to a
person; indicators under their mapped headings; --year, --department; bad files; never overwriting."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from builders import bad_documents
from click.testing import CliRunner
from conftest import ROOT, SAMPLE_2026, SAMPLES, SEED
from test_import import seed_document

from perfxl.cli.main import cli
from perfxl.convert.form_book import TO_FILL, TO_REVIEW
from perfxl.core.config import ConfigError, load_config
from perfxl.core.model import ERROR
from perfxl.target.pipeline import validate
from perfxl.target.reader import read_project

# The mapping, written out here so that the layout file is checked against it.
MAPPED = {("产出目标", "数量"): ("产出指标", "数量指标"), ("产出目标", "质量"): ("产出指标", "质量指标"),
          ("产出目标", "时效"): ("产出指标", "时效指标"), ("产出目标", "成本"): ("成本指标", "经济成本指标"),
          ("效果目标", "经济效益"): ("效益指标", "经济效益指标"), ("效果目标", "社会效益"): ("效益指标", "社会效益指标"),
          ("效果目标", "生态效益"): ("效益指标", "生态效益指标"),
          ("效果目标", "可持续影响"): ("效益指标", "可持续影响指标"),
          ("效果目标", "满意度"): ("满意度指标", "服务对象满意度指标")}
NATURES = {"经常性专项业务费": "经常性项目", "其他经常性项目": "经常性项目", "其他一次性项目": "一次性项目",
           "跨年度项目": "阶段性项目"}


def _mapped(level1: str, level2: str) -> tuple[str, str]:
    return ("效益指标", "可持续影响指标") if level1 == "影响力目标" else MAPPED[level1, level2]


def _migrate(*args: str):
    return CliRunner().invoke(cli, ["migrate", *args])


def _marked(path) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> "fill" or "review" for every highlighted cell of a written workbook."""
    book = openpyxl.load_workbook(path)
    found = {}
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                colour = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
                kind = {f"00{TO_FILL.fgColor.rgb[-6:]}": "fill", f"00{TO_REVIEW.fgColor.rgb[-6:]}": "review"}.get(colour)
                if kind:
                    found[sheet.title, cell.coordinate] = kind
    return found


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """The six 2020 samples migrated by the CLI: (result, output folder, source file -> workbook)."""
    out = tmp_path_factory.mktemp("migrated")
    result = _migrate(*[str(SAMPLES / seed["file"]) for seed in SEED], "--out", str(out))
    config = load_config(ROOT / "perfxl" / "defaults.toml")
    by_name = {read_project(p, p.name, config).project.project_name: p for p in out.glob("*.xlsx")}
    return result, out, {seed["file"]: by_name[seed["info"]["项目名称"]] for seed in SEED}


def test_the_six_samples_migrate_with_errors_exactly_at_the_cells_left_to_a_person(migrated, config):
    result, out, files = migrated
    assert result.exit_code == 0, result.output
    assert "文件 6 个（失败 0），写出新版式工作簿 6 个" in result.output
    batch = validate(out, config)
    for path in files.values():
        errors = {(f.sheet, f.cell) for f in batch.findings if f.file == path.name and f.severity == ERROR}
        marks = _marked(path)
        to_fill = {place for place, kind in marks.items() if kind == "fill"}
        assert errors == to_fill
        # 主管部门, 年度总体目标 (S03) and the added 成本指标 row's 三级 and 指标值 (T04): no sample has a 成本
        project = read_project(path, path.name, config).project
        assert {project.cells["department"], project.cells["annual_goal"], "C2", "D2"} == {c for _, c in to_fill}
        assert [place for place, kind in marks.items() if kind == "review"] == [("项目信息", project.cells["category"])]
        sheet = openpyxl.load_workbook(path)["项目信息"]
        assert "主管部门" in sheet[project.cells["department"]].comment.text
        assert "特定目标类" in sheet[project.cells["category"]].comment.text


@pytest.mark.parametrize("seed", SEED, ids=[s["file"] for s in SEED])
def test_fields_and_indicators_are_carried_under_their_mapped_headings(migrated, config, seed):
    source = read_project(SAMPLES / seed["file"], "x.xlsx", config).project
    target = read_project(migrated[2][seed["file"]], "x.xlsx", config).project
    assert (target.layout, target.project_name, target.unit, target.start_date, target.end_date, target.year) == (
        "上海2026", source.project_name, source.unit, source.start_date, source.end_date, source.year)
    assert target.get("overall_goal") == source.goals
    assert (target.get("overview"), target.get("basis"), target.get("plan")) == (source.overview, source.basis, source.plan)
    assert target.get("nature") == NATURES[source.category] and target.category == "特定目标类"
    assert [target.get(n) for n in ("project_funds", "project_fiscal_funds", "project_other_funds")] == [
        source.total_budget, source.total_budget, 0]
    assert [target.get(n) for n in ("annual_funds", "annual_appropriation", "carryover", "annual_other_funds")] == [
        source.annual_budget, source.annual_budget, 0, 0]
    expected = sorted((*_mapped(i.level1, i.level2), i.level3, i.written) for i in source.indicators
                      if i.level1 != "投入与管理")
    carried = [(i.level1, i.level2, i.level3, i.written) for i in target.indicators if i.level3]
    assert sorted(carried) == expected
    levels = [i.level1 for i in target.indicators]
    assert levels == sorted(levels, key=["成本指标", "产出指标", "效益指标", "满意度指标"].index)


def test_the_screen_names_each_dropped_indicator_and_what_to_fill(migrated):
    output = migrated[0].output
    for seed in SEED:
        block = output.split(seed["file"])[1]
        dropped = next(line for line in block.splitlines() if line.startswith("  未带入"))
        names = [row[2] for row in seed["indicators"] if row[2] in ("资金到位率", "资金使用规范性", "管理制度健全性", "资产使用合规性")]
        assert names and all(f"投入与管理「{name}」" in dropped for name in names)
        assert "  请填写（已标色并加批注）：主管部门、年度总体目标、成本指标（第 1 条指标）" in block


def test_a_cost_indicator_is_carried_and_no_empty_row_is_added(make_workbook, clean_project, tmp_path, config):
    fields, indicators = clean_project
    indicators.insert(7, ["", "成本", "运维成本", "≤100万元"])
    make_workbook("项目.xlsx", fields, indicators)
    result = _migrate(str(tmp_path / "input"), "--out", str(tmp_path / "out"), "--department", "上海市科学技术委员会")
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "out").glob("*.xlsx")
    project = read_project(path, "x.xlsx", config).project
    assert (project.indicators[0].level1, project.indicators[0].level3) == ("成本指标", "运维成本")
    assert project.get("department") == "上海市科学技术委员会" and project.get("nature") == "一次性项目"
    errors = {f.cell for f in validate(tmp_path / "out", config).findings if f.severity == ERROR}
    assert errors == {project.cells["annual_goal"]} == {cell for (_, cell), kind in _marked(path).items() if kind == "fill"}


def test_year_rolls_forward_and_leaves_the_new_request_to_fill(tmp_path, config):
    seed = SEED[2]
    result = _migrate(str(SAMPLES / seed["file"]), "--out", str(tmp_path), "--year", "2027")
    assert result.exit_code == 0, result.output
    [path] = tmp_path.glob("*.xlsx")
    project = read_project(path, "x.xlsx", config).project
    assert (project.year, project.start_date, project.end_date) == (2027, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert project.get("annual_funds") is None and project.get("project_funds") is not None
    errors = {(f.sheet, f.cell) for f in validate(tmp_path, config).findings if f.severity == ERROR}
    assert errors == {place for place, kind in _marked(path).items() if kind == "fill"}
    assert ("预算", project.cells["annual_funds"]) in errors
    carried = next(line for line in result.output.splitlines() if "已带入" in line)
    assert "项目资金总额" in carried and "年度资金申请总额" not in carried, "the screen says what the workbook holds"


def test_a_2020_word_form_migrates_like_its_workbook(tmp_path, migrated, config):
    seed = SEED[4]
    seed_document(tmp_path / "form.docx", seed)
    result = _migrate(str(tmp_path / "form.docx"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "out").glob("*.xlsx")
    from_word = read_project(path, "x.xlsx", config).project
    from_workbook = read_project(migrated[2][seed["file"]], "x.xlsx", config).project
    assert [(i.level1, i.level2, i.level3, i.target) for i in from_word.indicators] == [
        (i.level1, i.level2, i.level3, i.target) for i in from_workbook.indicators]
    assert from_word.get("overall_goal") == from_workbook.get("overall_goal")


def test_nothing_is_overwritten(tmp_path):
    source = str(SAMPLES / SEED[1]["file"])
    assert _migrate(source, "--out", str(tmp_path)).exit_code == 0
    [first] = tmp_path.glob("*.xlsx")
    first.write_bytes(b"edited by the user")
    result = _migrate(source, "--out", str(tmp_path))
    assert result.exit_code == 0 and "未覆盖" in result.output
    assert first.read_bytes() == b"edited by the user"
    assert (tmp_path / f"{first.stem}（2）.xlsx").is_file()


def test_bad_and_non_2020_files_get_a_message_and_the_others_go_on(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "good.xlsx").write_bytes((SAMPLES / SEED[0]["file"]).read_bytes())
    (folder / "new.xlsx").write_bytes((SAMPLES / SAMPLE_2026["file"]).read_bytes())
    bad_documents(folder)
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04" + bytes(100))
    result = _migrate(str(folder), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    for file, message in [("new.xlsx", "是 上海2026 版式，无需迁移（可迁移的版式：上海2020、上海2023）"),
                          ("old.doc", "旧版 Word（.doc）格式"), ("locked.docx", "设置了打开密码"),
                          ("broken.xlsx", "失败："), ("memo.docx", "没有找到绩效目标表")]:
        assert any(file in line and message in line for line in result.output.splitlines()), file
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == 1
    assert "文件 6 个（失败 5），写出新版式工作簿 1 个" in result.output


def test_a_migration_table_naming_an_unknown_field_is_a_config_error(tmp_path):
    path = tmp_path / "perfxl.toml"
    path.write_text('[layout."上海2026".migrate.from."上海2020".fields]\nbudget = "total_budget"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="字段「budget」不在本版式的 fields 中"):
        load_config(path)


def test_a_hierarchy_the_migration_table_no_longer_fits_stops_migrate_only(tmp_path):
    """perfxl.toml may rename the 2020 一级: loading still works, migrate says which mapping no longer fits."""
    path = tmp_path / "perfxl.toml"
    path.write_text('[profile.hierarchy]\n"产出" = ["数量"]\n"效果" = ["满意度"]\n', encoding="utf-8")
    assert load_config(path).layout("上海2020").hierarchy == {"产出": ["数量"], "效果": ["满意度"]}
    result = _migrate(str(SAMPLES / SEED[0]["file"]), "--out", str(tmp_path / "out"), "--config", str(path))
    assert result.exit_code == 2
    assert "「产出目标/数量」不是 上海2020 的一级/二级" in result.output
    assert list((tmp_path / "out").glob("*")) == []


def test_budget_lines_and_notes_are_carried_and_the_rest_is_named(tmp_path, make_workbook, config):
    """预算明细 lines and each indicator's 备注 reach the new workbook; the 2020 fields and the 投入与管理
    indicators with no place in 上海2026 are named on screen."""
    from conftest import CLEAN_FIELDS, CLEAN_INDICATORS

    indicators = [[*row, "按季度统计" if row[2] == "年检索量" else ""] for row in CLEAN_INDICATORS]
    lines = [["数据库运维服务", 600000, "按合同"], ["硬件维保", 400000, ""]]
    path = make_workbook("科技文献.xlsx", CLEAN_FIELDS, indicators, lines)
    result = _migrate(str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "预算明细 2 行（合计应等于年度资金申请总额）" in result.output
    dropped = next(line for line in result.output.splitlines() if "未带入" in line)
    for name in ("是否含有政府购买服务", "绩效类型", "项目设立的必要性", "保证项目实施的制度、措施", "投入与管理「资金到位率」"):
        assert name in dropped
    project = read_project(tmp_path / "out" / "科技文献数据库运维.xlsx", "x.xlsx", config).project
    assert [(line.item, line.amount, line.note) for line in project.budget_lines] == [
        ("数据库运维服务", 600000, "按合同"), ("硬件维保", 400000, "")]
    assert [(i.level3, i.note) for i in project.indicators if i.note] == [("年检索量", "按季度统计")]
    assert "B09" not in {f.rule for f in read_project(tmp_path / "out" / "科技文献数据库运维.xlsx", "x", config).findings}


def test_migrating_into_a_folder_that_holds_the_project_never_sets_up_x01(tmp_path):
    source = str(SAMPLES / SEED[0]["file"])
    assert _migrate(source, "--out", str(tmp_path / "out")).exit_code == 0
    again = _migrate(source, "--out", str(tmp_path / "out"))
    assert again.exit_code == 0 and "内容相同，未重复写入" in again.output
    changed = _migrate(source, "--out", str(tmp_path / "out"), "--department", "上海市科学技术委员会")
    assert changed.exit_code == 1 and "内容不同，未写入" in changed.output
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == 1
    assert _migrate(source, "--out", str(tmp_path / "out"), "--department", "上海市科学技术委员会",
                    "--replace").exit_code == 0
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == 1
