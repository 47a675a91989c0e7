"""Correcting and voiding a finding (发现问题)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kit import access, door, inspections, validate
from kit.corrections.common import (
    FINDING,
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


def _finding(con: Connection, finding_id: Any) -> dict[str, Any]:
    ident = validate.ident(finding_id, field="finding_id", label="问题编号")
    rows = con.records(
        "SELECT f.*, r.code AS round_code, u.code AS unit_code, c.name AS category FROM findings f"
        " JOIN units u ON u.id = f.unit_id JOIN finding_categories c ON c.id = f.category_id"
        " LEFT JOIN inspection_rounds r ON r.id = f.round_id WHERE f.id = ?",
        [ident],
    )
    if not rows:
        raise NotFound(f"发现问题不存在（编号 {ident}）")
    return rows[0]


def _finding_raw(row: Mapping[str, Any]) -> dict[str, Any]:
    """A finding's current values as its form would give them."""
    return {
        "round": row["round_code"] or "",
        "unit": row["unit_code"],
        "stage": row["stage"],
        "category": row["category"],
        "description": row["description"],
        "severity": row["severity"],
        "involves_top": "yes" if row["involves_top"] else "no",
        "source": row["source"],
        "found_on": row["found_on"].isoformat(),
    }


def _finding_shown(parsed: Mapping[str, Any], con: Connection) -> dict[str, str]:
    """A finding's parsed values as people read them (labels, names), by field key."""
    round_code = con.scalar("SELECT code FROM inspection_rounds WHERE id = ?", [parsed["round_id"]]) or ""
    return {
        "round": str(round_code),
        "unit": str(con.scalar("SELECT name FROM units WHERE id = ?", [parsed["unit_id"]])),
        "stage": inspections.STAGE_LABELS[parsed["stage"]],
        "category": str(con.scalar("SELECT name FROM finding_categories WHERE id = ?", [parsed["category_id"]])),
        "description": parsed["description"],
        "severity": inspections.SEVERITY_LABELS[parsed["severity"]],
        "involves_top": inspections.YES_NO["yes" if parsed["involves_top"] else "no"],
        "source": inspections.SOURCE_LABELS[parsed["source"]],
        "found_on": shown_value(parsed["found_on"]),
    }


def _referred(con: Connection, finding_id: int, *, voided_too: bool = False) -> list[str]:
    """What refers to a finding: its ledger items (live ones, or every one) and its clue."""
    live = "" if voided_too else " AND voided_at IS NULL"
    rows = con.all(f"SELECT id FROM rectification_items WHERE finding_id = ?{live} ORDER BY id", [finding_id])
    found = [f"整改事项 {'、'.join(str(i) for (i,) in rows)}"] if rows else []
    if con.scalar(f"SELECT count(*) FROM clues WHERE finding_id = ?{live}", [finding_id]):
        found.append("移交的问题线索")
    return found


@door.public
def correct_finding(con: Connection, *, finding_id: Any, reason: Any, **changes: Any) -> int:
    """更正 a finding: `changes` keyed as FINDING's fields, checked as at entry; returns the correction's id.

    Raises:
        InvalidInput: no reason, no change, a field breaks its rule, the record is voided, or
            its unit or round is changed while a ledger item or a clue refers to it.
        NotFound: no such finding.
        PermissionDenied: the unit (old or new) is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="更正发现问题")
    row = _finding(con, finding_id)
    access.require(con, access.ENTER, unit_id=row["unit_id"], what="更正发现问题")
    text = asked_reason(FINDING, reason, changes, {})
    if row["voided_at"] is not None:
        raise InvalidInput.one("finding_id", "该问题已作废，不能更正")
    current = _finding_raw(row)
    wanted = {**current, **{k: v for k, v in changes.items()}}
    ctx = replace(inspections.read_finding_context(con, whole=True), visible=None)
    before = inspections.check_finding(current, replace(ctx, today=max(ctx.today, row["found_on"])))
    after = inspections.check_finding(wanted, ctx)
    differ = differences(before, after)
    refs = _referred(con, row["id"], voided_too=True)
    if refs and ({"unit_id", "round_id"} & set(differ)):
        field = "unit" if "unit_id" in differ else "round"
        raise InvalidInput.one(
            field,
            f"该问题已有{'、'.join(refs)}，不能更改“{FINDING.fields[field]}”；确属录错的，请先作废其整改事项和本问题，再重新录入",
        )
    if "unit_id" in differ:
        access.require(con, access.ENTER, unit_id=after["unit_id"], what="更正发现问题")
    shown = shown_changes(FINDING, _finding_shown(before, con), _finding_shown(after, con))
    return apply_correction(con, FINDING, row["id"], unit_id=after["unit_id"], reason=text, values=differ, shown=shown)


@door.public
def void_finding(con: Connection, *, finding_id: Any, reason: Any) -> int:
    """作废 a finding entered in error; returns the void's id. It leaves lists and statistics.

    Raises:
        InvalidInput: no reason, already voided, or a live ledger item or a clue refers to it.
        NotFound: no such finding.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="作废发现问题")
    text = reason_text(reason, "void")
    row = _finding(con, finding_id)
    access.require(con, access.ENTER, unit_id=row["unit_id"], what="作废发现问题")
    if row["voided_at"] is not None:
        raise InvalidInput.one("finding_id", "该问题已作废")
    if con.scalar("SELECT count(*) FROM clues WHERE finding_id = ? AND voided_at IS NULL", [row["id"]]):
        raise InvalidInput.one("finding_id", "该问题已移交问题线索，不能作废；确属移交错误的，请先作废该线索")
    refs = _referred(con, row["id"])
    if refs:
        raise InvalidInput.one("finding_id", f"该问题已有{refs[0]}，请先作废整改事项")
    return apply_void(con, FINDING, row["id"], unit_id=row["unit_id"], reason=text)
