"""Correcting and voiding a ledger item; a 销号 item's request waits for a 审核员 (`review`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kit import access, door, rectification
from kit.corrections.common import (
    ITEM,
    KIND_LABELS,
    log_correction,
    reason_text,
    shown_value,
    update_record,
)
from kit.db import Connection
from kit.errors import InvalidInput


def _item_raw(con: Connection, item: Mapping[str, Any]) -> dict[str, Any]:
    leader = con.scalar("SELECT name FROM people WHERE id = ?", [item["leader_id"]]) if item["leader_id"] else ""
    return {
        "finding": item["finding_id"],
        "measure": item["measure"],
        "leader": leader or "",
        "responsible": item["responsible"],
        "deadline": item["deadline"].isoformat(),
        "opened_on": item["opened_on"].isoformat(),
    }


def _item_changes(
    con: Connection, item: Mapping[str, Any], changes: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(columns to set, {label: [before, after]}) for `changes` to an item, checked as at entry."""
    unknown = sorted(set(changes) - set(ITEM.fields))
    if unknown:
        raise InvalidInput.one(
            unknown[0], f"“{unknown[0]}”不是整改事项可以更正的字段（时限请用“延期”，进度请报送进展）"
        )
    current = _item_raw(con, item)
    ctx = rectification.read_item_context(con, [item["finding_id"]], whole=True)
    # The leader may have left the team since: a correction is checked against today's team only when it names one.
    ctx = replace(ctx, visible=None, today=max(ctx.today, item["opened_on"]))
    wanted = {**current, **changes}
    if "leader" not in changes and current["leader"]:
        wanted["leader"] = ""
    after = rectification.check_item(wanted, ctx)
    columns: dict[str, Any] = {}
    shown: dict[str, list[str]] = {}
    for key, column in (("measure", "measure"), ("responsible", "responsible"), ("opened_on", "opened_on")):
        if key in changes and after[column] != item[column]:
            columns[column] = after[column]
            shown[ITEM.fields[key]] = [shown_value(item[column]), shown_value(after[column])]
    if "leader" in changes and after["leader_id"] != item["leader_id"]:
        columns["leader_id"] = after["leader_id"]
        new_name = (
            con.scalar("SELECT name FROM people WHERE id = ?", [after["leader_id"]]) if after["leader_id"] else ""
        )
        shown[ITEM.fields["leader"]] = [current["leader"], str(new_name or "")]
    if not columns:
        raise InvalidInput.one("reason", "没有要更正的内容：各项与原记录相同")
    return columns, shown


def _live_item(con: Connection, item_id: Any) -> dict[str, Any]:
    item = rectification.live_item(con, item_id)
    if item["voided_at"] is not None:
        raise InvalidInput.one("item_id", "该事项已作废")
    return item


def _pending(con: Connection, item_id: int) -> bool:
    return bool(
        con.scalar(
            "SELECT count(*) FROM record_corrections WHERE record_table = 'rectification_items' AND record_id = ?"
            " AND status = 'pending'",
            [item_id],
        )
    )


@door.public
def correct_item(con: Connection, *, item_id: Any, reason: Any, **changes: Any) -> int:
    """更正 a ledger item (`changes` keyed as ITEM.fields); returns the correction's id.

    An item already 销号 is not changed now: the correction waits for a 审核员 (`review`).

    Raises:
        InvalidInput: no reason, no change, a field breaks its rule, the item is voided or
            already has a request waiting.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="更正整改事项")
    item = rectification.live_item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="更正整改事项")
    text = reason_text(reason, "correct")
    item = _live_item(con, item["id"])
    if _pending(con, item["id"]):
        raise InvalidInput.one("item_id", "该事项已有待审核的更正或作废申请，请等审核员处理后再提交")
    columns, shown = _item_changes(con, item, changes)
    if item["status"] == "closed":
        asked = {"shown": shown, "values": {k: shown_value(v) for k, v in changes.items()}}
        return log_correction(
            con,
            table="rectification_items",
            record_id=item["id"],
            unit_id=item["unit_id"],
            kind="correct",
            reason=text,
            changes=asked,
            status="pending",
        )
    update_record(con, "rectification_items", item["id"], "更正整改事项", columns)
    return log_correction(
        con,
        table="rectification_items",
        record_id=item["id"],
        unit_id=item["unit_id"],
        kind="correct",
        reason=text,
        changes=shown,
        status="applied",
    )


@door.public
def void_item(con: Connection, *, item_id: Any, reason: Any) -> int:
    """作废 a ledger item entered in error; returns the void's id (for an item already 销号, a request).

    Raises:
        InvalidInput: no reason, already voided, or a request is waiting.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="作废整改事项")
    item = rectification.live_item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="作废整改事项")
    text = reason_text(reason, "void")
    item = _live_item(con, item["id"])
    if _pending(con, item["id"]):
        raise InvalidInput.one("item_id", "该事项已有待审核的更正或作废申请，请等审核员处理后再提交")
    status = "pending" if item["status"] == "closed" else "applied"
    if status == "applied":
        update_record(
            con, "rectification_items", item["id"], "作废整改事项", {"voided_at": con.now, "voided_by": con.actor}
        )
    return log_correction(
        con,
        table="rectification_items",
        record_id=item["id"],
        unit_id=item["unit_id"],
        kind="void",
        reason=text,
        changes={},
        status=status,
    )


def apply_request(con: Connection, request: Mapping[str, Any], asked: dict[str, Any]) -> dict[str, Any]:
    """Apply an approved request on an item, checked again; returns what it asked, as applied."""
    item = _live_item(con, request["record_id"])
    if request["kind"] == "void":
        values: dict[str, Any] = {"voided_at": con.now, "voided_by": con.actor}
    else:
        values, shown = _item_changes(con, item, asked["values"])
        asked = {**asked, "shown": shown}
    update_record(con, "rectification_items", item["id"], f"{KIND_LABELS[request['kind']]}整改事项（经审核）", values)
    return asked
