"""What can be corrected, the labels, and how a correction is logged and applied."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kit import inspections, rectification, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput

KIND_LABELS = {"correct": "更正", "void": "作废"}
STATUS_LABELS = {"applied": "已生效", "pending": "待审核", "rejected": "未同意"}
RECORD_LABELS = {
    "findings": "发现问题",
    "rectification_items": "整改事项",
    "inspection_rounds": "巡察轮次",
    "feedbacks": "巡察反馈",
    "clue_outcomes": "线索处置",
    "clues": "问题线索",
    "score_sheets": "评分表",
    "inspection_targets": "巡察对象",
    "rectification_evaluations": "整改评估",
    "rectification_updates": "整改进展",
}


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
# A feedback's own fields: its round and unit name it (one recorded for the wrong unit is voided).
FEEDBACK = Correctable(
    "feedbacks",
    "巡察反馈",
    {k: inspections.FEEDBACK.label_of(k) for k in ("mode", "held_on", "leader_id", "note")},
)
# A clue's transfer: to whom, when, and its note (its finding names it: one transferred in error is voided).
CLUE = Correctable(
    "clues",
    "问题线索",
    {k: inspections.CLUE.label_of(k) for k in ("receiver", "transferred_on", "note")},
)
# A clue's step: what was decided, for how many 人次, when (its clue names it).
OUTCOME = Correctable(
    "clue_outcomes",
    "线索处置",
    {k: inspections.OUTCOME.label_of(k) for k in ("outcome", "people", "decided_on", "note")},
)
# A closed year's score sheet: its scores, their notes and the overall note, by request only.
SHEET = Correctable("score_sheets", "评分表", {"scores": "得分", "notes": "扣分说明", "note": "总体评价"})
# Which group inspects a unit in a round: its record is the round (`record_id`) and the unit, so a
# reader sees the corrections of the units in their scope only.
TARGET = Correctable("inspection_targets", "巡察对象", {"group": "巡察组"})
# An evaluation's score, opinion and date: its round and unit name it (one for the wrong unit is voided).
EVALUATION = Correctable(
    "rectification_evaluations",
    "整改评估",
    {k: rectification.EVALUATION.label_of(k) for k in ("score", "note", "on")},
)
# An item's progress report (进展情况, 整改进度) or extension (延期理由, 新的整改时限), while it is 整改中:
# `corrections.updates` narrows the fields to the step's kind.
UPDATE = Correctable(
    "rectification_updates",
    "整改进展",
    {**rectification.PROGRESS_LABELS, **rectification.EXTENSION_LABELS, "body": "进展情况或延期理由"},
)
CORRECTABLE = {c.table: c for c in (FINDING, ITEM, ROUND, FEEDBACK, CLUE, OUTCOME, SHEET, TARGET, EVALUATION, UPDATE)}
# The records that belong to no one unit: their corrections carry none, and every reader sees them.
UNITLESS = frozenset({"inspection_rounds"})

STATE_SQL = {"record_corrections": "SELECT id::VARCHAR AS _key, * FROM record_corrections"}
TABLE_LABELS = {"record_corrections": "更正与作废"}


def reason_text(raw: Any, kind: str) -> str:
    return validate.text(raw, field="reason", label=f"{KIND_LABELS[kind]}理由", required=True, max_length=500)


def shown_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def log_correction(
    con: Connection,
    *,
    table: str,
    record_id: int,
    unit_id: int | None,
    kind: str,
    reason: str,
    changes: Mapping[str, Any],
    status: str,
    action: str = "",
) -> int:
    """Record one correction or void (or a request for one) of a correctable record, traced.

    The trace names it by `action`, else by its kind and record type (更正发现问题).

    Raises:
        ValueError: not a correctable table, or a unit given or missing against its kind
            (kit's own rule: the table no longer checks it, so that a new record type needs
            no migration).
    """
    if table not in CORRECTABLE or (unit_id is None) != (table in UNITLESS):
        raise ValueError(f"no correction of {table} with unit {unit_id}")
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
    action = action or f"{KIND_LABELS[kind]}{RECORD_LABELS[table]}" + ("申请" if status == "pending" else "")
    trace.record(
        con,
        action=action,
        table="record_corrections",
        key=str(ident),
        before=None,
        after=trace.state(con, STATE_SQL, "record_corrections", str(ident)),
    )
    return ident


def update_record(
    con: Connection, table: str, record_id: int, action: str, values: Mapping[str, Any], *, key: str | None = None
) -> None:
    """Change one record, traced under its key (its id, or what its table's trace names it by)."""
    key = str(record_id) if key is None else key
    states = rectification.STATE_SQL if table in rectification.STATE_SQL else inspections.STATE_SQL
    before = trace.state(con, states, table, key)
    assignments = ", ".join(f"{name} = ?" for name in values)
    con.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), record_id])
    trace.record(con, action=action, table=table, key=key, before=before, after=trace.state(con, states, table, key))


def asked_reason(correctable: Correctable, reason: Any, changes: Mapping[str, Any], fixed: Mapping[str, str]) -> str:
    """A correction's reason, checked with what it asks to change (`fixed`: fields that name the record, and why).

    Raises:
        InvalidInput: no reason, or a field that cannot be corrected, each named.
    """
    check = validate.Checker()
    text = check(reason_text, reason, "correct")
    unknown = sorted(set(changes) - set(correctable.fields))
    if unknown:
        key = unknown[0]
        check.fail(key, fixed.get(key) or f"“{key}”不是{correctable.label}可以更正的字段")
    check.done()
    return str(text)


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The stored values a correction changes.

    Raises:
        InvalidInput: it changes nothing.
    """
    differ = {k: v for k, v in after.items() if before[k] != v}
    if not differ:
        raise InvalidInput.one("reason", "没有要更正的内容：各项与原记录相同")
    return differ


def shown_changes(correctable: Correctable, old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, list[str]]:
    """Label → [before, after] of each field shown differently, as the history lists them."""
    return {correctable.fields[k]: [old[k], new[k]] for k in correctable.fields if old[k] != new[k]}


def apply_correction(
    con: Connection,
    correctable: Correctable,
    record_id: int,
    *,
    unit_id: int | None,
    reason: str,
    values: Mapping[str, Any],
    shown: Mapping[str, Any],
    key: str | None = None,
) -> int:
    """Change the record and log the correction (applied at once), traced; returns its id."""
    update_record(con, correctable.table, record_id, f"更正{correctable.label}", values, key=key)
    return log_correction(
        con,
        table=correctable.table,
        record_id=record_id,
        unit_id=unit_id,
        kind="correct",
        reason=reason,
        changes=shown,
        status="applied",
    )


def apply_void(
    con: Connection,
    correctable: Correctable,
    record_id: int,
    *,
    unit_id: int | None,
    reason: str,
    key: str | None = None,
) -> int:
    """Mark the record voided and log the void (applied at once), traced; returns its id."""
    values = {"voided_at": con.now, "voided_by": con.actor}
    update_record(con, correctable.table, record_id, f"作废{correctable.label}", values, key=key)
    return log_correction(
        con,
        table=correctable.table,
        record_id=record_id,
        unit_id=unit_id,
        kind="void",
        reason=reason,
        changes={},
        status="applied",
    )
