"""Arbitrary values in every field, and byte flips in the sample workbooks: never a crash, always a finding."""

from __future__ import annotations

import datetime as dt
import io
import random
import shutil
import tempfile
import zipfile
from pathlib import Path

import openpyxl
from conftest import CLEAN_FIELDS, CLEAN_INDICATORS, ROOT, SAMPLES, is_form_link
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from perfxl.core.config import load_config, shipped_layout
from perfxl.core.model import FAILED, PROCESSED
from perfxl.target.pipeline import validate, write_outputs
from perfxl.target.template import fill_template

FIELDS = shipped_layout("上海2020").fields

CONFIG = load_config(ROOT / "perfxl" / "defaults.toml")
# openpyxl refuses the XML-illegal control characters; Excel cannot hold them either
LEGAL = st.characters(blacklist_categories=("Cs",),
                      blacklist_characters=[chr(i) for i in range(32) if chr(i) not in "\t\n\r"])
TEXT = st.text(LEGAL, max_size=40)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1)),
    TEXT,
    st.builds(lambda op, text: op + text, st.sampled_from(["=", "+", "-", "@", "=HYPERLINK(", "> =", "≥"]), TEXT),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["长", "𠀀", "a", " "]), st.integers(10_000, 40_000)),
)
SURE_FINDINGS = {"S03", "S04", "S06"}


def _crash_net(batch) -> list:
    return [f for f in batch.findings if f.rule == "S01" and "意外错误" in f.message]


def _assert_report_is_safe(output: Path) -> None:
    book = openpyxl.load_workbook(output / "绩效目标汇总.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s" and len(cell.value) <= 32767
                    assert cell.hyperlink is None or is_form_link(cell)


@settings(max_examples=int(__import__("os").environ.get("PERFXL_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    fields=st.fixed_dictionaries({label: VALUES for label in CLEAN_FIELDS}),
    indicators=st.lists(st.lists(VALUES, min_size=5, max_size=5), min_size=0, max_size=6),
    budget_lines=st.lists(st.lists(VALUES, min_size=3, max_size=3), max_size=3),
)
@example(  # found in CI: a prior budget of 1e-313 made a rate of 1e313 (InvalidOperation, then inf in Excel)
    fields={**dict.fromkeys(CLEAN_FIELDS), "同名项目上年预算额（元）": -2.2250738585e-313, "同名项目上年预算执行数（元）": 1},
    indicators=[], budget_lines=[])
def test_any_values_in_any_field_become_findings_never_exceptions(fields, indicators, budget_lines):
    with tempfile.TemporaryDirectory() as temp:
        folder, output = Path(temp) / "input", Path(temp) / "output"
        folder.mkdir()
        fill_template(CONFIG, fields, indicators or CLEAN_INDICATORS, budget_lines).save(folder / "随机.xlsx")

        batch = validate(folder, CONFIG)

        assert len(batch.ledger) == 1 and batch.ledger[0].status in (PROCESSED, FAILED)
        assert not _crash_net(batch)
        project = batch.projects[0]
        for spec in FIELDS:
            if spec.need == "required" and getattr(project, spec.name) is None:
                cell = project.cells.get(spec.name, "")
                assert any(f.rule in SURE_FINDINGS and (f.cell == cell or spec.label in f.message)
                           for f in batch.findings), f"{spec.label} is unknown without a finding"
        write_outputs(batch, output, CONFIG)
        _assert_report_is_safe(output)


def _flip(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        position = rng.randrange(len(mutated))
        mutated[position] ^= 1 << rng.randrange(8)
    if rng.random() < 0.1:
        mutated = mutated[: rng.randrange(len(mutated))]  # a file cut short on its way
    return bytes(mutated)


def _flip_inside(data: bytes, rng: random.Random) -> bytes:
    """Flip bytes in one XML part and zip it again, so that the zip's checksums hold and the parsers see it."""
    with zipfile.ZipFile(io.BytesIO(data)) as old:
        names = old.namelist()
        victim = rng.choice([n for n in names if n.startswith("xl/")])
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
            for name in names:
                part = old.read(name)
                new.writestr(name, _flip(part, rng) if name == victim else part)
    return out.getvalue()


def test_flipped_bytes_in_the_samples_are_read_or_reported(tmp_path):
    rng = random.Random(20210101)
    samples = sorted((SAMPLES).glob("*.xlsx"))
    folder = tmp_path / "input"
    folder.mkdir()
    for i in range(300):
        sample = samples[i % len(samples)]
        flip = _flip if i % 2 else _flip_inside
        (folder / f"{i:03d}_{sample.name}").write_bytes(flip(sample.read_bytes(), rng))

    batch = validate(folder, CONFIG)

    assert sorted(e.file for e in batch.ledger) == sorted(p.name for p in folder.iterdir())
    assert {e.status for e in batch.ledger} <= {PROCESSED, FAILED}
    assert not _crash_net(batch), [f.message for f in _crash_net(batch)][:3]
    failed = [e for e in batch.ledger if e.status == FAILED]
    assert all(e.message for e in failed)
    assert 0 < len(failed) < 300, "some variants survive a flip in padding, most do not"
    write_outputs(batch, tmp_path / "output", CONFIG)
    _assert_report_is_safe(tmp_path / "output")
    shutil.rmtree(folder)
