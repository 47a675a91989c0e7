"""Correcting and voiding an item's progress report (报送进展) or extension (延期), while it is 整改中.

The item follows its live steps: its progress is that of the latest live report with a
percentage (else the progress it was entered with), its deadline that of the latest live extension (else the first one),
and `extensions` counts the live extensions. So an extension's deadline is corrected, and
an extension voided, only for the latest live one: the deadlines stay in order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from kit import access, door, rectification, validate
from kit.corrections.common import (
    UPDATE,
    Correctable,
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

# What each kind of step is called and what may be corrected in it (the same labels as at entry).
KINDS = {
    "progress": replace(UPDATE, label="进展报告", fields=rectification.PROGRESS_LABELS),
    "extension": replace(UPDATE, label="延期记录", fields=rectification.EXTENSION_LABELS),
}
# The field of the other kind, asked of a step that has none: why not.
_NOT_HERE = {
    "progress": {"deadline": "进展报告没有“新的整改时限”：整改时限请用“延期”"},
    "extension": {"progress": "延期记录没有“整改进度（%）”：进度请报送进展"},
}
_STATUS_HINTS = {
    "pending": "请审核员退回销号申请后再办理",
    "closed": "已销号的事项可申请更正事项本身，经审核员同意后生效",
}


def _step(con: Connection, update_id: Any, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The step and its item, once the user may enter for the item's unit."""
    access.require(con, access.ENTER, what=what)
    ident = validate.ident(update_id, field="update_id", label="进展记录编号")
    rows = con.records("SELECT * FROM rectification_updates WHERE id = ?", [ident])
    if not rows:
        raise NotFound(f"整改进展记录不存在（编号 {ident}）")
    item = rectification.live_item(con, rows[0]["item_id"])
    access.require(con, access.ENTER, unit_id=item["unit_id"], what=what)
    return rows[0], item


def _refuse_unless_open(row: Mapping[str, Any], item: Mapping[str, Any]) -> Correctable:
    """The step's declaration, if it is a live report or extension of a live item being rectified.

    Raises:
        InvalidInput: another kind of step, voided already, or the item voided or not 整改中 (naming `update_id`).
    """
    if row["kind"] not in KINDS:
        kind = rectification.UPDATE_LABELS[row["kind"]]
        raise InvalidInput.one("update_id", f"“{kind}”记录不能更正或作废：只有报送的进展和延期可以")
    if row["voided_at"] is not None:
        raise InvalidInput.one("update_id", f"该{KINDS[row['kind']].label}已作废")
    if item["voided_at"] is not None:
        raise InvalidInput.one("update_id", "该事项已作废，其进展和延期不能再更正或作废")
    if item["status"] != "open":
        status = rectification.STATUS_LABELS[item["status"]]
        raise InvalidInput.one(
            "update_id",
            f"该事项状态为“{status}”，只有整改中的事项才能更正或作废进展和延期；{_STATUS_HINTS[item['status']]}",
        )
    return KINDS[row["kind"]]


def _live_extensions(con: Connection, item_id: int) -> list[dict[str, Any]]:
    return con.records(
        "SELECT id, deadline FROM rectification_updates WHERE item_id = ? AND kind = 'extension'"
        " AND voided_at IS NULL ORDER BY id",
        [item_id],
    )


def _deadline_before(item: Mapping[str, Any], live: list[dict[str, Any]], update_id: int) -> date:
    """The deadline an extension replaced: the previous live extension's, else the item's first."""
    earlier: list[date] = [e["deadline"] for e in live if e["id"] < update_id]
    first: date = item["first_deadline"]
    return earlier[-1] if earlier else first


def _entered_progress(con: Connection, item_id: int) -> int:
    """The progress the item was entered or imported with (a ledger brought in half done), from its first trace."""
    first = con.scalar(
        "SELECT after_json FROM trace_log WHERE table_name = 'rectification_items' AND row_key = ?"
        " ORDER BY seq LIMIT 1",
        [str(item_id)],
    )
    entered = json.loads(first).get("progress") if first else None
    return int(entered or 0)


