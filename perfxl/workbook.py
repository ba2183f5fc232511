"""Opening a workbook safely and turning its sheets into plain grids of cell values.

Two engines: python-calamine (fast, values only) for the usual workbook, openpyxl for a workbook that
holds formulas, since only openpyxl tells a formula's text apart from its cached value.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import python_calamine

from .values import label_key

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")


class UnreadableWorkbook(Exception):
    """The file is not a workbook perfxl can open; `reason` and `todo` are for the user."""

    def __init__(self, reason: str, todo: str):
        super().__init__(reason)
        self.reason = reason
        self.todo = todo


@dataclass
class Grid:
    """One sheet: `rows[r][c]` is the value of the cell at row r+1, column c+1 (cached value for formulas)."""

    name: str
    rows: list[list[object]]
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    def value(self, row: int, col: int) -> object:
        if row < len(self.rows) and col < len(self.rows[row]):
            value = self.rows[row][col]
            return None if value == "" else value
        return None


def _check_container(path: Path, max_bytes: int) -> list[str]:
    """Refuse what is not an .xlsx container, or one that would expand past `max_bytes`; return sheet parts."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise UnreadableWorkbook("文件是空的（0 字节）", "文件可能没有保存完整，请重新保存或重新发送该文件")
    if head == OLE_MAGIC:
        if ENCRYPTED_MARK in path.read_bytes():
            raise UnreadableWorkbook("工作簿设置了打开密码，无法读取", "请取消密码后另存为 .xlsx 再放入 input 文件夹")
        raise UnreadableWorkbook("这是旧版 Excel（.xls）格式的文件", "请用 Excel 或 WPS 打开，另存为 .xlsx 格式")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            if "xl/workbook.xml" not in names:
                raise UnreadableWorkbook("文件不是 Excel 工作簿", "请使用模板填写并另存为 .xlsx 格式")
            if sum(info.file_size for info in infos) > max_bytes:
                raise UnreadableWorkbook(
                    f"文件解压后超过 {max_bytes // 2**20} MB，疑似异常文件，已拒绝读取",
                    "请确认文件来源；正常的申报表只有几十 KB",
                )
            sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
            return [archive.read(n) for n in sheets]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise UnreadableWorkbook("文件已损坏，无法打开（不是完整的 .xlsx 文件）",
                                 "请用 Excel 打开并另存，或请填报人重新发送") from error


def _has_formulas(sheet_parts: list[bytes]) -> bool:
    return any(b"<f>" in part or b"<f " in part for part in sheet_parts)


def _match_sheets(available: list[str], wanted: tuple[str, ...]) -> dict[str, str]:
    by_key = {label_key(name): name for name in available}
    return {name: by_key[label_key(name)] for name in wanted if label_key(name) in by_key}


def _calamine_grids(path: Path, wanted: tuple[str, ...]) -> dict[str, Grid]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        found = _match_sheets(book.sheet_names, wanted)
        return {
            name: Grid(name, book.get_sheet_by_name(actual).to_python(skip_empty_area=False))
            for name, actual in found.items()
        }
    finally:
        book.close()


def _openpyxl_grids(path: Path, wanted: tuple[str, ...]) -> dict[str, Grid]:
    formulas_book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    values_book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        grids = {}
        for name, actual in _match_sheets(formulas_book.sheetnames, wanted).items():
            rows = [list(row) for row in values_book[actual].iter_rows(values_only=True)]
            formulas = {}
            for r, row in enumerate(formulas_book[actual].iter_rows()):
                for c, cell in enumerate(row):
                    if getattr(cell, "data_type", None) == "f":
                        formulas[(r, c)] = str(getattr(cell.value, "text", cell.value))
            grids[name] = Grid(name, rows, formulas)
        return grids
    finally:
        formulas_book.close()
        values_book.close()


def load_grids(path: Path, wanted: tuple[str, ...], max_bytes: int) -> dict[str, Grid]:
    """The sheets named in `wanted` (matched ignoring spaces) that the workbook has, as grids."""
    sheet_parts = _check_container(path, max_bytes)
    try:
        if _has_formulas(sheet_parts):
            return _openpyxl_grids(path, wanted)
        return _calamine_grids(path, wanted)
    except python_calamine.PasswordError as error:
        raise UnreadableWorkbook("工作簿设置了密码，无法读取", "请取消密码后另存为 .xlsx") from error
    except UnreadableWorkbook:
        raise
    except Exception as error:  # noqa: BLE001 - any parser failure on a damaged file is the user's S01
        raise UnreadableWorkbook(f"文件内容已损坏，无法读取（{type(error).__name__}）",
                                 "请用 Excel 打开并另存为 .xlsx，或请填报人重新发送") from error
