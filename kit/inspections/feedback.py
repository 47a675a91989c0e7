"""巡察反馈: the group's feedback to each unit, attended by its 分管领导."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kit import access, door, fields, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.fields import Field, Record
from kit.inspections.common import FEEDBACK_MODE_LABELS, person_name, traced
from kit.inspections.rounds import live_round
from kit.listing import Column, Filter, Listing

# The round's feedback meetings as the rounds app lists them: the rows of `list_feedbacks`.
FEEDBACK_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("unit_name", "被巡察单位", width=10),
        Column("mode", "反馈方式", width=6, shown="mode_label"),
        Column("held_on", "反馈日期", "date", width=6.5),
        Column("leader_name", "出席的分管领导", width=7),
        Column("note", "备注", width=14, limit=40),
    ),
    sort="held_on",
    filters=(Filter("unit_id", "单位", shown="unit_name"), Filter("mode", "反馈方式", shown="mode_label")),
    search=("unit_name", "leader_name", "note"),
    empty="本轮尚未登记反馈。",
)

# A feedback meeting: its fields (keys = record_feedback's arguments). Its round and unit
# name it: a correction changes the others; one recorded for the wrong unit is voided.
FEEDBACK = Record(
    kind="feedback",
    label="巡察反馈",
    table="feedbacks",
    fields=(
        Field("round_id", "巡察轮次", "id", rule="所选的巡察轮次", required=True),
        Field("unit_id", "被巡察单位", "id", rule="本轮的巡察对象，须在您的授权范围内", required=True, width="22em"),
        Field(
            "mode",
            "反馈方式",
            "choice",
            choices=FEEDBACK_MODE_LABELS,
            rule="集中反馈或一对一反馈；同一单位每种方式登记一次",
            required=True,
            width="10em",
        ),
        Field(
            "held_on",
            "反馈日期",
            "date",
            rule="日期，如 2025-07-15；不能早于本轮巡察开始日期",
            required=True,
            placeholder="2025-07-15",
            width="10em",
        ),
        Field("leader_id", "出席的分管领导", "id", rule="出席反馈的分管领导", required=True, width="22em"),
        Field("note", "备注", "textarea", rule="不超过 1000 字", max_length=1000),
    ),
    excel=False,
)
_KEYS = ("round_id", "unit_id", "mode", "held_on", "leader_id", "note")


def check_feedback(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a feedback (form or API) into the values stored, by FEEDBACK's fields.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    check = validate.Checker()
    parsed = {key: fields.parse(check, FEEDBACK, key, raw) for key in _KEYS}
    check.done()
    parsed["note"] = parsed["note"] or None
    return parsed


def check_feedback_in_round(con: Connection, parsed: Mapping[str, Any], *, feedback_id: int | None = None) -> None:
    """The rules against the office's records: a unit of the round, a date within it, one live record per mode.

    Raises:
        InvalidInput: a rule broken, naming its field.
        NotFound: no such round (or voided) or person.
    """
    info = live_round(con, parsed["round_id"])
    person_name(con, parsed["leader_id"])
    label = FEEDBACK.label_of
    target = "SELECT count(*) FROM inspection_targets WHERE round_id = ? AND unit_id = ?"
    if not con.scalar(target, [parsed["round_id"], parsed["unit_id"]]):
        raise InvalidInput.one("unit_id", f"该单位不是{info['name']}的巡察对象")
    start: date = info["start_date"]
    if parsed["held_on"] < start:
        raise InvalidInput.one("held_on", f"“{label('held_on')}”不能早于本轮巡察开始日期 {start.isoformat()}")
    same = con.scalar(
        "SELECT count(*) FROM feedbacks WHERE round_id = ? AND unit_id = ? AND mode = ? AND voided_at IS NULL"
        " AND id IS DISTINCT FROM ?",
        [parsed["round_id"], parsed["unit_id"], parsed["mode"], feedback_id],
    )
    if same:
        raise InvalidInput.one("mode", f"该单位本轮已登记{FEEDBACK_MODE_LABELS[parsed['mode']]}")


@door.public
def record_feedback(
    con: Connection, *, round_id: Any, unit_id: Any, mode: Any, held_on: Any, leader_id: Any, note: Any = None
) -> int:
    """反馈: the group's feedback to a unit and the 分管领导 who attended; returns its id.

    Raises:
        InvalidInput: bad fields, the unit is not inspected in the round, or this mode was already recorded.
        NotFound: no such round, unit or person.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    raw = {"round_id": round_id, "unit_id": unit_id, "mode": mode, "held_on": held_on, "leader_id": leader_id}
    parsed = check_feedback({**raw, "note": note})
    access.require(con, access.ENTER, unit_id=parsed["unit_id"], what="登记巡察反馈")
    check_feedback_in_round(con, parsed)
    new_id = int(
        con.scalar(
            "INSERT INTO feedbacks (round_id, unit_id, mode, held_on, leader_id, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [*(parsed[k] for k in _KEYS), con.now, con.actor],
        )
    )
    traced(con, "登记巡察反馈", "feedbacks", str(new_id), None)
    return new_id


@door.public
def list_feedbacks(con: Connection, *, round_id: Any) -> list[dict[str, Any]]:
    """A round's feedback meetings in the user's scope (voided ones left out), with the attending 分管领导."""
    rnd = validate.ident(round_id, field="round_id", label="轮次编号")
    scope, params = access.scope_sql(con, "fb.unit_id")
    rows = con.records(
        "SELECT fb.id, fb.round_id, fb.unit_id, u.name AS unit_name, fb.mode, fb.held_on, fb.leader_id,"
        " p.name AS leader_name, fb.note FROM feedbacks fb JOIN units u ON u.id = fb.unit_id"
        " JOIN people p ON p.id = fb.leader_id"
        f" WHERE fb.round_id = ? AND fb.voided_at IS NULL AND {scope} ORDER BY fb.held_on, u.sort_order, fb.mode",
        [rnd, *params],
    )
    for row in rows:
        row["mode_label"] = FEEDBACK_MODE_LABELS[row["mode"]]
    return rows