def _follow_progress(con: Connection, item: Mapping[str, Any], action: str) -> None:
    """The item's progress: the latest live report's percentage, else what the item was entered with."""
    latest = con.scalar(
        "SELECT progress FROM rectification_updates WHERE item_id = ? AND kind = 'progress'"
        " AND voided_at IS NULL AND progress IS NOT NULL ORDER BY id DESC LIMIT 1",
        [item["id"]],
    )
    percent = _entered_progress(con, item["id"]) if latest is None else int(latest)
    if percent != item["progress"]:
        rectification.set_item(con, dict(item), action, progress=percent)


def _checked(row: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """A step's fields with the changes put in, checked as at entry.

    Raises:
        InvalidInput: a field breaks its rule, each named.
    """
    check = validate.Checker()
    if row["kind"] == "progress":
        body, percent = rectification.check_progress(check, wanted["body"], wanted["progress"])
        check.done()
        return {"body": body, "progress": percent}
    day, body = rectification.check_extension(check, wanted["deadline"], wanted["body"], reason_field="body")
    check.done()
    return {"body": body, "deadline": day}


@door.public
def correct_update(con: Connection, *, update_id: Any, reason: Any, **changes: Any) -> int:
    """更正 a progress report (body, progress) or extension (body, deadline) of an item 整改中; returns its id.

    Checked as at entry. The item's progress follows its latest live report; an extension's deadline
    is corrected only on the latest live one, later than the deadline before it, and the item's follows.

    Raises:
        InvalidInput: no reason, no change, a field breaks its rule, not a report or extension, voided,
            an earlier extension's deadline, or the item is voided or not 整改中.
        NotFound: no such step.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    row, item = _step(con, update_id, "更正整改进展")
    correctable = _refuse_unless_open(row, item)
    text = asked_reason(correctable, reason, changes, _NOT_HERE[row["kind"]])
    before = {k: row[k] for k in correctable.fields}
    after = _checked(row, {**before, **changes})
    differ = differences(before, after)
    if "deadline" in differ:
        live = _live_extensions(con, item["id"])
        if live[-1]["id"] != row["id"]:
            raise InvalidInput.one(
                "deadline",
                f"只能更正最近一次延期的“新的整改时限”（至 {live[-1]['deadline'].isoformat()}）",
            )
        previous = _deadline_before(item, live, row["id"])
        rectification.check_new_deadline(con, differ["deadline"], previous, previous_label="此前的时限")
    shown = shown_changes(
        correctable,
        {k: shown_value(v) for k, v in before.items()},
        {k: shown_value(v) for k, v in after.items()},
    )
    ident = apply_correction(
        con, correctable, row["id"], unit_id=item["unit_id"], reason=text, values=differ, shown=shown
    )
    if row["kind"] == "progress":
        _follow_progress(con, item, "更正进展报告")
    elif "deadline" in differ:
        rectification.set_item(con, item, "更正延期记录", deadline=differ["deadline"])
    return ident


@door.public
def void_update(con: Connection, *, update_id: Any, reason: Any) -> int:
    """作废 a progress report or the latest extension of an item 整改中; returns the void's id.

    The step stays in the item's history, marked 已作废; its copies and evidence no longer count.
    The item's progress follows its latest live report; voiding an extension puts back the deadline
    before it and counts the live extensions.

    Raises:
        InvalidInput: no reason, not a report or extension, voided already, not the latest live
            extension, or the item is voided or not 整改中.
        NotFound: no such step.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    row, item = _step(con, update_id, "作废整改进展")
    text = reason_text(reason, "void")
    correctable = _refuse_unless_open(row, item)
    live = _live_extensions(con, item["id"]) if row["kind"] == "extension" else []
    if live and live[-1]["id"] != row["id"]:
        raise InvalidInput.one(
            "update_id",
            f"只能作废最近一次延期（至 {live[-1]['deadline'].isoformat()}）：请先作废其后的延期",
        )
    ident = apply_void(con, correctable, row["id"], unit_id=item["unit_id"], reason=text)
    if row["kind"] == "progress":
        _follow_progress(con, item, "作废进展报告")
    else:
        previous = _deadline_before(item, live, row["id"])
        rectification.set_item(con, item, "作废延期记录", deadline=previous, extensions=len(live) - 1)
    return ident
