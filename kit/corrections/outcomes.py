"""Correcting and voiding a step in handling a clue (线索处置)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, inspections, validate
from kit.corrections.common import OUTCOME, log_correction, reason_text, shown_value, update_record
from kit.db import Connection
from kit.errors import InvalidInput, NotFound


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
    check = validate.Checker()
    text = check(reason_text, reason, "correct")
    unknown = sorted(set(changes) - set(OUTCOME.fields))
    if unknown:
        key = unknown[0]
        if key == "clue_id":
            check.fail(key, f"“{inspections.OUTCOME.label_of(key)}”不能更正：登记错了线索的处置请作废后重新登记")
        else:
            check.fail(key, f"“{key}”不是线索处置可以更正的字段")
    check.done()
    current = _raw(row)
    before = inspections.check_outcome(current)
    after = inspections.check_outcome({**current, **changes})
    differ = {k: v for k, v in after.items() if before[k] != v}
    if not differ:
        raise InvalidInput.one("reason", "没有要更正的内容：各项与原记录相同")
    inspections.check_outcome_on_clue(con, after, outcome_id=row["id"])
    old, new = _shown(before), _shown(after)
    shown = {OUTCOME.fields[k]: [old[k], new[k]] for k in OUTCOME.fields if old[k] != new[k]}
    update_record(con, "clue_outcomes", row["id"], "更正线索处置", differ)
    return log_correction(
        con,
        table="clue_outcomes",
        record_id=row["id"],
        unit_id=unit,
        kind="correct",
        reason=text,
        changes=shown,
        status="applied",
    )


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
    update_record(con, "clue_outcomes", row["id"], "作废线索处置", {"voided_at": con.now, "voided_by": con.actor})
    return log_correction(
        con,
        table="clue_outcomes",
        record_id=row["id"],
        unit_id=unit,
        kind="void",
        reason=text,
        changes={},
        status="applied",
    )
