"""更正 and 作废: what a clerk entered wrongly is corrected or voided, with a reason, never erased.

A correction runs the record's own checks (`inspections.check_finding`,
`rectification.check_item`) over its current values with the changed ones put in, so
it obeys the same rules as the entry did. A void marks the record (`voided_at`,
`voided_by`): it stays in its table, its history and the trace, and leaves lists,
statistics and reports. Each correction or void is a row of `record_corrections` with
its reason and every changed field before and after, shown in the record's history.

A reviewed record, a ledger item already 销号, is not changed by the clerk: the
correction or void waits as a request until a 审核员 other than the requester
approves it (then it is applied, checked again) or rejects it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from kit import access, door, inspections, rectification, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound

KIND_LABELS = {"correct": "更正", "void": "作废"}
STATUS_LABELS = {"applied": "已生效", "pending": "待审核", "rejected": "未同意"}
RECORD_LABELS = {"findings": "发现问题", "rectification_items": "整改事项", "inspection_rounds": "巡察轮次"}


@dataclass(frozen=True)
class Correctable:
    """What may be corrected in one record type: its fields (key → label) and how each is shown."""

    table: str
    label: str
    fields: Mapping[str, str]


# Every field a clerk entered for a finding; its unit and round only while nothing refers to it.
FINDING = Correctable("findings", "发现问题", inspections.FINDING.labels)
# An item's own fields; its deadline moves by 延期 and its progress by 报送进展, each with their own record.
ITEM = Correctable(
    "rectification_items",
    "整改事项",
    {k: rectification.ITEM.label_of(k) for k in ("measure", "leader", "responsible", "opened_on")},
)
# A round's own fields: its code names it for good (the trace, Excel and the command line know it by it).
ROUND = Correctable(
    "inspection_rounds",
    "巡察轮次",
    {k: inspections.ROUND.label_of(k) for k in ("name", "kind", "start", "end", "note")},
)
CORRECTABLE = {c.table: c for c in (FINDING, ITEM, ROUND)}

STATE_SQL = {"record_corrections": "SELECT id::VARCHAR AS _key, * FROM record_corrections"}
TABLE_LABELS = {"record_corrections": "更正与作废"}


def _reason(raw: Any, kind: str) -> str:
    return validate.text(raw, field="reason", label=f"{KIND_LABELS[kind]}理由", required=True, max_length=500)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _log(
    con: Connection,
    *,
    table: str,
    record_id: int,
    unit_id: int | None,
    kind: str,
    reason: str,
    changes: Mapping[str, Any],
    status: str,
) -> int:
    ident = int(
        con.scalar(
            "INSERT INTO record_corrections (record_table, record_id, unit_id, kind, reason, changes_json, status,"
            " requested_at, requested_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                table,
                record_id,
                unit_id,
                kind,
                reason,
                json.dumps(changes, ensure_ascii=False),
                status,
                con.now,
                con.actor,
            ],
        )
    )
    action = f"{KIND_LABELS[kind]}{RECORD_LABELS[table]}" + ("申请" if status == "pending" else "")
    trace.record(
        con,
        action=action,
        table="record_corrections",
        key=str(ident),
        before=None,
        after=trace.state(con, STATE_SQL, "record_corrections", str(ident)),
    )
    return ident


def _update(
    con: Connection, table: str, record_id: int, action: str, values: Mapping[str, Any], *, key: str | None = None
) -> None:
    """Change one record, traced under its key (its id, or what its table's trace names it by)."""
    key = str(record_id) if key is None else key
    states = rectification.STATE_SQL if table == "rectification_items" else inspections.STATE_SQL
    before = trace.state(con, states, table, key)
    assignments = ", ".join(f"{name} = ?" for name in values)
    con.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), record_id])
    trace.record(con, action=action, table=table, key=key, before=before, after=trace.state(con, states, table, key))


# --- findings ---------------------------------------------------------------------------------


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
        "found_on": _shown(parsed["found_on"]),
    }


