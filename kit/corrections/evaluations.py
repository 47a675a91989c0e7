"""Correcting and voiding an 整改评估 (by a 审核员, as it was entered)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, rectification, validate
from kit.corrections.common import (
    EVALUATION,
    apply_correction,
    apply_void,
    asked_reason,
    differences,
    reason_text,
    shown_value,
)
from kit.db import Connection
from kit.errors import InvalidInput
from kit.formats import number


def _live(con: Connection, round_id: Any, unit_id: Any, what: str) -> dict[str, Any]:
    """The unit's live evaluation in the round, once the user may review the unit.

    Raises:
        InvalidInput: bad ids, or no live evaluation.
        PermissionDenied: the unit is outside the user's scope or the user is not a 审核员.
    """
    check = validate.Checker()
    rnd = check(validate.ident, round_id, field="round_id", label="轮次编号")
    unit = check(validate.ident, unit_id, field="unit_id", label="被评估单位")
    check.done()
    access.require(con, access.REVIEW, unit_id=unit, what=what)
    rows = con.records(
        "SELECT * FROM rectification_evaluations WHERE round_id = ? AND unit_id = ? AND voided_at IS NULL", [rnd, unit]
    )
    if not rows:
        raise InvalidInput.one("unit_id", "该单位本轮没有有效的整改评估")
    return rows[0]


def _raw(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "round_id": row["round_id"],
        "unit_id": row["unit_id"],
        "score": row["score"],
        "note": row["note"] or "",
        "on": row["evaluated_on"],
    }


def _stored(parsed: Mapping[str, Any], day: Any) -> dict[str, Any]:
    """The columns an evaluation's parsed fields are stored in (an empty date keeps `day`)."""
    return {
        "score": parsed["score"],
        "grade": rectification.grade_for(parsed["score"]),
        "note": parsed["note"] or None,
        "evaluated_on": parsed["on"] or day,
    }


@door.public
def correct_evaluation(con: Connection, *, round_id: Any, unit_id: Any, reason: Any, **changes: Any) -> int:
    """更正 an evaluation's score, opinion or date (keyed as EVALUATION.fields), checked as at entry.

    Its round and unit name it: one entered for the wrong unit is voided. Returns the correction's id.

    Raises:
        InvalidInput: no reason, no change, a field breaks its rule or cannot be corrected, or
            the unit has no live evaluation in the round.
        PermissionDenied: the unit is outside the user's scope or the user is not a 审核员.
    """
    row = _live(con, round_id, unit_id, "更正整改评估")
    text = asked_reason(EVALUATION, reason, changes, {"grade": "“等次”由评估得分决定，更正得分即可"})
    current = _raw(row)
    before = _stored(rectification.check_evaluation(current), row["evaluated_on"])
    after = _stored(rectification.check_evaluation({**current, **changes}), row["evaluated_on"])
    differ = differences(before, after)
    shown = {
        label: [old, new]
        for label, old, new in (
            (EVALUATION.fields["score"], number(before["score"]), number(after["score"])),
            ("等次", before["grade"], after["grade"]),
            (EVALUATION.fields["note"], before["note"] or "", after["note"] or ""),
            (EVALUATION.fields["on"], shown_value(before["evaluated_on"]), shown_value(after["evaluated_on"])),
        )
        if old != new
    }
    return apply_correction(
        con,
        EVALUATION,
        row["id"],
        unit_id=row["unit_id"],
        reason=text,
        values=differ,
        shown=shown,
        key=f"{row['round_id']}/{row['unit_id']}",
    )


@door.public
def void_evaluation(con: Connection, *, round_id: Any, unit_id: Any, reason: Any) -> int:
    """作废 an evaluation entered in error: the unit counts as not evaluated; returns the void's id.

    Raises:
        InvalidInput: no reason, or the unit has no live evaluation in the round.
        PermissionDenied: the unit is outside the user's scope or the user is not a 审核员.
    """
    row = _live(con, round_id, unit_id, "作废整改评估")
    text = reason_text(reason, "void")
    key = f"{row['round_id']}/{row['unit_id']}"
    return apply_void(con, EVALUATION, row["id"], unit_id=row["unit_id"], reason=text, key=key)
