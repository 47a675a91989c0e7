"""巡察反馈: the group's feedback to each unit, attended by its 分管领导."""

from __future__ import annotations

from typing import Any

from kit import access, door, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.inspections.common import FEEDBACK_MODE_LABELS, person_name, traced
from kit.inspections.rounds import live_round


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
    check = validate.Checker()
    rnd = check(validate.ident, round_id, field="round_id", label="轮次编号")
    unit = check(validate.ident, unit_id, field="unit_id", label="单位编号")
    how = check(validate.choice, mode, field="mode", label="反馈方式", choices=FEEDBACK_MODE_LABELS)
    day = check(validate.day, held_on, field="held_on", label="反馈日期")
    leader = check(validate.ident, leader_id, field="leader_id", label="出席的分管领导")
    note_text = check(validate.text, note, field="note", label="备注", max_length=1000)
    check.done()
    access.require(con, access.ENTER, unit_id=unit, what="登记巡察反馈")
    info = live_round(con, rnd)
    person_name(con, leader)
    if not con.scalar("SELECT count(*) FROM inspection_targets WHERE round_id = ? AND unit_id = ?", [rnd, unit]):
        raise InvalidInput.one("unit_id", f"该单位不是{info['name']}的巡察对象")
    if day < info["start_date"]:
        raise InvalidInput.one("held_on", f"“反馈日期”不能早于本轮巡察开始日期 {info['start_date'].isoformat()}")
    if con.scalar("SELECT count(*) FROM feedbacks WHERE round_id = ? AND unit_id = ? AND mode = ?", [rnd, unit, how]):
        raise InvalidInput.one("mode", f"该单位本轮已登记{FEEDBACK_MODE_LABELS[how]}")
    new_id = int(
        con.scalar(
            "INSERT INTO feedbacks (round_id, unit_id, mode, held_on, leader_id, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [rnd, unit, how, day, leader, note_text or None, con.now, con.actor],
        )
    )
    traced(con, "登记巡察反馈", "feedbacks", str(new_id), None)
    return new_id


@door.public
def list_feedbacks(con: Connection, *, round_id: Any) -> list[dict[str, Any]]:
    """A round's feedback meetings in the user's scope, with the attending 分管领导."""
    rnd = validate.ident(round_id, field="round_id", label="轮次编号")
    scope, params = access.scope_sql(con, "fb.unit_id")
    rows = con.records(
        "SELECT fb.id, fb.unit_id, u.name AS unit_name, fb.mode, fb.held_on, fb.leader_id, p.name AS leader_name,"
        " fb.note FROM feedbacks fb JOIN units u ON u.id = fb.unit_id JOIN people p ON p.id = fb.leader_id"
        f" WHERE fb.round_id = ? AND {scope} ORDER BY fb.held_on, u.sort_order, fb.mode",
        [rnd, *params],
    )
    for row in rows:
        row["mode_label"] = FEEDBACK_MODE_LABELS[row["mode"]]
    return rows
