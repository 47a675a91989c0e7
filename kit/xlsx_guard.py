"""An uploaded .xlsx checked before any reader opens it: its size, its container, what it
unpacks to, and the extent of every sheet (calamine builds a full grid from A1 to the farthest
cell, so one cell at XFD1048576 in a 5 KB file would ask for 17 billion cells).
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from kit.errors import InvalidInput

MAX_BYTES = 30 * 1024 * 1024
# A small file may unpack to a huge one (a zip bomb): refuse before the reader unpacks it.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
# The reader builds a full grid from A1 to the last cell used: one cell at XFD1048576 would
# ask for 17 billion. Every sheet's extent is measured from its XML before anything is built.
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELLS = 4_000_000  # rows × columns of the grid; a 100,000-row ledger of 10 columns is 1,000,000


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def check(data: bytes) -> None:
    """Refuse a file that is not a bounded .xlsx, before any reader opens it.

    Raises:
        InvalidInput: too large, not an .xlsx (an .xls, a password, another zip), damaged,
            unpacking too large, or a sheet spanning more than the reader may build.
    """
    if len(data) > MAX_BYTES:
        raise InvalidInput.one(
            "file", f"文件大小为 {_mb(len(data))}，超过导入上限 {_mb(MAX_BYTES)}。请拆分成几个文件后分别导入。"
        )
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise InvalidInput.one(
            "file",
            "这是旧版 Excel（.xls）文件或设置了打开密码的工作簿，不是 Excel 文件（.xlsx）。"
            "请在 Excel 中取消密码，另存为“Excel 工作簿（.xlsx）”后再导入。",
        )
    if data[:4] != b"PK\x03\x04":
        raise InvalidInput.one("file", "不是 Excel 文件（.xlsx）。请使用导入模板填写，保存为 .xlsx 后再导入。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput.one("file", "文件已损坏，不是有效的 Excel 文件（.xlsx）。") from None
    if "xl/workbook.xml" not in names:
        raise InvalidInput.one(
            "file", "不是 Excel 文件（.xlsx）（可能是 .xlsb、WPS 或其他压缩文件）。请另存为 .xlsx 后再导入。"
        )
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInput.one(
            "file", f"文件解压后为 {_mb(unpacked)}，超过上限 {_mb(MAX_UNPACKED_BYTES)}，已拒绝读取。"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        _check_extent(archive)


_CELL_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br\s*=\s*["\']([A-Za-z]{1,3})(\d{1,7})["\']')
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_REF = re.compile(rb'\br\s*=\s*["\']([A-Za-z]{0,3})(\d+)["\']')


def _pieces(stream: Any) -> Iterator[bytes]:
    """The stream's bytes in pieces of whole tags (a tag cut in two waits for the next piece)."""
    rest = b""
    while chunk := stream.read(4 * 1024 * 1024):
        text = rest + chunk
        cut = max(text.rfind(b"<"), 0)
        rest = text[cut:]
        yield text[:cut]
    yield rest


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _extent(open_sheet: Callable[[], Any]) -> tuple[int, int]:
    """Rows and columns of the grid a worksheet's XML spans (what a reader would build), read
    in pieces. Cells normally name their place (r="C7"); those that do not are placed as a
    reader places them, after the cell before, in a second, slower pass."""
    rows, named, cells = 0, 0, 0
    letters: set[bytes] = set()
    with open_sheet() as stream:
        for piece in _pieces(stream):
            refs = _CELL_REF.findall(piece)
            named += len(refs)
            cells += len(_CELL.findall(piece))
            if refs:
                letters.update(ref[0] for ref in refs)
                rows = max(rows, max(int(ref[1]) for ref in refs))
    if named == cells:
        return rows, max((_column(x) for x in letters), default=0)
    rows = cols = row = col = 0
    with open_sheet() as stream:
        for piece in _pieces(stream):
            for tag, attrs in _TAG.findall(piece):
                ref = _REF.search(attrs)
                if tag == b"row":
                    row, col = (int(ref.group(2)) if ref else row + 1), 0
                elif ref and ref.group(1):
                    row, col = max(row, int(ref.group(2))), _column(ref.group(1))
                else:
                    col += 1
                rows, cols = max(rows, row), max(cols, col)
    return rows, cols


def _check_extent(archive: zipfile.ZipFile) -> None:
    for info in archive.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        rows, cols = _extent(functools.partial(archive.open, info))
        if rows > MAX_ROWS or cols > MAX_COLUMNS or rows * cols > MAX_CELLS:
            raise InvalidInput.one(
                "file",
                f"工作表用到了 {rows} 行、{cols} 列，超过导入上限（{MAX_ROWS} 行、{MAX_COLUMNS} 列、"
                f"共 {MAX_CELLS} 格），已拒绝读取。请删去表格以外远处的单元格，或拆分成几个文件后分别导入。",
            )
