"""Correcting and voiding a feedback record (巡察反馈)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, inspections, validate
from kit.corrections.common import FEEDBACK, log_correction, reason_text, shown_value, update_record
from kit.db import Connection
from kit.errors import InvalidInput, NotFound


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
    check = validate.Checker()
    text = check(reason_text, reason, "correct")
    unknown = sorted(set(changes) - set(FEEDBACK.fields))
    if unknown:
        key = unknown[0]
        if key in ("round_id", "unit_id"):
            label = inspections.FEEDBACK.label_of(key)
            check.fail(key, f"“{label}”不能更正：登记错了单位的反馈请作废后重新登记")
        else:
            check.fail(key, f"“{key}”不是巡察反馈可以更正的字段")
    check.done()
    current = _raw(row)
    before = inspections.check_feedback(current)
    after = inspections.check_feedback({**current, **changes})
    differ = {k: v for k, v in after.items() if before[k] != v}
    if not differ:
        raise InvalidInput.one("reason", "没有要更正的内容：各项与原记录相同")
    inspections.check_feedback_in_round(con, after, feedback_id=row["id"])
    old, new = _shown(con, before), _shown(con, after)
    shown = {FEEDBACK.fields[k]: [old[k], new[k]] for k in FEEDBACK.fields if old[k] != new[k]}
    update_record(con, "feedbacks", row["id"], "更正巡察反馈", differ)
    return log_correction(
        con,
        table="feedbacks",
        record_id=row["id"],
        unit_id=row["unit_id"],
        kind="correct",
        reason=text,
        changes=shown,
        status="applied",
    )


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
    update_record(con, "feedbacks", row["id"], "作废巡察反馈", {"voided_at": con.now, "voided_by": con.actor})
    return log_correction(
        con,
        table="feedbacks",
        record_id=row["id"],
        unit_id=row["unit_id"],
        kind="void",
        reason=text,
        changes={},
        status="applied",
    )
