"""The corrections of a record, and the requests waiting for review."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kit import access, door, rectification, validate
from kit.corrections.common import KIND_LABELS, RECORD_LABELS, STATUS_LABELS
from kit.db import Connection
from kit.formats import moment
from kit.listing import Column, Filter, Listing

# Requests waiting for a 审核员 as the ledger lists them: the rows of `pending_requests`.
REQUEST_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("record_label", "记录类型", width=6),
        Column("record_id", "记录编号", "number", width=5),
        Column("unit_name", "单位", width=8),
        Column("kind_label", "申请", width=4),
        Column("summary", "内容", width=24, limit=60),
        Column("requested_by_name", "申请人", width=6),
        Column("requested_at", "申请时间", "moment", width=8),
    ),
    sort="id",
    filters=(Filter("record_label", "记录类型"), Filter("kind_label", "申请")),
    search=("unit_name", "summary", "requested_by_name"),
    empty="没有待审核的更正或作废申请。",
)

# A record's corrections and voids as every app lists them under it: the rows of `corrections_of`
# (of one record, or of a round with its targets), latest first.
CORRECTION_LIST = Listing(
    columns=(
        Column("requested_at", "时间", "moment", width=9),
        Column("kind_label", "操作", width=4),
        Column("requested_by_name", "经办人", width=6),
        Column("summary", "内容", width=50),
        Column("status_label", "状态", width=5),
    ),
    sort="requested_at",
    descending=True,
    filters=(Filter("kind_label", "操作"), Filter("status_label", "状态")),
    search=("summary", "requested_by_name"),
    page_size=10,
    empty="没有更正或作废记录。",
)

_SQL = """
SELECT c.id, c.record_table, c.record_id, c.unit_id, un.name AS unit_name, c.kind, c.reason, c.changes_json,
       c.status, c.requested_at, c.requested_by, coalesce(a.display_name, c.requested_by) AS requested_by_name,
       c.decided_at, c.decided_by, coalesce(d.display_name, c.decided_by) AS decided_by_name, c.note,
       ss.year AS sheet_year, sc.name AS scheme_name, up.kind AS update_kind, up.created_at AS update_at
FROM record_corrections c
LEFT JOIN units un ON un.id = c.unit_id
LEFT JOIN rectification_updates up ON c.record_table = 'rectification_updates' AND up.id = c.record_id
LEFT JOIN score_sheets ss ON c.record_table = 'score_sheets' AND ss.id = c.record_id
LEFT JOIN assessment_schemes sc ON sc.id = ss.scheme_id
LEFT JOIN users a ON a.name = c.requested_by
LEFT JOIN users d ON d.name = c.decided_by
WHERE (? IS NULL OR c.record_table = ?) AND (? IS NULL OR c.record_id = ?) AND (? IS NULL OR c.status = ?)
  AND (? IS NULL OR (c.record_table = 'rectification_items' AND c.record_id = ?) OR up.item_id = ?)
  AND (c.unit_id IS NULL OR {scope})
ORDER BY c.id
"""


def _rows(
    con: Connection, table: str | None, record_id: int | None, status: str | None, item: int | None = None
) -> list[dict[str, Any]]:
    """The corrections asked for; `item`: those of a ledger item and of its steps."""
    scope, params = access.scope_sql(con, "c.unit_id")
    rows = con.records(
        _SQL.format(scope=scope), [table, table, record_id, record_id, status, status, item, item, item, *params]
    )
    for row in rows:
        changes = json.loads(row.pop("changes_json"))
        shown = changes.get("shown", changes) if "values" in changes else changes
        row["changes"] = shown
        row["kind_label"] = KIND_LABELS[row["kind"]]
        row["status_label"] = STATUS_LABELS[row["status"]]
        row["record_label"] = RECORD_LABELS[row["record_table"]]
        row["summary"] = _summary(row)
        if row["sheet_year"] is not None:  # which of the unit's sheets: its year and scheme
            row["summary"] = f"{row['sheet_year']}年度“{row['scheme_name']}”评分表：{row['summary']}"
        if row["update_kind"] is not None:  # which step of the item: its kind and when it was entered
            step = rectification.UPDATE_LABELS[row["update_kind"]]
            row["summary"] = f"{step}（{moment(row['update_at'])}报送）：{row['summary']}"
    return rows


def _summary(row: Mapping[str, Any]) -> str:
    """One line: what was changed (or that the record was voided) and why."""
    parts = [f"{label}：{old or '（空）'} → {new or '（空）'}" for label, (old, new) in row["changes"].items()]
    if row["kind"] == "void":  # a record's own void; a part of it voided says which (a round's group)
        what = ("作废 " + "；".join(parts) if parts else "作废") + f"。理由：{row['reason']}"
    else:
        what = "更正 " + "；".join(parts) + f"。理由：{row['reason']}"
    if row["status"] == "pending":
        return what + "（待审核员同意）"
    if row["decided_by"]:
        verdict = "同意" if row["status"] == "applied" else "不同意"
        return what + f"（审核员{row['decided_by_name']}{verdict}：{row['note']}）"
    return what


@door.public
def corrections_of(con: Connection, *, table: Any, record_id: Any) -> list[dict[str, Any]]:
    """Every correction and void of one record (and request), oldest first, with who and why."""
    access.require(con, access.READ)
    name = validate.choice(table, field="table", label="记录类型", choices=RECORD_LABELS)
    ident = validate.ident(record_id, field="record_id", label="记录编号")
    return _rows(con, name, ident, None)


@door.public
def item_corrections(con: Connection, *, item_id: Any) -> list[dict[str, Any]]:
    """Every correction and void of a ledger item and of its progress reports and extensions, oldest first.

    Raises:
        InvalidInput: not a valid id.
        NotFound: no such item.
        PermissionDenied: its unit is outside the user's scope.
    """
    item = rectification.live_item(con, item_id)
    access.require(con, access.READ, unit_id=item["unit_id"])
    return _rows(con, None, None, None, item["id"])


@door.public
def sheet_corrections(con: Connection, *, scheme_id: Any, unit_id: Any, year: Any) -> list[dict[str, Any]]:
    """Every correction and void of a unit's score sheet of a year, a voided sheet's too (the app lists them).

    Raises:
        InvalidInput: an id or the year is not valid.
        PermissionDenied: the unit is outside the user's scope.
    """
    check = validate.Checker()
    scheme = check(validate.ident, scheme_id, field="scheme_id", label="考核方案编号")
    unit = check(validate.ident, unit_id, field="unit", label="单位编号")
    the_year = check(validate.year, year)
    check.done()
    access.require(con, access.READ, unit_id=unit)
    ident = con.scalar(
        "SELECT id FROM score_sheets WHERE scheme_id = ? AND unit_id = ? AND year = ?", [scheme, unit, the_year]
    )
    return [] if ident is None else _rows(con, "score_sheets", int(ident), None)


@door.public
def pending_requests(con: Connection) -> list[dict[str, Any]]:
    """Requests waiting for a 审核员, in the user's scope."""
    access.require(con, access.READ)
    return _rows(con, None, None, "pending")
