"""The ledger as it is read: items with their flags, one item's history, an evidence file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from kit import access, door, validate
from kit.db import Connection
from kit.errors import NotFound
from kit.listing import Column, Filter, Listing
from kit.rectification.common import FLAG_NAMES, STATUS_LABELS, UPDATE_LABELS
from kit.rectification.deadlines import deadline_flag, reminder_offsets
from kit.rectification.items import live_item

# Items waiting for 销号 as a reviewer lists them: the rows of `list_items(statuses=["pending"])`.
PENDING_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("round_code", "轮次", width=5),
        Column("unit_name", "单位", width=8),
        Column("measure", "整改措施", width=18, limit=40),
        Column("close_requested_by_name", "申请人", width=6),
        Column("evidence", "佐证", "number", width=4),
    ),
    sort="id",
    filters=(Filter("unit_id", "单位", shown="unit_name"),),
    search=("unit_name", "measure", "close_requested_by_name"),
    empty="没有待审核的销号申请。",
)

# An item's history as the ledger tab lists it: the steps of `item_history`, latest first.
HISTORY_LIST = Listing(
    columns=(
        Column("created_at", "时间", "moment", width=9),
        Column("created_by_name", "操作人", width=6),
        Column("kind_label", "类型", width=5),
        Column("body", "内容", width=30),
        Column("progress", "进度", "percent", width=4),
        Column("deadline", "新时限", "date", width=7),
        Column("evidence_names", "佐证材料", width=14),  # the ledger tab draws them as download links
    ),
    sort="created_at",
    descending=True,
    filters=(Filter("kind_label", "类型"),),
    search=("body", "created_by_name", "evidence_names"),
    page_size=10,
    empty="该事项尚无进展记录。",
)

# The urgency of an item that presses no more (销号; one less: 作废), below any deadline's days.
_SETTLED = -1_000_000

_ITEMS_SQL = """
SELECT i.id, i.finding_id, f.round_id, r.code AS round_code, f.unit_id, u.code AS unit_code, u.name AS unit_name,
       c.name AS category, f.description, f.involves_top, f.found_on, i.measure, i.leader_id,
       p.name AS leader_name, i.responsible, i.deadline, i.first_deadline, i.extensions, i.progress, i.status,
       i.opened_on, i.closed_on, i.close_requested_by, i.closed_by, i.voided_at,
       coalesce(rq.display_name, i.close_requested_by) AS close_requested_by_name,
       (SELECT count(*) FROM evidence_files e JOIN rectification_updates up ON up.id = e.update_id
        WHERE e.item_id = i.id AND up.voided_at IS NULL) AS evidence
FROM rectification_items i
JOIN findings f ON f.id = i.finding_id
JOIN units u ON u.id = f.unit_id
JOIN finding_categories c ON c.id = f.category_id
LEFT JOIN inspection_rounds r ON r.id = f.round_id
LEFT JOIN people p ON p.id = i.leader_id
LEFT JOIN users rq ON rq.name = i.close_requested_by
WHERE (? IS NULL OR list_contains(?::INTEGER[], f.round_id)) AND (? IS NULL OR f.unit_id = ?)
  AND (? IS NULL OR list_contains(?::VARCHAR[], i.status)) AND (? OR i.voided_at IS NULL) AND {scope}
ORDER BY u.sort_order, u.code, i.deadline, i.id
"""


@door.public
def list_items(
    con: Connection,
    *,
    round_ids: Sequence[Any] | None = None,
    unit_id: Any = None,
    statuses: Sequence[str] | None = None,
    today: date | None = None,
    include_voided: bool = False,
) -> list[dict[str, Any]]:
    """Ledger items in the user's scope with labels and their deadline flag on `today` (default: today).

    Voided ones (作废) are left out, unless `include_voided` (then their status is "voided", 已作废,
    and they are flagged nothing).
    """
    access.require(con, access.READ)
    rounds = None if round_ids is None else [validate.ident(r, field="round_id", label="轮次编号") for r in round_ids]
    unit = None if unit_id is None else validate.ident(unit_id, field="unit_id", label="单位编号")
    wanted = None if statuses is None else list(statuses)
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        _ITEMS_SQL.format(scope=scope), [rounds, rounds, unit, unit, wanted, wanted, include_voided is True, *params]
    )
    offsets = reminder_offsets(con)
    day = today or con.now.date()
    for row in rows:
        flag = deadline_flag(row["deadline"], day, offsets=offsets, closed=row["status"] == "closed")
        row["flag"], row["flag_label"], row["days_over"] = flag.key, flag.label, flag.days
        row["flag_name"] = FLAG_NAMES[flag.key]
        row["flag_short"] = f"逾期 {flag.days} 天" if flag.key == "overdue" else flag.label
        row["status_label"] = STATUS_LABELS[row["status"]]
        # How pressing it is, for sorting by 预警: days past the deadline; a closed item presses no more.
        row["urgency"] = flag.days if flag.key != "closed" else _SETTLED
        if row["voided_at"]:  # shown struck out, flagged nothing
            row["flag"], row["flag_label"], row["flag_name"], row["flag_short"] = "voided", "", "已作废", ""
            row["status"], row["status_label"] = "voided", "已作废"
            row["urgency"] = _SETTLED - 1
    return rows


@door.public
def item_history(con: Connection, *, item_id: Any) -> list[dict[str, Any]]:
    """Every step of an item, oldest first, with its evidence files (names, sizes; `evidence_names` in one text).

    A voided step (作废) stays listed, its type marked 已作废 (`voided` true).
    """
    item = live_item(con, item_id)
    access.require(con, access.READ, unit_id=item["unit_id"])
    steps = con.records(
        "SELECT r.id, r.kind, r.body, r.progress, r.deadline, r.created_at, r.created_by, r.voided_at,"
        " coalesce(u.display_name, r.created_by) AS created_by_name"
        " FROM rectification_updates r LEFT JOIN users u ON u.name = r.created_by"
        " WHERE r.item_id = ? ORDER BY r.id",
        [item["id"]],
    )
    files: dict[int, list[dict[str, Any]]] = {}
    for row in con.records(
        "SELECT id, update_id, filename, size FROM evidence_files WHERE item_id = ? ORDER BY id", [item["id"]]
    ):
        files.setdefault(row["update_id"], []).append(row)
    for step in steps:
        step["voided"] = step["voided_at"] is not None
        step["kind_label"] = UPDATE_LABELS[step["kind"]] + ("（已作废）" if step["voided"] else "")
        step["files"] = files.get(step["id"], [])
        step["evidence_names"] = "、".join(f["filename"] for f in step["files"])
    return steps


@door.public
def evidence(con: Connection, *, evidence_id: Any) -> tuple[str, bytes]:
    """One evidence file's name and bytes.

    Raises:
        NotFound: no such file.
        PermissionDenied: its unit is outside the user's scope.
    """
    ident = validate.ident(evidence_id, field="evidence_id", label="佐证材料编号")
    row = con.one(
        "SELECT e.filename, e.content, f.unit_id FROM evidence_files e JOIN rectification_items i ON i.id = e.item_id"
        " JOIN findings f ON f.id = i.finding_id WHERE e.id = ?",
        [ident],
    )
    if row is None:
        raise NotFound(f"佐证材料不存在（编号 {ident}）")
    access.require(con, access.READ, unit_id=int(row[2]), what="查看佐证材料")
    return str(row[0]), bytes(row[1])
