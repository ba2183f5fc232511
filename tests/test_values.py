"""Parsing of what people type: labels, amounts, dates, years and the target grammar of rules.md."""

from __future__ import annotations

import datetime as dt

import pytest

from perfxl.core.quantity import parse_target
from perfxl.core.values import (
    ParseError,
    clean_text,
    label_key,
    parse_amount,
    parse_date,
    parse_year,
)


@pytest.mark.parametrize("written", [
    "项目总预算（元）", "项目总预算(元)", "项目总预算(元)：", "项目总预算（元）:", "*项目总预算（元）",
    "项目总预算（元）*", " 项目 总预算（元） ", "\u3000项目总预算（元）\u3000", "*项目总预算(元) ：",
])
def test_label_variants_match_the_contract_label(written):
    assert label_key(written) == label_key("项目总预算（元）")


@pytest.mark.parametrize("other", ["项目总预算", "项目当年预算（元）", "项目总预算（万元）"])
def test_different_labels_do_not_match(other):
    assert label_key(other) != label_key("项目总预算（元）")


@pytest.mark.parametrize(("written", "expected"), [
    (1338310, 1338310.0), (1338310.5, 1338310.5), ("1338310", 1338310.0), ("1,338,310", 1338310.0),
    ("1338310元", 1338310.0), ("１３３８３１０", 1338310.0), ("１，３３８，３１０元", 1338310.0),
    (" 1,338,310.50 ", 1338310.5), ("133.8万元", 1338000.0),
])
def test_amount_forms(written, expected):
    assert parse_amount(written) == expected


@pytest.mark.parametrize(("written", "expected"), [
    (2.2250738585e-313, "0"), (-2.2250738585e-313, "0"), (5.551115123125783e-17, "0"), ("0.004", "0"),
    (0.005, "0.005"), (-0.01, "-0.01"), (1338310.004, "1338310.004"),
])
def test_under_half_a_fen_reads_as_zero_as_excel_shows_it(written, expected):
    from decimal import Decimal

    assert parse_amount(written) == Decimal(expected)


def test_a_prior_budget_of_a_float_residue_gives_no_rate():
    from perfxl.core.model import Project

    project = Project(file="a.xlsx", prior_budget=parse_amount(2.2250738585e-313), prior_spent=parse_amount(1),
                      annual_budget=parse_amount(100))
    assert project.prior_execution_rate is None and project.budget_change is None


@pytest.mark.parametrize("written", ["约一百万", "1338310美元", "1.2.3", True, "待定"])
def test_unreadable_amounts_raise_parse_error(written):
    with pytest.raises(ParseError):
        parse_amount(written)


@pytest.mark.parametrize("written", [
    dt.datetime(2020, 1, 1), dt.date(2020, 1, 1), "2020-01-01", "2020/1/1", "2020.1.1", "2020年1月1日",
    "2020年01月01日", "20200101", 20200101, 43831, 43831.0, "２０２０年１月１日", "2020-01-01 00:00:00",
])
def test_date_forms(written):
    assert parse_date(written) == dt.date(2020, 1, 1)


@pytest.mark.parametrize("written", ["2020-02-30", "明年一月", "2020年1月", "1/1/2020", True, -3])
def test_unreadable_dates_raise_parse_error(written):
    with pytest.raises(ParseError):
        parse_date(written)


@pytest.mark.parametrize("written", [2020, 2020.0, "2020", "2020年", "2020年度", " 2020 ", "２０２０年度"])
def test_year_forms(written):
    assert parse_year(written) == 2020


@pytest.mark.parametrize("written", ["20", "二〇二〇", "2020-2021", "1900", True])
def test_unreadable_years_raise_parse_error(written):
    with pytest.raises(ParseError):
        parse_year(written)


