"""Correcting and voiding a round (巡察轮次)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, inspections, validate
from kit.corrections.common import (
    ROUND,
    apply_correction,
    apply_void,
    asked_reason,
    differences,
    reason_text,
    shown_changes,
    shown_value,
)
from kit.db import Connection
from kit.errors import InvalidInput


def _live_round(con: Connection, round_id: Any) -> dict[str, Any]:
    ident = validate.ident(round_id, field="round_id", label="轮次编号")
    return inspections.get_round(con, ident)  # NotFound for a voided one too


def _round_raw(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = {"start": "start_date", "end": "end_date"}
    return {k: row[keys.get(k, k)] for k in ("code", "name", "kind", "start", "end", "note")}


def _round_shown(parsed: Mapping[str, Any]) -> dict[str, str]:
    return {
        "name": parsed["name"],
        "kind": inspections.ROUND_KIND_LABELS[parsed["kind"]],
        "start": shown_value(parsed["start_date"]),
        "end": shown_value(parsed["end_date"]),
        "note": parsed["note"] or "",
    }


@door.public
def correct_round(con: Connection, *, round_id: Any, reason: Any, **changes: Any) -> int:
    """更正 a round's name, kind, dates or note (its code stays), checked as at entry; returns the correction's id.

    Raises:
        InvalidInput: no reason, no change, a field breaks its rule, the code is asked to change,
            or the start would fall after a problem the round already found.
        NotFound: no such round (or it is voided).
        PermissionDenied: not a 录入员 over all units.
    """
    access.require(con, access.ENTER, what="更正巡察轮次")
    inspections.require_round_admin(con, "更正巡察轮次")
    row = _live_round(con, round_id)
    text = asked_reason(ROUND, reason, changes, {"code": f"“{inspections.ROUND.label_of('code')}”不能更正"})
    current = _round_raw(row)
    before = inspections.check_round(current)
    after = inspections.check_round({**current, **changes})
    differ = differences(before, after)
    earliest = con.scalar("SELECT min(found_on) FROM findings WHERE round_id = ? AND voided_at IS NULL", [row["id"]])
    if earliest is not None and after["start_date"] > earliest:
        label = inspections.ROUND.label_of("start")
        raise InvalidInput.one("start", f"“{label}”不能晚于本轮已发现问题中最早的发现日期 {earliest.isoformat()}")
    shown = shown_changes(ROUND, _round_shown(before), _round_shown(after))
    return apply_correction(
        con, ROUND, row["id"], unit_id=None, reason=text, values=differ, shown=shown, key=row["code"]
    )


@door.public
def void_round(con: Connection, *, round_id: Any, reason: Any) -> int:
    """作废 a round set up in error, while nothing belongs to it yet; returns the void's id.

    It leaves every list of rounds; its code stays taken.

    Raises:
        InvalidInput: no reason, or the round already has groups, targets or findings.
        NotFound: no such round (or it is voided already).
        PermissionDenied: not a 录入员 over all units.
    """
    access.require(con, access.ENTER, what="作废巡察轮次")
    inspections.require_round_admin(con, "作废巡察轮次")
    text = reason_text(reason, "void")
    row = _live_round(con, round_id)
    held = {
        "巡察组": "SELECT count(*) FROM inspection_groups WHERE round_id = ?",
        "巡察对象": "SELECT count(*) FROM inspection_targets WHERE round_id = ?",
        "发现问题": "SELECT count(*) FROM findings WHERE round_id = ?",
    }
    refs = [what for what, sql in held.items() if con.scalar(sql, [row["id"]])]
    if refs:
        raise InvalidInput.one("round_id", f"本轮已有{'、'.join(refs)}，不能作废；可以更正它的名称、方式和日期")
    return apply_void(con, ROUND, row["id"], unit_id=None, reason=text, key=row["code"])