def _referred(con: Connection, finding_id: int, *, voided_too: bool = False) -> list[str]:
    """What refers to a finding: its ledger items (live ones, or every one) and its clue."""
    live = "" if voided_too else " AND voided_at IS NULL"
    rows = con.all(f"SELECT id FROM rectification_items WHERE finding_id = ?{live} ORDER BY id", [finding_id])
    found = [f"整改事项 {'、'.join(str(i) for (i,) in rows)}"] if rows else []
    if con.scalar("SELECT count(*) FROM clues WHERE finding_id = ?", [finding_id]):
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
    check = validate.Checker()
    text = check(_reason, reason, "correct")
    unknown = sorted(set(changes) - set(FINDING.fields))
    if unknown:
        check.fail(unknown[0], f"“{unknown[0]}”不是发现问题可以更正的字段")
    check.done()
    if row["voided_at"] is not None:
        raise InvalidInput.one("finding_id", "该问题已作废，不能更正")
    current = _finding_raw(row)
    wanted = {**current, **{k: v for k, v in changes.items()}}
    ctx = replace(inspections.read_finding_context(con, whole=True), visible=None)
    before = inspections.check_finding(current, replace(ctx, today=max(ctx.today, row["found_on"])))
    after = inspections.check_finding(wanted, ctx)
    differ = {k: v for k, v in after.items() if before[k] != v}
    if not differ:
        raise InvalidInput.one("reason", "没有要更正的内容：各项与原记录相同")
    refs = _referred(con, row["id"], voided_too=True)
    if refs and ({"unit_id", "round_id"} & set(differ)):
        field = "unit" if "unit_id" in differ else "round"
        raise InvalidInput.one(
            field,
            f"该问题已有{'、'.join(refs)}，不能更改“{FINDING.fields[field]}”；确属录错的，请先作废其整改事项和本问题，再重新录入",
        )
    if "unit_id" in differ:
        access.require(con, access.ENTER, unit_id=after["unit_id"], what="更正发现问题")
    old, new = _finding_shown(before, con), _finding_shown(after, con)
    shown = {FINDING.fields[k]: [old[k], new[k]] for k in FINDING.fields if old[k] != new[k]}
    _update(con, "findings", row["id"], "更正发现问题", differ)
    return _log(
        con,
        table="findings",
        record_id=row["id"],
        unit_id=after["unit_id"],
        kind="correct",
        reason=text,
        changes=shown,
        status="applied",
    )


