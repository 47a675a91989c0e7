"""Correcting a round's 巡察组: its name, its members' posts, which group inspects which unit.

A group and its members are how the 巡察办 set up the round, so their corrections are
the round's (`record_corrections` of the round, listed in its history); a unit's group is
the unit's own in that round (`record_corrections` of `inspection_targets`, the round's id
and the unit's), so only readers who see the unit see that it moved. Each says what
changed, from what to what, and why. A member
taken out of a group, a unit taken off the round and a group voided leave their tables
(nothing refers to them any more); the trace keeps what they were, and the round's
history says who removed them and why.
"""

from __future__ import annotations

from typing import Any

from kit import door, inspections, trace, validate
from kit.corrections.common import ROUND, TARGET, log_correction, reason_text
from kit.db import Connection
from kit.errors import InvalidInput, NotFound


def _group(con: Connection, group_id: Any) -> dict[str, Any]:
    ident = validate.ident(group_id, field="group_id", label="巡察组编号")
    rows = con.records("SELECT id, round_id, name FROM inspection_groups WHERE id = ?", [ident])
    if not rows:
        raise NotFound(f"巡察组不存在（编号 {ident}）")
    inspections.live_round(con, rows[0]["round_id"])  # a voided round's groups are not set up again
    return rows[0]


def _change(
    con: Connection,
    *,
    action: str,
    table: str,
    key: str,
    sql: str,
    params: list[Any],
    round_id: int,
    reason: str,
    shown: dict[str, list[str]],
    unit_id: int | None = None,
    kind: str = "correct",
) -> int:
    """Change one row of the round's set-up, traced under its key, and log it as a correction.

    A correction of the round; with `unit_id`, of that unit's place in the round (`inspection_targets`).
    """
    before = trace.state(con, inspections.STATE_SQL, table, key)
    con.execute(sql, params)
    trace.record(
        con,
        action=action,
        table=table,
        key=key,
        before=before,
        after=trace.state(con, inspections.STATE_SQL, table, key),
    )
    return log_correction(
        con,
        table=ROUND.table if unit_id is None else TARGET.table,
        record_id=round_id,
        unit_id=unit_id,
        kind=kind,
        reason=reason,
        changes=shown,
        status="applied",
        action=action,
    )


@door.public
def correct_group(con: Connection, *, group_id: Any, reason: Any, name: Any) -> int:
    """更正 a group's name (still distinct in its round); returns the correction's id.

    Raises:
        InvalidInput: no reason, an empty or taken name, or the same name.
        NotFound: no such group (or its round is voided).
        PermissionDenied: not a 录入员 over all units.
    """
    inspections.require_round_admin(con, "更正巡察组")
    group = _group(con, group_id)
    check = validate.Checker()
    text = check(reason_text, reason, "correct")
    new = check(validate.text, name, field="name", label="巡察组名称", required=True, max_length=50)
    check.done()
    if new == group["name"]:
        raise InvalidInput.one("name", "没有要更正的内容：名称与原来相同")
    if con.scalar(
        "SELECT count(*) FROM inspection_groups WHERE round_id = ? AND name = ? AND id <> ?",
        [group["round_id"], new, group["id"]],
    ):
        raise InvalidInput.one("name", f"本轮已有“{new}”")
    return _change(
        con,
        action="更正巡察组",
        table="inspection_groups",
        key=str(group["id"]),
        sql="UPDATE inspection_groups SET name = ? WHERE id = ?",
        params=[new, group["id"]],
        round_id=group["round_id"],
        reason=str(text),
        shown={"巡察组名称": [group["name"], str(new)]},
    )


