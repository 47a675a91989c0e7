"""Correcting and voiding a step in handling a clue (线索处置)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, inspections, validate
from kit.corrections.common import (
    OUTCOME,
    apply_correction,
    apply_void,
    asked_reason,
    differences,
    reason_text,
    shown_changes,
    shown_value,
)
from kit.db import Connection
from kit.errors import NotFound


def _live_outcome(con: Connection, outcome_id: Any) -> dict[str, Any]:
    ident = validate.ident(outcome_id, field="outcome_id", label="处置记录编号")
    rows = con.records("SELECT * FROM clue_outcomes WHERE id = ? AND voided_at IS NULL", [ident])
    if not rows:
        raise NotFound(f"线索处置记录不存在或已作废（编号 {ident}）")
    return rows[0]


def _raw(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("clue_id", "outcome", "people", "decided_on", "note")}


def _shown(parsed: Mapping[str, Any]) -> dict[str, str]:
    return {
        "outcome": inspections.OUTCOME_LABELS[parsed["outcome"]],
        "people": str(parsed["people"]),
        "decided_on": shown_value(parsed["decided_on"]),
        "note": parsed["note"] or "",
    }


@door.public
def correct_outcome(con: Connection, *, outcome_id: Any, reason: Any, **changes: Any) -> int:
    """更正 a clue's step (what was decided, 人次, date, note), checked as at entry; returns the correction's id.

    Statistics (处理处分人次) follow at once.

    Raises:
        InvalidInput: no reason, no change, a field breaks its rule, or the clue is asked to change.
        NotFound: no such step (or it is voided).
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="更正线索处置")
    row = _live_outcome(con, outcome_id)
    unit, _transferred = inspections.clue_unit(con, row["clue_id"])
    access.require(con, access.ENTER, unit_id=unit, what="更正线索处置")
    fixed = {"clue_id": f"“{inspections.OUTCOME.label_of('clue_id')}”不能更正：登记错了线索的处置请作废后重新登记"}
    text = asked_reason(OUTCOME, reason, changes, fixed)
    current = _raw(row)
    before = inspections.check_outcome(current)
    after = inspections.check_outcome({**current, **changes})
    differ = differences(before, after)
    inspections.check_outcome_on_clue(con, after, outcome_id=row["id"])
    shown = shown_changes(OUTCOME, _shown(before), _shown(after))
    return apply_correction(con, OUTCOME, row["id"], unit_id=unit, reason=text, values=differ, shown=shown)


@door.public
def void_outcome(con: Connection, *, outcome_id: Any, reason: Any) -> int:
    """作废 a step recorded in error (a 了结 voided lets the clue be handled further); returns the void's id.

    Raises:
        InvalidInput: no reason.
        NotFound: no such step (or it is voided already).
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="作废线索处置")
    text = reason_text(reason, "void")
    row = _live_outcome(con, outcome_id)
    unit, _transferred = inspections.clue_unit(con, row["clue_id"])
    access.require(con, access.ENTER, unit_id=unit, what="作废线索处置")
    return apply_void(con, OUTCOME, row["id"], unit_id=unit, reason=text)
