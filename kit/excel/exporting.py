"""Export of any table as .xlsx, and of the office's lists by name."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kit import door, inspections, rectification
from kit.db import Connection
from kit.errors import InvalidInput
from kit.excel.common import EXPORTS

_EXCEL_TEXT_LIMIT = 32767


def _excel_value(value: Any, illegal: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(str(_excel_value(v, illegal)) for v in value if v is not None)
    if not isinstance(value, str):
        value = str(value)
    return illegal.sub("", value)[:_EXCEL_TEXT_LIMIT]


def formula_like(value: Any) -> bool:
    """Whether openpyxl would store this text as a formula or an error value rather than as text."""
    from openpyxl.cell.cell import ERROR_CODES

    return isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES)


def _width(value: Any) -> int:
    text = value.isoformat() if isinstance(value, date) else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def export_rows(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str], *, sheet: str = "数据") -> bytes:
    """Any table as an .xlsx: `columns` maps row keys to Chinese headers, in order.

    Dates stay Excel dates, booleans become 是/否, lists are joined with “、”; text that
    looks like a formula stays text.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    keys = list(columns)
    widths = [_width(columns[k]) for k in keys]
    for row in rows[:200]:
        for i, key in enumerate(keys):
            if row.get(key) is not None:
                widths[i] = max(widths[i], min(_width(_excel_value(row[key], ILLEGAL_CHARACTERS_RE)), 60))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width + 2
    ws.freeze_panes = "A2"
    header = []
    for key in keys:
        cell = WriteOnlyCell(ws, value=columns[key])
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in rows:
        values = []
        for key in keys:
            value = _excel_value(row.get(key), ILLEGAL_CHARACTERS_RE)
            if formula_like(value):
                text = WriteOnlyCell(ws, value=value)
                text.data_type = "s"  # never a formula: the cell holds what the user typed
                value = text
            values.append(value)
        ws.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CLUE_COLUMNS = {
    "id": "线索编号",
    "finding_id": "问题编号",
    "round_code": "巡察轮次",
    "unit_name": "单位",
    "description": "问题描述",
    "involves_top": "是否涉及一把手",
    "receiver_label": "移交对象",
    "transferred_on": "移交日期",
    "steps": "处置经过",
    "latest": "最新处置",
}
OVERVIEW_COLUMNS = {
    "round_code": "巡察轮次",
    "unit_name": "单位",
    "feedback": "反馈",
    "items": "整改事项",
    "closed": "已销号",
    "overdue": "逾期",
    "extended": "延期事项",
    "rate": "销号率（%）",
    "score": "评估得分",
    "grade": "评估等次",
    "top_leader": "现任一把手",
}


@door.public
def export(con: Connection, what: str, *, round_ids: Sequence[int] | None = None) -> bytes:
    """The findings, ledger, clues or per-unit overview (all rounds, or `round_ids`) as .xlsx.

    Only units in the user's scope appear.

    Raises:
        InvalidInput: unknown table.
        NotFound: no such round.
        PermissionDenied: the user cannot be identified or has no role.
    """
    if what not in EXPORTS:
        raise InvalidInput.one("what", f"导出内容必须是以下之一：{'、'.join(EXPORTS.values())}")
    rounds = None if round_ids is None else list(round_ids)
    for ident in rounds or []:
        inspections.get_round(con, ident)
    if what == "findings":
        return export_rows(
            inspections.list_findings(con, round_ids=rounds), inspections.FINDING.export, sheet=EXPORTS[what]
        )
    if what == "rectification":
        return export_rows(
            rectification.list_items(con, round_ids=rounds), rectification.ITEM.export, sheet=EXPORTS[what]
        )
    if what == "clues":
        return export_rows(inspections.list_clues(con, round_ids=rounds), CLUE_COLUMNS, sheet=EXPORTS[what])
    codes = {r["id"]: r["code"] for r in inspections.list_rounds(con)}
    units = rectification.overview(con, round_ids=rounds if rounds is not None else sorted(codes))
    for unit in units:
        unit["round_code"] = codes.get(unit["round_id"], "")
    return export_rows(units, OVERVIEW_COLUMNS, sheet=EXPORTS[what])
