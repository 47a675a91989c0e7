"""Reading a workbook: its header found among the first rows, its data rows by the declared labels."""

from __future__ import annotations

import unicodedata
from typing import Any

from kit import xlsx_guard, xlsx_parse
from kit.errors import InvalidInput
from kit.excel.common import (
    CHOICES_SHEET,
    GUIDE_SHEET,
    HEADER_SCAN_ROWS,
    KINDS,
    NUMBER_LABEL,
    REASON_LABEL,
    ROW_LABEL,
    fields_of,
    read_labels,
    reference_labels,
    required_keys,
)


def _norm(text: Any) -> str:
    """A header as written: full-width signs folded, spaces and the required mark dropped."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).strip("*")


def _data_rows(grid: list[list[Any]], start: int, columns: dict[int, str]) -> list[dict[str, Any]]:
    """Rows below the header as the validators take them: empty cells as None, whole floats as
    int, booleans as 是/否; rows with nothing in them left out. Written for speed (100,000 rows)."""
    items = list(columns.items())
    width = max(columns) + 1
    out: list[dict[str, Any]] = []
    for number, row in enumerate(grid[start:], start=start + 1):
        if len(row) < width:
            row = [*row, *[""] * (width - len(row))]
        values: dict[str, Any] = {}
        filled = False
        for col, key in items:
            value = row[col]
            kind = type(value)
            if kind is str:
                if not value or value.isspace():
                    value = None
                else:
                    filled = True
            elif kind is float:
                filled = True
                if value.is_integer():
                    value = int(value)
            elif kind is bool:
                filled = True
                value = "是" if value else "否"
            elif value is not None:
                filled = True
            values[key] = value
        if filled:
            values["_row"] = number
            out.append(values)
    return out


def _sheet_rows(data: bytes, kind: str) -> list[list[Any]]:
    """The ledger's sheet (by its name, else the first that is not ours) as a grid from A1,
    built by python-calamine in a child process under a memory cap (`xlsx_parse`)."""
    return xlsx_parse.sheet_rows(data, KINDS[kind], (GUIDE_SHEET, CHOICES_SHEET))


def _header(rows: list[list[Any]], kind: str) -> tuple[int, dict[int, str]]:
    """The header row's index and column → key, found by the Chinese labels."""
    fields, context, required = read_labels(kind), reference_labels(kind), required_keys(kind)
    known = {_norm(label): key for key, label in {**fields, **context}.items()}
    ignored = {_norm(ROW_LABEL), _norm(REASON_LABEL), NUMBER_LABEL}
    best = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = sum(_norm(v) in known for v in row if isinstance(v, str))
        if hits >= 2 and (best is None or hits > best[1]):
            best = (index, hits)
    if best is None:
        sample = "、".join(f"“{fields[k]}”" for k in required[:3])
        raise InvalidInput.one(
            "file", f"前 {HEADER_SCAN_ROWS} 行中找不到{KINDS[kind]}的表头（如 {sample}）。请使用导入模板填写。"
        )
    index = best[0]
    columns: dict[int, str] = {}
    unknown, repeated = [], []
    for col, value in enumerate(rows[index]):
        text = _norm(value) if value not in (None, "") else ""
        if not text or text in ignored:
            continue
        key = known.get(text)
        if key is None:
            unknown.append(f"“{str(value).strip()[:20]}”")
        elif key in columns.values():
            repeated.append(f"“{fields.get(key) or context[key]}”")
        else:
            columns[col] = key
    missing = [f"“{fields[k]}”" for k in required if k not in columns.values()]
    problems = []
    if missing:
        problems.append(f"缺少必填列 {'、'.join(missing)}")
    if unknown:
        problems.append(f"有无法识别的列 {'、'.join(unknown)}（可用的列：{'、'.join(fields.values())}）")
    if repeated:
        problems.append(f"列 {'、'.join(repeated)} 出现了不止一次")
    if problems:
        raise InvalidInput.one("file", f"第 {index + 1} 行表头有误：" + "；".join(problems) + "。")
    return index, columns


def read_workbook(data: bytes, kind: str) -> list[dict[str, Any]]:
    """The data rows of an .xlsx ledger as {field key: cell value, "_row": Excel row number}.

    The header row is found by its Chinese labels (a title above it is allowed); entirely
    empty rows are skipped. Values are raw: the validators parse them.

    Raises:
        InvalidInput: too big, not an .xlsx, unreadable, too big to parse within the memory cap or
            the time allowed (`xlsx_parse`), headers unknown or missing, or no data rows.
    """
    fields_of(kind)
    xlsx_guard.check(data)
    grid = _sheet_rows(data, kind)
    index, columns = _header(grid, kind)
    out = _data_rows(grid, index + 1, columns)
    if not out:
        raise InvalidInput.one("file", f"表头（第 {index + 1} 行）以下没有数据行。")
    return out