@door.public
def void_group(con: Connection, *, group_id: Any, reason: Any) -> int:
    """作废 a group set up in error, once it has no members and inspects no unit; returns the correction's id.

    Raises:
        InvalidInput: no reason, or the group still has members or units.
        NotFound: no such group (or its round is voided).
        PermissionDenied: not a 录入员 over all units.
    """
    inspections.require_round_admin(con, "作废巡察组")
    group = _group(con, group_id)
    text = reason_text(reason, "void")
    members = con.scalar("SELECT count(*) FROM group_members WHERE group_id = ?", [group["id"]])
    units = con.scalar("SELECT count(*) FROM inspection_targets WHERE group_id = ?", [group["id"]])
    if members or units:
        held = "、".join(
            part for part in (f"组员 {members} 人" if members else "", f"巡察对象 {units} 个" if units else "") if part
        )
        raise InvalidInput.one("group_id", f"{group['name']}还有{held}：先移出组员、把巡察对象交给别的组或撤销，再作废")
    return _change(
        con,
        action="作废巡察组",
        table="inspection_groups",
        key=str(group["id"]),
        sql="DELETE FROM inspection_groups WHERE id = ?",
        params=[group["id"]],
        round_id=group["round_id"],
        reason=text,
        shown={"巡察组": [group["name"], "（作废）"]},
        kind="void",
    )


def _member(con: Connection, group: dict[str, Any], person_id: Any) -> tuple[int, str, str]:
    person = validate.ident(person_id, field="person_id", label="人员编号")
    role = con.scalar("SELECT role FROM group_members WHERE group_id = ? AND person_id = ?", [group["id"], person])
    if role is None:
        raise InvalidInput.one("person_id", f"此人不是{group['name']}的成员")
    return person, str(role), inspections.person_name(con, person)


@door.public
def change_member(con: Connection, *, group_id: Any, person_id: Any, role: Any, reason: Any) -> int:
    """更正 a member's post in the group, checked as when they joined (pools, one 组长); returns the id.

    Raises:
        InvalidInput: no reason, a bad post, the same post, not in the post's pool, or a second 组长.
        NotFound: no such group or person.
        PermissionDenied: not a 录入员 over all units.
    """
    inspections.require_round_admin(con, "更正巡察组成员")
    group = _group(con, group_id)
    check = validate.Checker()
    text = check(reason_text, reason, "correct")
    post = check(validate.choice, role, field="role", label="组内职务", choices=inspections.MEMBER_ROLE_LABELS)
    check.done()
    person, old, name = _member(con, group, person_id)
    labels = inspections.MEMBER_ROLE_LABELS
    if post == old:
        raise InvalidInput.one("role", f"没有要更正的内容：{name}已是{labels[post]}")
    pool = inspections.POOL_OF_ROLE.get(str(post))
    if pool and not con.scalar("SELECT count(*) FROM inspector_pool WHERE person_id = ? AND pool = ?", [person, pool]):
        raise InvalidInput.one("role", f"{name}不在{inspections.POOL_LABELS[pool]}中，不能担任{labels[post]}")
    if post == "leader" and con.scalar(
        "SELECT count(*) FROM group_members WHERE group_id = ? AND role = 'leader'", [group["id"]]
    ):
        raise InvalidInput.one("role", f"{group['name']}已有组长")
    return _change(
        con,
        action="更正巡察组成员",
        table="group_members",
        key=f"{group['id']}/{person}",
        sql="UPDATE group_members SET role = ? WHERE group_id = ? AND person_id = ?",
        params=[post, group["id"], person],
        round_id=group["round_id"],
        reason=str(text),
        shown={f"{group['name']}成员": [f"{name}（{labels[old]}）", f"{name}（{labels[post]}）"]},
    )


@door.public
def remove_member(con: Connection, *, group_id: Any, person_id: Any, reason: Any) -> int:
    """Take a member out of the group (调配错了); returns the correction's id.

    Raises:
        InvalidInput: no reason, or the person is not a member.
        NotFound: no such group or person.
        PermissionDenied: not a 录入员 over all units.
    """
    inspections.require_round_admin(con, "更正巡察组成员")
    group = _group(con, group_id)
    text = reason_text(reason, "correct")
    person, old, name = _member(con, group, person_id)
    return _change(
        con,
        action="移出巡察组",
        table="group_members",
        key=f"{group['id']}/{person}",
        sql="DELETE FROM group_members WHERE group_id = ? AND person_id = ?",
        params=[group["id"], person],
        round_id=group["round_id"],
        reason=text,
        shown={f"{group['name']}成员": [f"{name}（{inspections.MEMBER_ROLE_LABELS[old]}）", "（移出）"]},
    )


