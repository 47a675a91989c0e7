"""整改交接: open items pass to a unit's new 一把手 through a handover both sides sign."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kit import access, door, registry, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.listing import Column, Filter, Listing
from kit.rectification.common import traced, traced_state
from kit.rectification.items import live_item
from kit.rectification.progress import add_update, set_item


@door.public
def handover_for_change(con: Connection, *, unit_id: Any, on: Any) -> int | None:
    """When the unit's 一把手 changed on `on`: hand every open item to the new one; returns the handover id.

    Called by `appointments.change_leader`. Items still open (整改中 or 待审核销号) move to the
    successor at once; the handover lists them until both leaders sign. None when
    nothing is open.

    Raises:
        InvalidInput: no 一把手 holds the post on that day.
        PermissionDenied: not an administrator of the unit.
    """
    unit = validate.ident(unit_id, field="unit_id", label="单位编号")
    day = validate.day(on, field="on", label="调整日期")
    assert day is not None
    access.require(con, access.ADMIN, unit_id=unit, what="整改交接")
    successor = registry._holder_at(con, unit, "principal", day)
    if successor is None:
        raise InvalidInput.one("on", "该日期没有在任的一把手，无法交接整改事项")
    # Nobody can have held the post before the first day a date can hold.
    predecessor = registry._holder_at(con, unit, "principal", day - timedelta(days=1)) if day > date.min else None
    if predecessor is not None and predecessor.person_id == successor.person_id:
        return None  # the same 一把手 on both days: nothing changed hands
    items = con.records(
        "SELECT i.id, i.leader_id FROM rectification_items i JOIN findings f ON f.id = i.finding_id"
        " WHERE f.unit_id = ? AND i.status <> 'closed' AND i.voided_at IS NULL ORDER BY i.id",
        [unit],
    )
    if not items:
        return None
    item_ids = [int(i["id"]) for i in items]
    handover = int(
        con.scalar(
            "INSERT INTO rectification_handovers"
            " (unit_id, from_person_id, to_person_id, changed_on, item_ids, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [unit, predecessor.person_id if predecessor else None, successor.person_id, day, item_ids, con.now],
        )
    )
    traced(con, "整改交接", "rectification_handovers", str(handover), None)
    was = predecessor.name if predecessor else "（空缺）"
    for ident in item_ids:
        item = live_item(con, ident)
        add_update(
            con, item, kind="handover", body=f"一把手由{was}调整为{successor.name}，本事项移交接任者", action="整改交接"
        )
        if item["leader_id"] in (None, predecessor.person_id if predecessor else None):
            set_item(con, item, "整改交接", leader_id=successor.person_id)
    return handover


SIDE_LABELS = {"outgoing": "交出方", "incoming": "接收方"}


@door.public
def sign_handover(con: Connection, *, handover_id: Any, side: Any, on: Any = None) -> None:
    """A leader signs the handover: side 'outgoing' (交出) or 'incoming' (接收).

    Raises:
        InvalidInput: bad side or date, or that side already signed.
        NotFound: no such handover.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    ident = check(validate.ident, handover_id, field="handover_id", label="交接编号")
    which = check(
        validate.choice, side, field="side", label="签字方", choices={"outgoing": "交出方", "incoming": "接收方"}
    )
    day = check(validate.day, on, field="on", label="签字日期", required=False)
    check.done()
    row = con.records("SELECT * FROM rectification_handovers WHERE id = ?", [ident])
    if not row:
        raise NotFound(f"整改交接不存在（编号 {ident}）")
    access.require(con, access.ENTER, unit_id=row[0]["unit_id"], what="整改交接签字")
    column = f"{which}_signed"
    if row[0][column] is not None:
        raise InvalidInput.one("side", "该方已签字")
    signed = day or con.now.date()
    if signed < row[0]["changed_on"]:
        raise InvalidInput.one("on", "“签字日期”不能早于职务调整日期")
    before = traced_state(con, "rectification_handovers", str(ident))
    con.execute(f"UPDATE rectification_handovers SET {column} = ? WHERE id = ?", [signed, ident])
    traced(con, "整改交接签字", "rectification_handovers", str(ident), before)


# The handovers as the 巡察整改 app lists them (交接): the rows of `list_handovers`, newest first.
HANDOVER_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("unit_name", "单位", width=8),
        Column("changed_on", "调整日期", "date", width=6.5),
        Column("from_shown", "交出方", width=6),
        Column("to_name", "接收方", width=6),
        Column("items", "事项数", "number", width=4.5),
        Column("outgoing_shown", "交出方签字", width=6.5),
        Column("incoming_shown", "接收方签字", width=6.5),
        Column("state_label", "状态", width=5),
    ),
    sort="changed_on",
    descending=True,
    filters=(Filter("unit_id", "单位", shown="unit_name"), Filter("state_label", "状态")),
    search=("unit_name", "from_shown", "to_name"),
    empty="没有整改交接记录。",
)


@door.public
def list_handovers(con: Connection) -> list[dict[str, Any]]:
    """Handovers of units in scope, newest first, with both leaders' names and whether both signed."""
    scope, params = access.scope_sql(con, "h.unit_id")
    rows = con.records(
        "SELECT h.*, u.name AS unit_name, a.name AS from_name, b.name AS to_name FROM rectification_handovers h"
        " JOIN units u ON u.id = h.unit_id LEFT JOIN people a ON a.id = h.from_person_id"
        f" JOIN people b ON b.id = h.to_person_id WHERE {scope} ORDER BY h.changed_on DESC, h.id DESC",
        params,
    )
    for row in rows:
        row["items"] = len(row["item_ids"])
        row["complete"] = row["outgoing_signed"] is not None and row["incoming_signed"] is not None
        row["from_shown"] = row["from_name"] or "（空缺）"
        row["outgoing_shown"] = row["outgoing_signed"].isoformat() if row["outgoing_signed"] else "未签"
        row["incoming_shown"] = row["incoming_signed"].isoformat() if row["incoming_signed"] else "未签"
        row["state_label"] = "已完成" if row["complete"] else "待签字"
    return rows
