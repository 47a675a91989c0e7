"""Correcting and voiding a feedback record (巡察反馈)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, inspections, validate
from kit.corrections.common import (
    FEEDBACK,
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


def _live_feedback(con: Connection, feedback_id: Any) -> dict[str, Any]:
    ident = validate.ident(feedback_id, field="feedback_id", label="反馈编号")
    rows = con.records(
        "SELECT fb.*, p.name AS leader_name FROM feedbacks fb JOIN people p ON p.id = fb.leader_id"
        " WHERE fb.id = ? AND fb.voided_at IS NULL",
        [ident],
    )
    if not rows:
        raise NotFound(f"巡察反馈不存在或已作废（编号 {ident}）")
    return rows[0]


def _raw(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("round_id", "unit_id", "mode", "held_on", "leader_id", "note")}


def _shown(con: Connection, parsed: Mapping[str, Any]) -> dict[str, str]:
    leader = con.scalar("SELECT name FROM people WHERE id = ?", [parsed["leader_id"]])
    return {
        "mode": inspections.FEEDBACK_MODE_LABELS[parsed["mode"]],
        "held_on": shown_value(parsed["held_on"]),
        "leader_id": str(leader or parsed["leader_id"]),
        "note": parsed["note"] or "",
    }


@door.public
def correct_feedback(con: Connection, *, feedback_id: Any, reason: Any, **changes: Any) -> int:
    """更正 a feedback's mode, date, attending 分管领导 or note, checked as at entry; returns the correction's id.

    Copies (抄告) already sent stay with whom they were sent to; later ones go to the corrected 分管领导.

    Raises:
        InvalidInput: no reason, no change, a field breaks its rule, or the round or unit is asked to change.
        NotFound: no such feedback (or it is voided), or no such person.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="更正巡察反馈")
    row = _live_feedback(con, feedback_id)
    access.require(con, access.ENTER, unit_id=row["unit_id"], what="更正巡察反馈")
    fixed = {
        key: f"“{inspections.FEEDBACK.label_of(key)}”不能更正：登记错了单位的反馈请作废后重新登记"
        for key in ("round_id", "unit_id")
    }
    text = asked_reason(FEEDBACK, reason, changes, fixed)
    current = _raw(row)
    before = inspections.check_feedback(current)
    after = inspections.check_feedback({**current, **changes})
    differ = differences(before, after)
    inspections.check_feedback_in_round(con, after, feedback_id=row["id"])
    shown = shown_changes(FEEDBACK, _shown(con, before), _shown(con, after))
    return apply_correction(con, FEEDBACK, row["id"], unit_id=row["unit_id"], reason=text, values=differ, shown=shown)


@door.public
def void_feedback(con: Connection, *, feedback_id: Any, reason: Any) -> int:
    """作废 a feedback recorded in error; returns the void's id.

    It leaves the round's list, the overview and the reports; copies already sent stay
    with their 分管领导. The same unit and mode can then be recorded again.

    Raises:
        InvalidInput: no reason.
        NotFound: no such feedback (or it is voided already).
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="作废巡察反馈")
    text = reason_text(reason, "void")
    row = _live_feedback(con, feedback_id)
    access.require(con, access.ENTER, unit_id=row["unit_id"], what="作废巡察反馈")
    return apply_void(con, FEEDBACK, row["id"], unit_id=row["unit_id"], reason=text)
