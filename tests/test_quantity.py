"""The quantity grammar (perfxl/core/quantity.py): the spellings of the issue, and property tests that build
a target from its parts and check the reading against what the parts say (an oracle written here)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfxl.core.quantity import parse_target


@pytest.mark.parametrize(("written", "operator", "value", "unit"), [
    ("2小时内", "≤", "2", "小时"), ("3个工作日内", "≤", "3", "个工作日"), ("至少95%", "≥", "95", "%"),
    ("大于95%", ">", "95", "%"), ("超过95%", ">", "95", "%"), ("满意度≥95%", "≥", "95", "%"),
    ("≥95%以上", "≥", "95", "%"), ("95%以上（含）", "≥", "95", "%"), ("95%以上(不含)", ">", "95", "%"),
    ("≥95%。", "≥", "95", "%"), ("≥95％", "≥", "95", "%"), ("≥９５．５％", "≥", "95.5", "%"),
    ("不高于3次", "≤", "3", "次"), ("低于1%", "<", "1", "%"), ("小于1%", "<", "1", "%"), ("不少于10个", "≥", "10", "个"),
    ("10个及以上", "≥", "10", "个"), ("5天以下（含）", "≤", "5", "天"), ("24小时以内", "≤", "24", "小时"),
    ("≤400万", "≤", "400", "万"), ("≤0.04亿元", "≤", "0.04", "亿元"), ("≤4000千元", "≤", "4000", "千元"),
    ("1.5e3次", "=", "1500", "次"), ("≥1.2E+2人", "≥", "120", "人"), ("=100.00(%)", "=", "100.00", "%"),
])
def test_spellings_of_the_issue(written, operator, value, unit):
    target = parse_target(written)
    assert (target.operator, target.value, target.unit_of_measure) == (operator, D(value), unit), written


@pytest.mark.parametrize("written", ["≥××册", "××人次", "≥ＸＸ%", "≥XX%", "≥xx个", "＊＊次", "≥某个", "某", "≥X个"])
def test_placeholders_in_any_width(written):
    target = parse_target(written)
    assert target.placeholder and not target.quantitative


@pytest.mark.parametrize("written", ["X射线检测合格", "合规", "较上年提高", "某些方面有所改善"])
def test_texts_that_start_like_a_placeholder_are_not_one(written):
    assert not parse_target(written).placeholder


@pytest.mark.parametrize("written", ["90%-95%", "90~95%", "90%至95%", "1-2天", "3到5个"])
def test_a_range_is_refused_with_a_reason(written):
    target = parse_target(written)
    assert not target.quantitative and "范围" in target.problem


def test_an_operator_contradicted_by_its_suffix_is_refused():
    assert "意思相反" in parse_target("≤95%以上").problem


def test_scales_convert_to_one_base_unit():
    assert parse_target("≤349.8万元").base == ("元", D(10000))
    assert parse_target("≥0.8万人次").base == ("人次", D(10000))
    assert parse_target("≤5‰").base == ("%", D("0.1"))
    assert parse_target("≤400万").base == ("", D(10000))


# Property tests --------------------------------------------------------------------------------------

SYMBOL = {"≥": "≥", ">=": "≥", "≤": "≤", "<=": "≤", ">": ">", "<": "<", "=": "="}
BEFORE = {"不低于": "≥", "至少": "≥", "不少于": "≥", "不超过": "≤", "不高于": "≤", "超过": ">", "大于": ">",
          "低于": "<", "小于": "<"}
AFTER = {"以上": "≥", "及以上": "≥", "以下": "≤", "以内": "≤", "内": "≤"}
SCALE = {"": 1, "万": 10**4, "亿": 10**8, "千": 1000}
UNITS = ["元", "人次", "个", "册", "小时", "%", ""]
PUNCTUATION = ["", "。", "；", "，"]


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@st.composite
def targets(draw):
    """(text, operator, value in the base unit, base unit) from independently drawn parts."""
    cents = draw(st.integers(0, 10**9))
    number = D(cents) / 100
    written_number = f"{number:f}" if draw(st.booleans()) else f"{number:,f}"
    unit = draw(st.sampled_from(UNITS))
    scale = draw(st.sampled_from(list(SCALE))) if unit not in ("%", "") else ""
    how = draw(st.sampled_from(["symbol", "before", "after", "none"]))
    if how == "symbol":
        spelled = draw(st.sampled_from(list(SYMBOL)))
        text, operator = f"{spelled}{written_number}{scale}{unit}", SYMBOL[spelled]
    elif how == "before":
        spelled = draw(st.sampled_from(list(BEFORE)))
        text, operator = f"{spelled}{written_number}{scale}{unit}", BEFORE[spelled]
    elif how == "after" and (unit or scale):  # `95以上` with no unit reads the same, but keep the oracle simple
        spelled = draw(st.sampled_from(list(AFTER)))
        text, operator = f"{written_number}{scale}{unit}{spelled}", AFTER[spelled]
    else:
        text, operator = f"{written_number}{scale}{unit}", "="
    text += draw(st.sampled_from(PUNCTUATION))
    if draw(st.booleans()):
        text = full_width(text)
    if draw(st.booleans()):
        text = f" {text} "
    return text, operator, number * SCALE[scale], unit


@settings(max_examples=400, deadline=None)
@given(targets())
def test_any_spelling_built_from_parts_reads_as_the_parts_say(case):
    text, operator, value, unit = case
    target = parse_target(text)
    base, scale = target.base
    assert (target.operator, target.value * scale, base) == (operator, value, unit), text


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**8), st.integers(1, 10**8))
def test_two_numbers_joined_by_a_dash_are_never_read_as_one(low, high):
    for text in (f"{low}-{high}%", f"{low}~{high}个", f"{low}%至{high}%"):
        assert not parse_target(text).quantitative


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="合规提高完成较上年有所改善健全", min_size=1, max_size=12))
def test_words_without_digits_stay_qualitative(text):
    target = parse_target(text)
    assert (target.text, target.value) == (text, None)
