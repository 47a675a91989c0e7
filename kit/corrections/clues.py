"""Correcting and voiding a clue transfer (移交问题线索)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, inspections, validate
from kit.corrections.common import (
    CLUE,
    apply_correction,
    apply_void,
    asked_reason,
    differences,
    reason_text,
    shown_changes,
    shown_value,
)
from kit.db import Connection
from kit.errors import InvalidInput, NotFound


def _clue(con: Connection, clue_id: Any) -> dict[str, Any]:
    ident = validate.ident(clue_id, field="clue_id", label="线索编号")
    rows = con.records(
        "SELECT c.*, f.unit_id FROM clues c JOIN findings f ON f.id = c.finding_id WHERE c.id = ?", [ident]
    )
    if not rows:
        raise NotFound(f"问题线索不存在（编号 {ident}）")
    return rows[0]


def _raw(row: Mapping[str, Any]) -> dict[str, Any]:
    """A clue's current values as its form would give them."""
    return {
        "finding_id": row["finding_id"],
        "receiver": row["receiver"],
        "transferred_on": row["transferred_on"].isoformat(),
        "note": row["note"] or "",
    }


def _parsed(raw: Mapping[str, Any]) -> dict[str, Any]:
    parsed = inspections.check_clue(raw)
    parsed["note"] = parsed["note"] or None
    return parsed


def _shown(parsed: Mapping[str, Any]) -> dict[str, str]:
    return {
        "receiver": inspections.RECEIVER_LABELS[parsed["receiver"]],
        "transferred_on": shown_value(parsed["transferred_on"]),
        "note": parsed["note"] or "",
    }


@door.public
def correct_clue(con: Connection, *, clue_id: Any, reason: Any, **changes: Any) -> int:
    """更正 a clue's transfer (to whom, when, its note), checked as at entry; returns the correction's id.

    Raises:
        InvalidInput: no reason, no change, a field breaks its rule (a date after the clue's first
            step among them), the clue is voided, or its finding is asked to change.
        NotFound: no such clue.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="更正问题线索")
    row = _clue(con, clue_id)
    access.require(con, access.ENTER, unit_id=row["unit_id"], what="更正问题线索")
    fixed = {"finding_id": f"“{inspections.CLUE.label_of('finding_id')}”不能更正：移交错了问题的线索请作废后重新移交"}
    text = asked_reason(CLUE, reason, changes, fixed)
    if row["voided_at"] is not None:
        raise InvalidInput.one("clue_id", "该线索已作废，不能更正")
    current = _raw(row)
    before = _parsed(current)
    after = _parsed({**current, **changes})
    differ = differences(before, after)
    inspections.check_clue_on_finding(con, after, clue_id=row["id"])
    shown = shown_changes(CLUE, _shown(before), _shown(after))
    return apply_correction(con, CLUE, row["id"], unit_id=row["unit_id"], reason=text, values=differ, shown=shown)


@door.public
def void_clue(con: Connection, *, clue_id: Any, reason: Any) -> int:
    """作废 a clue transferred in error; returns the void's id. It leaves lists and statistics,
    and its finding may then be voided or transferred again.

    Raises:
        InvalidInput: no reason, already voided, or it has live steps (线索处置).
        NotFound: no such clue.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="作废问题线索")
    text = reason_text(reason, "void")
    row = _clue(con, clue_id)
    access.require(con, access.ENTER, unit_id=row["unit_id"], what="作废问题线索")
    if row["voided_at"] is not None:
        raise InvalidInput.one("clue_id", "该线索已作废")
    steps = int(con.scalar("SELECT count(*) FROM clue_outcomes WHERE clue_id = ? AND voided_at IS NULL", [row["id"]]))
    if steps:
        raise InvalidInput.one("clue_id", f"该线索已有 {steps} 条处置记录，请先在“巡察组织”中作废这些处置记录")
    return apply_void(con, CLUE, row["id"], unit_id=row["unit_id"], reason=text)