@door.public
def void_finding(con: Connection, *, finding_id: Any, reason: Any) -> int:
    """作废 a finding entered in error; returns the void's id. It leaves lists and statistics.

    Raises:
        InvalidInput: no reason, already voided, or a live ledger item or a clue refers to it.
        NotFound: no such finding.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="作废发现问题")
    text = _reason(reason, "void")
    row = _finding(con, finding_id)
    access.require(con, access.ENTER, unit_id=row["unit_id"], what="作废发现问题")
    if row["voided_at"] is not None:
        raise InvalidInput.one("finding_id", "该问题已作废")
    if con.scalar("SELECT count(*) FROM clues WHERE finding_id = ?", [row["id"]]):
        raise InvalidInput.one("finding_id", "该问题已移交问题线索，不能作废")
    refs = _referred(con, row["id"])
    if refs:
        raise InvalidInput.one("finding_id", f"该问题已有{refs[0]}，请先作废整改事项")
    _update(con, "findings", row["id"], "作废发现问题", {"voided_at": con.now, "voided_by": con.actor})
    return _log(
        con,
        table="findings",
        record_id=row["id"],
        unit_id=row["unit_id"],
        kind="void",
        reason=text,
        changes={},
        status="applied",
    )


# --- rounds -----------------------------------------------------------------------------------


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
        "start": _shown(parsed["start_date"]),
        "end": _shown(parsed["end_date"]),
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
    check = validate.Checker()
    text = check(_reason, reason, "correct")
    unknown = sorted(set(changes) - set(ROUND.fields))
    if unknown:
        label = inspections.ROUND.label_of(unknown[0]) if unknown[0] == "code" else unknown[0]
        check.fail(unknown[0], f"“{label}”不能更正" if unknown[0] == "code" else f"“{label}”不是巡察轮次可以更正的字段")
    check.done()
    current = _round_raw(row)
    before = inspections.check_round(current)
    after = inspections.check_round({**current, **changes})
    differ = {k: v for k, v in after.items() if before[k] != v}
    if not differ:
        raise InvalidInput.one("reason", "没有要更正的内容：各项与原记录相同")
    earliest = con.scalar("SELECT min(found_on) FROM findings WHERE round_id = ? AND voided_at IS NULL", [row["id"]])
    if earliest is not None and after["start_date"] > earliest:
        label = inspections.ROUND.label_of("start")
        raise InvalidInput.one("start", f"“{label}”不能晚于本轮已发现问题中最早的发现日期 {earliest.isoformat()}")
    old, new = _round_shown(before), _round_shown(after)
    shown = {ROUND.fields[k]: [old[k], new[k]] for k in ROUND.fields if old[k] != new[k]}
    _update(con, "inspection_rounds", row["id"], "更正巡察轮次", differ, key=row["code"])
    return _log(
        con,
        table="inspection_rounds",
        record_id=row["id"],
        unit_id=None,
        kind="correct",
        reason=text,
        changes=shown,
        status="applied",
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
    text = _reason(reason, "void")
    row = _live_round(con, round_id)
    held = {
        "巡察组": "SELECT count(*) FROM inspection_groups WHERE round_id = ?",
        "巡察对象": "SELECT count(*) FROM inspection_targets WHERE round_id = ?",
        "发现问题": "SELECT count(*) FROM findings WHERE round_id = ?",
    }
    refs = [what for what, sql in held.items() if con.scalar(sql, [row["id"]])]
    if refs:
        raise InvalidInput.one("round_id", f"本轮已有{'、'.join(refs)}，不能作废；可以更正它的名称、方式和日期")
    _update(
        con,
        "inspection_rounds",
        row["id"],
        "作废巡察轮次",
        {"voided_at": con.now, "voided_by": con.actor},
        key=row["code"],
    )
    return _log(
        con,
        table="inspection_rounds",
        record_id=row["id"],
        unit_id=None,
        kind="void",
        reason=text,
        changes={},
        status="applied",
    )


# --- ledger items -----------------------------------------------------------------------------


def _item_raw(con: Connection, item: Mapping[str, Any]) -> dict[str, Any]:
    leader = con.scalar("SELECT name FROM people WHERE id = ?", [item["leader_id"]]) if item["leader_id"] else ""
    return {
        "finding": item["finding_id"],
        "measure": item["measure"],
        "leader": leader or "",
        "responsible": item["responsible"],
        "deadline": item["deadline"].isoformat(),
        "opened_on": item["opened_on"].isoformat(),
    }


def _item_changes(
    con: Connection, item: Mapping[str, Any], changes: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(columns to set, {label: [before, after]}) for `changes` to an item, checked as at entry."""
    unknown = sorted(set(changes) - set(ITEM.fields))
    if unknown:
        raise InvalidInput.one(
            unknown[0], f"“{unknown[0]}”不是整改事项可以更正的字段（时限请用“延期”，进度请报送进展）"
        )
    current = _item_raw(con, item)
    ctx = rectification.read_item_context(con, [item["finding_id"]], whole=True)
    # The leader may have left the team since: a correction is checked against today's team only when it names one.
    ctx = replace(ctx, visible=None, today=max(ctx.today, item["opened_on"]))
    wanted = {**current, **changes}
    if "leader" not in changes and current["leader"]:
        wanted["leader"] = ""
    after = rectification.check_item(wanted, ctx)
    columns: dict[str, Any] = {}
    shown: dict[str, list[str]] = {}
    for key, column in (("measure", "measure"), ("responsible", "responsible"), ("opened_on", "opened_on")):
        if key in changes and after[column] != item[column]:
            columns[column] = after[column]
            shown[ITEM.fields[key]] = [_shown(item[column]), _shown(after[column])]
    if "leader" in changes and after["leader_id"] != item["leader_id"]:
        columns["leader_id"] = after["leader_id"]
        new_name = (
            con.scalar("SELECT name FROM people WHERE id = ?", [after["leader_id"]]) if after["leader_id"] else ""
        )
        shown[ITEM.fields["leader"]] = [current["leader"], str(new_name or "")]
    if not columns:
        raise InvalidInput.one("reason", "没有要更正的内容：各项与原记录相同")
    return columns, shown


def _live_item(con: Connection, item_id: Any) -> dict[str, Any]:
    item = rectification.live_item(con, item_id)
    if item["voided_at"] is not None:
        raise InvalidInput.one("item_id", "该事项已作废")
    return item


def _pending(con: Connection, item_id: int) -> bool:
    return bool(
        con.scalar(
            "SELECT count(*) FROM record_corrections WHERE record_table = 'rectification_items' AND record_id = ?"
            " AND status = 'pending'",
            [item_id],
        )
    )