def _target(con: Connection, round_id: Any, unit_id: Any) -> tuple[int, int, str, dict[str, Any]]:
    """(round, unit, unit name, its group) of a unit the round inspects."""
    check = validate.Checker()
    rnd = check(validate.ident, round_id, field="round_id", label="轮次编号")
    unit = check(validate.ident, unit_id, field="unit_id", label="被巡察单位")
    check.done()
    inspections.live_round(con, rnd)
    row = con.one(
        "SELECT t.group_id, u.name FROM inspection_targets t JOIN units u ON u.id = t.unit_id"
        " WHERE t.round_id = ? AND t.unit_id = ?",
        [rnd, unit],
    )
    if row is None:
        raise InvalidInput.one("unit_id", "该单位不是本轮的巡察对象")
    return rnd, unit, str(row[1]), _group(con, row[0])


@door.public
def move_target(con: Connection, *, round_id: Any, unit_id: Any, group_id: Any, reason: Any) -> int:
    """Hand a unit of the round to another of its groups (回避 checked for that group); returns the id.

    Raises:
        InvalidInput: no reason, the same group, a group of another round, or a member must recuse.
        NotFound: no such round or group.
        PermissionDenied: not a 录入员 over all units.
    """
    inspections.require_round_admin(con, "更正巡察对象")
    text = reason_text(reason, "correct")
    rnd, unit, unit_name, old = _target(con, round_id, unit_id)
    new = _group(con, group_id)
    if new["round_id"] != rnd:
        raise InvalidInput.one("group_id", f"{new['name']}不是本轮的巡察组")
    if new["id"] == old["id"]:
        raise InvalidInput.one("group_id", f"没有要更正的内容：{unit_name}已由{old['name']}巡察")
    members = [r[0] for r in con.all("SELECT person_id FROM group_members WHERE group_id = ?", [new["id"]])]
    conflicts = inspections.recusal_conflicts(con, person_ids=members, unit_ids=[unit])
    if conflicts:
        raise InvalidInput.one("group_id", "；".join(conflicts))
    return _change(
        con,
        action="更正巡察对象",
        table="inspection_targets",
        key=f"{rnd}/{unit}",
        sql="UPDATE inspection_targets SET group_id = ? WHERE round_id = ? AND unit_id = ?",
        params=[new["id"], rnd, unit],
        round_id=rnd,
        reason=text,
        shown={f"{unit_name}的巡察组": [old["name"], new["name"]]},
        unit_id=unit,
    )


@door.public
def remove_target(con: Connection, *, round_id: Any, unit_id: Any, reason: Any) -> int:
    """Take a unit off the round (确定错了), while nothing of the round is recorded for it; returns the id.

    Raises:
        InvalidInput: no reason, not a unit of the round, or it already has findings, feedback or
            an evaluation in the round.
        NotFound: no such round.
        PermissionDenied: not a 录入员 over all units.
    """
    inspections.require_round_admin(con, "撤销巡察对象")
    text = reason_text(reason, "correct")
    rnd, unit, unit_name, group = _target(con, round_id, unit_id)
    held = {
        "发现问题": "SELECT count(*) FROM findings WHERE round_id = ? AND unit_id = ? AND voided_at IS NULL",
        "巡察反馈": "SELECT count(*) FROM feedbacks WHERE round_id = ? AND unit_id = ? AND voided_at IS NULL",
        "整改评估": "SELECT count(*) FROM rectification_evaluations WHERE round_id = ? AND unit_id = ?"
        " AND voided_at IS NULL",
    }
    found = [what for what, sql in held.items() if con.scalar(sql, [rnd, unit])]
    if found:
        raise InvalidInput.one("unit_id", f"{unit_name}本轮已有{'、'.join(found)}，不能撤销；可以交给本轮别的巡察组")
    return _change(
        con,
        action="撤销巡察对象",
        table="inspection_targets",
        key=f"{rnd}/{unit}",
        sql="DELETE FROM inspection_targets WHERE round_id = ? AND unit_id = ?",
        params=[rnd, unit],
        round_id=rnd,
        reason=text,
        shown={"巡察对象": [f"{unit_name}（{group['name']}）", "（撤销）"]},
        unit_id=unit,
    )
