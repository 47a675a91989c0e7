"""A 审核员's decision on a request to correct or void a reviewed record (a 销号 item, a closed year's sheet)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from kit import access, door, trace, validate
from kit.corrections import items, sheets
from kit.corrections.common import STATE_SQL, STATUS_LABELS
from kit.db import Connection
from kit.errors import InvalidInput, NotFound

# How an approved request is applied, by the table of the record it changes.
APPLY: dict[str, Callable[[Connection, Mapping[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "rectification_items": items.apply_request,
    "score_sheets": sheets.apply_request,
}


@door.public
def review(con: Connection, *, correction_id: Any, approve: Any, note: Any) -> None:
    """A 审核员 other than the requester approves (applied now, checked again) or rejects a request.

    Raises:
        InvalidInput: no note, not a waiting request, the reviewer asked for it, or (approving)
            the record changed so that the correction no longer passes its checks.
        NotFound: no such request.
        PermissionDenied: the unit is outside the user's scope or the user is not a 审核员.
    """
    check = validate.Checker()
    ident = check(validate.ident, correction_id, field="correction_id", label="申请编号")
    if not isinstance(approve, bool):
        check.fail("approve", "“审核意见”必须是同意或不同意")
    text = check(validate.text, note, field="note", label="审核意见", required=True, max_length=500)
    check.done()
    rows = con.records("SELECT * FROM record_corrections WHERE id = ?", [ident])
    if not rows:
        raise NotFound(f"更正或作废申请不存在（编号 {ident}）")
    request = rows[0]
    access.require(con, access.REVIEW, unit_id=request["unit_id"], what="审核更正作废申请")
    if request["status"] != "pending":
        raise InvalidInput.one("correction_id", f"该申请{STATUS_LABELS[request['status']]}，不是待审核的申请")
    if request["requested_by"] == con.actor:
        raise InvalidInput.one("correction_id", "更正或作废申请须由申请人以外的审核员审核")
    asked = json.loads(request["changes_json"])
    if approve:
        asked = APPLY[request["record_table"]](con, request, asked)
    key = str(ident)
    before = trace.state(con, STATE_SQL, "record_corrections", key)
    con.execute(
        "UPDATE record_corrections SET status = ?, decided_at = ?, decided_by = ?, note = ?, changes_json = ?"
        " WHERE id = ?",
        ["applied" if approve else "rejected", con.now, con.actor, text, json.dumps(asked, ensure_ascii=False), ident],
    )
    trace.record(
        con,
        action="同意更正作废申请" if approve else "不同意更正作废申请",
        table="record_corrections",
        key=key,
        before=before,
        after=trace.state(con, STATE_SQL, "record_corrections", key),
    )