@door.public
def correct_item(con: Connection, *, item_id: Any, reason: Any, **changes: Any) -> int:
    """更正 a ledger item (`changes` keyed as ITEM.fields); returns the correction's id.

    An item already 销号 is not changed now: the correction waits for a 审核员 (`review`).

    Raises:
        InvalidInput: no reason, no change, a field breaks its rule, the item is voided or
            already has a request waiting.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="更正整改事项")
    item = rectification.live_item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="更正整改事项")
    text = _reason(reason, "correct")
    item = _live_item(con, item["id"])
    if _pending(con, item["id"]):
        raise InvalidInput.one("item_id", "该事项已有待审核的更正或作废申请，请等审核员处理后再提交")
    columns, shown = _item_changes(con, item, changes)
    if item["status"] == "closed":
        asked = {"shown": shown, "values": {k: _shown(v) for k, v in changes.items()}}
        return _log(
            con,
            table="rectification_items",
            record_id=item["id"],
            unit_id=item["unit_id"],
            kind="correct",
            reason=text,
            changes=asked,
            status="pending",
        )
    _update(con, "rectification_items", item["id"], "更正整改事项", columns)
    return _log(
        con,
        table="rectification_items",
        record_id=item["id"],
        unit_id=item["unit_id"],
        kind="correct",
        reason=text,
        changes=shown,
        status="applied",
    )


@door.public
def void_item(con: Connection, *, item_id: Any, reason: Any) -> int:
    """作废 a ledger item entered in error; returns the void's id (for an item already 销号, a request).

    Raises:
        InvalidInput: no reason, already voided, or a request is waiting.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="作废整改事项")
    item = rectification.live_item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="作废整改事项")
    text = _reason(reason, "void")
    item = _live_item(con, item["id"])
    if _pending(con, item["id"]):
        raise InvalidInput.one("item_id", "该事项已有待审核的更正或作废申请，请等审核员处理后再提交")
    status = "pending" if item["status"] == "closed" else "applied"
    if status == "applied":
        _update(con, "rectification_items", item["id"], "作废整改事项", {"voided_at": con.now, "voided_by": con.actor})
    return _log(
        con,
        table="rectification_items",
        record_id=item["id"],
        unit_id=item["unit_id"],
        kind="void",
        reason=text,
        changes={},
        status=status,
    )


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
        item = _live_item(con, request["record_id"])
        if request["kind"] == "void":
            values = {"voided_at": con.now, "voided_by": con.actor}
        else:
            values, shown = _item_changes(con, item, asked["values"])
            asked = {**asked, "shown": shown}
        _update(con, "rectification_items", item["id"], f"{KIND_LABELS[request['kind']]}整改事项（经审核）", values)
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


# --- reading ----------------------------------------------------------------------------------


_SQL = """
SELECT c.id, c.record_table, c.record_id, c.unit_id, un.name AS unit_name, c.kind, c.reason, c.changes_json,
       c.status, c.requested_at, c.requested_by, coalesce(a.display_name, c.requested_by) AS requested_by_name,
       c.decided_at, c.decided_by, coalesce(d.display_name, c.decided_by) AS decided_by_name, c.note
FROM record_corrections c
LEFT JOIN units un ON un.id = c.unit_id
LEFT JOIN users a ON a.name = c.requested_by
LEFT JOIN users d ON d.name = c.decided_by
WHERE (? IS NULL OR c.record_table = ?) AND (? IS NULL OR c.record_id = ?) AND (? IS NULL OR c.status = ?)
  AND (c.unit_id IS NULL OR {scope})
ORDER BY c.id
"""


def _rows(con: Connection, table: str | None, record_id: int | None, status: str | None) -> list[dict[str, Any]]:
    scope, params = access.scope_sql(con, "c.unit_id")
    rows = con.records(_SQL.format(scope=scope), [table, table, record_id, record_id, status, status, *params])
    for row in rows:
        changes = json.loads(row.pop("changes_json"))
        shown = changes.get("shown", changes) if "values" in changes else changes
        row["changes"] = shown
        row["kind_label"] = KIND_LABELS[row["kind"]]
        row["status_label"] = STATUS_LABELS[row["status"]]
        row["record_label"] = RECORD_LABELS[row["record_table"]]
        row["summary"] = _summary(row)
    return rows


def _summary(row: Mapping[str, Any]) -> str:
    """One line: what was changed (or that the record was voided) and why."""
    if row["kind"] == "void":
        what = f"作废。理由：{row['reason']}"
    else:
        parts = [f"{label}：{old or '（空）'} → {new or '（空）'}" for label, (old, new) in row["changes"].items()]
        what = "更正 " + "；".join(parts) + f"。理由：{row['reason']}"
    if row["status"] == "pending":
        return what + "（待审核员同意）"
    if row["decided_by"]:
        verdict = "同意" if row["status"] == "applied" else "不同意"
        return what + f"（审核员{row['decided_by_name']}{verdict}：{row['note']}）"
    return what


@door.public
def corrections_of(con: Connection, *, table: Any, record_id: Any) -> list[dict[str, Any]]:
    """Every correction and void of one record (and request), oldest first, with who and why."""
    access.require(con, access.READ)
    name = validate.choice(table, field="table", label="记录类型", choices=RECORD_LABELS)
    ident = validate.ident(record_id, field="record_id", label="记录编号")
    return _rows(con, name, ident, None)


@door.public
def pending_requests(con: Connection) -> list[dict[str, Any]]:
    """Requests waiting for a 审核员, in the user's scope."""
    access.require(con, access.READ)
    return _rows(con, None, None, "pending")