@pytest.mark.parametrize(("written", "operator", "value", "unit", "shown"), [
    ("≥98%", "≥", 98, "%", "≥98%"),
    (">=98%", "≥", 98, "%", "≥98%"),
    ("> =3000条", "≥", 3000, "条", "≥3000条"),
    ("＞ ＝ 98%", "≥", 98, "%", "≥98%"),
    (">98%", ">", 98, "%", ">98%"),
    ("＞5%", ">", 5, "%", ">5%"),
    ("=1300册", "=", 1300, "册", "=1300册"),
    ("＝1300册", "=", 1300, "册", "=1300册"),
    ("≤1%", "≤", 1, "%", "≤1%"),
    ("<= 1%", "≤", 1, "%", "≤1%"),
    ("< =24小时", "≤", 24, "小时", "≤24小时"),
    ("<5%", "<", 5, "%", "<5%"),
    ("＜5%", "<", 5, "%", "<5%"),
    ("100%", "=", 100, "%", "100%"),
    ("≥30,000条", "≥", 30000, "条", "≥30,000条"),
    ("≥３０００条", "≥", 3000, "条", "≥3000条"),
    ("≥50万次", "≥", 50, "万次", "≥50万次"),
    ("≤ 12.5万元", "≤", 12.5, "万元", "≤12.5万元"),
    ("=6次", "=", 6, "次", "=6次"),
    # issue 12: the unit as typed (NFKC made ㎡ `m2`, （含） `(含)`), and operators written in words
    ("≥5个（含）", "≥", 5, "个", "≥5个"),
    ("≥10㎡", "≥", 10, "㎡", "≥10㎡"),
    ("≤3㎞", "≤", 3, "㎞", "≤3㎞"),
    ("≤26℃", "≤", 26, "℃", "≤26℃"),
    ("≥200m2", "≥", 200, "m2", "≥200m2"),
    ("95%以上", "≥", 95, "%", "≥95%"),
    ("不低于95%", "≥", 95, "%", "≥95%"),
    ("24小时以内", "≤", 24, "小时", "≤24小时"),
    ("≥1,500条", "≥", 1500, "条", "≥1,500条"),
])
def test_quantitative_targets(written, operator, value, unit, shown):
    target = parse_target(written)
    assert (target.operator, target.value, target.unit_of_measure, target.text) == (operator, value, unit, shown)
    assert target.quantitative


@pytest.mark.parametrize("written", [
    "合规", "健全", "与上年度相比，传播面更广，受众更多", "约100人", "较上年提高", "XX", "",
])
def test_qualitative_targets_are_kept_as_written(written):
    target = parse_target(written)
    assert (target.text, target.operator, target.value, target.unit_of_measure) == (written, "", None, "")
    assert not target.quantitative


@pytest.mark.parametrize(("written", "expected"), [
    ("<p>全年无重大事故</p>", "全年无重大事故"),
    ("<p>第一段</p><p>第二段</p>", "第一段\n第二段"),
    ("一行<br>二行", "一行\n二行"),
    ("A&nbsp;B", "A B"),
    ("a < b 且 c > d", "a < b 且 c > d"),
])
def test_clean_text_strips_pasted_markup(written, expected):
    assert clean_text(written) == expected


@pytest.mark.parametrize("written", ["＊项目总预算（元）", "项目总预算（元）＊", "﹡项目总预算﹙元﹚﹕", "项目\u200b总预算（元）"])
def test_full_width_look_alikes_match_the_contract_label(written):
    assert label_key(written) == label_key("项目总预算（元）")


@pytest.mark.parametrize(("written", "expected"), [
    ("1,000,000.00", 1_000_000.0), ("１，０００，０００．００", 1_000_000.0), ("-1,000", -1000.0), ("999,999", 999_999.0),
])
def test_commas_between_groups_of_three_digits_are_thousands_separators(written, expected):
    assert parse_amount(written) == expected


@pytest.mark.parametrize("written", ["1000000,00", "1,5", "1,00,000", "1,0000", "12,345,67"])
def test_a_decimal_comma_is_refused_not_misread(written):
    with pytest.raises(ParseError, match="逗号不是千位分隔符"):
        parse_amount(written)


@pytest.mark.parametrize("written", ["≥1,5%", "1000,00元"])
def test_a_target_with_a_decimal_comma_is_not_a_number(written):
    target = parse_target(written)
    assert (target.value, target.text) == (None, written)
    assert "逗号不是千位分隔符" in target.problem


@pytest.mark.parametrize("written", ["1-2天", "2020年12月31日前"])
def test_ranges_and_dates_stay_qualitative(written):
    assert not parse_target(written).quantitative
