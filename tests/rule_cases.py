"""Edits of a clean project's indicator rows and fields, for the rule cases of test_rules and test_layouts."""

from __future__ import annotations

import datetime as dt


def target(index: int, value: str):
    def edit(rows):
        rows[index][3] = value
    return edit


def cell(index: int, column: int, value: str):
    def edit(rows):
        rows[index][column] = value
    return edit


def insert(index: int, row: list[str]):
    def edit(rows):
        rows.insert(index, row)
    return edit


def drop(*indexes: int):
    def edit(rows):
        for index in sorted(indexes, reverse=True):
            del rows[index]
    return edit


def dates(start: dt.date, end: dt.date, **fields) -> dict:
    """The plan period, with any other `fields` (label -> value)."""
    return {"计划开始日期": start, "计划完成日期": end, **fields}


def case_ids(cases) -> list[str]:
    return [case[0] for case in cases]
