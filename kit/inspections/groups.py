"""巡察组: members drawn from the pools (with 回避), the units each group inspects, its scope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kit import access, door, fields, registry, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.fields import Field, Record
from kit.inspections.common import (
    MEMBER_ROLE_LABELS,
    POOL_LABELS,
    POOL_OF_ROLE,
    person_name,
    require_round_admin,
    traced,
)
from kit.inspections.rounds import live_round
from kit.listing import Column, Listing

# A round's group, a member drawn into it, a unit it inspects: how the 巡察办 sets up a round.
GROUP = Record(
    kind="groups",
    label="巡察组",
    table="inspection_groups",
    fields=(
        Field("round_id", "巡察轮次", "id", rule="已建立、未作废的巡察轮次", required=True),
        Field(
            "name",
            "巡察组名称",
            rule="不超过 50 字，本轮内不重名",
            required=True,
            max_length=50,
            placeholder="如 第一巡察组",
            width="14em",
        ),
    ),
    excel=False,
)
MEMBER = Record(
    kind="members",
    label="巡察组成员",
    table="group_members",
    fields=(
        Field("group_id", "巡察组", "id", rule="本轮的巡察组", required=True, width="14em"),
        Field(
            "person_id",
            "人员",
            "id",
            rule="已登记的人员，本轮只在一个组；组长、副组长、联络员须在相应人员库中；曾在本组巡察对象任职的须回避",
            required=True,
            width="18em",
        ),
        Field(
            "role",
            "组内职务",
            "choice",
            choices=MEMBER_ROLE_LABELS,
            rule="从下拉列表中选择；每组一名组长",
            required=True,
            width="8em",
        ),
    ),
    excel=False,
)
TARGET = Record(
    kind="targets",
    label="巡察对象",
    table="inspection_targets",
    fields=(
        Field("group_id", "巡察组", "id", rule="本轮的巡察组", required=True, width="14em"),
        Field(
            "unit_id",
            "被巡察单位",
            "id",
            rule="本轮尚未确定巡察组的单位；曾在该单位任职的组员须回避",
            required=True,
            width="22em",
        ),
    ),
    excel=False,
)


def check_group(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a group (form or API) by GROUP's fields.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    return fields.parse_all(GROUP, raw)


def check_member(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a member (form or API) by MEMBER's fields.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    return fields.parse_all(MEMBER, raw)


def check_target(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a unit given to a group (form or API) by TARGET's fields.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    return fields.parse_all(TARGET, raw)


@door.public
def add_group(con: Connection, *, round_id: Any, name: Any) -> int:
    """A 巡察组 of a round (e.g. 第一巡察组); returns its id.

    Raises:
        InvalidInput: bad id, empty name, or the name is taken in the round.
        NotFound: no such round.
        PermissionDenied: not a 录入员 over all units.
    """
    parsed = check_group({"round_id": round_id, "name": name})
    round_ident, name_text = parsed["round_id"], parsed["name"]
    require_round_admin(con, "设置巡察组")
    live_round(con, round_ident)
    if con.scalar("SELECT count(*) FROM inspection_groups WHERE round_id = ? AND name = ?", [round_ident, name_text]):
        raise InvalidInput.one("name", f"本轮已有“{name_text}”")
    new_id = int(
        con.scalar(
            "INSERT INTO inspection_groups (round_id, name) VALUES (?, ?) RETURNING id", [round_ident, name_text]
        )
    )
    traced(con, "设置巡察组", "inspection_groups", str(new_id), None)
    return new_id


def _group(con: Connection, group_id: int) -> dict[str, Any]:
    rows = con.records(
        "SELECT g.id, g.name, g.round_id, r.code AS round_code FROM inspection_groups g"
        " JOIN inspection_rounds r ON r.id = g.round_id WHERE g.id = ?",
        [group_id],
    )
    if not rows:
        raise NotFound(f"巡察组不存在（编号 {group_id}）")
    return rows[0]


@door.public
def recusal_conflicts(con: Connection, *, person_ids: Iterable[int], unit_ids: Iterable[int]) -> list[str]:
    """回避: who of `person_ids` holds or held a post in one of `unit_ids` — each as a Chinese sentence."""
    people, units = sorted(set(person_ids)), sorted(set(unit_ids))
    access.require(con, access.READ, what="回避审查")
    for unit in units:
        access.require(con, access.READ, unit_id=unit, what="回避审查")
    if not people or not units:
        return []
    rows = con.all(
        "SELECT p.name, u.name, t.post, t.start_date, t.end_date FROM tenures t"
        " JOIN people p ON p.id = t.person_id JOIN units u ON u.id = t.unit_id"
        " WHERE list_contains(?::INTEGER[], t.person_id) AND list_contains(?::INTEGER[], t.unit_id)"
        " ORDER BY p.id, t.start_date",
        [people, units],
    )
    out = []
    for person, unit, post, start, end in rows:
        when = f"{start.isoformat()}起" + (f"至{end.isoformat()}" if end else "至今")
        out.append(f"{person}曾在或正在{unit}任{post}（{when}），应当回避")
    return out


@door.public
def add_member(con: Connection, *, group_id: Any, person_id: Any, role: Any) -> None:
    """Put a person into a group: 组长/副组长/联络员 must come from their pool, and nobody may
    inspect a unit where they hold or held a post (回避).

    Raises:
        InvalidInput: bad ids or role, not in the pool, already in the group, a second 组长, or a recusal.
        NotFound: no such group or person.
        PermissionDenied: not a 录入员 over all units.
    """
    parsed = check_member({"group_id": group_id, "person_id": person_id, "role": role})
    group, person, post = parsed["group_id"], parsed["person_id"], parsed["role"]
    require_round_admin(con, "设置巡察组")
    info = _group(con, group)
    name = person_name(con, person)
    pool = POOL_OF_ROLE.get(post)
    if pool and not con.scalar("SELECT count(*) FROM inspector_pool WHERE person_id = ? AND pool = ?", [person, pool]):
        raise InvalidInput.one("person_id", f"{name}不在{POOL_LABELS[pool]}中，不能担任{MEMBER_ROLE_LABELS[post]}")
    if con.scalar(
        "SELECT count(*) FROM group_members m JOIN inspection_groups g ON g.id = m.group_id"
        " WHERE g.round_id = ? AND m.person_id = ?",
        [info["round_id"], person],
    ):
        raise InvalidInput.one("person_id", f"{name}已在本轮的巡察组中")
    if post == "leader" and con.scalar(
        "SELECT count(*) FROM group_members WHERE group_id = ? AND role = 'leader'", [group]
    ):
        raise InvalidInput.one("role", f"{info['name']}已有组长")
    targets = [r[0] for r in con.all("SELECT unit_id FROM inspection_targets WHERE group_id = ?", [group])]
    conflicts = recusal_conflicts(con, person_ids=[person], unit_ids=targets)
    if conflicts:
        raise InvalidInput.one("person_id", "；".join(conflicts))
    con.execute("INSERT INTO group_members VALUES (?, ?, ?)", [group, person, post])
    traced(con, "设置巡察组成员", "group_members", f"{group}/{person}", None)


@door.public
def assign_unit(con: Connection, *, group_id: Any, unit_id: Any) -> None:
    """The group inspects the unit in its round (one group per unit and round; recusal checked).

    Raises:
        InvalidInput: bad ids, the unit already has a group this round, or a member must recuse.
        NotFound: no such group or unit.
        PermissionDenied: not a 录入员 over all units.
    """
    parsed = check_target({"group_id": group_id, "unit_id": unit_id})
    group, unit = parsed["group_id"], parsed["unit_id"]
    require_round_admin(con, "确定巡察对象")
    info = _group(con, group)
    registry.get_unit(con, unit)
    if con.scalar(
        "SELECT count(*) FROM inspection_targets WHERE round_id = ? AND unit_id = ?", [info["round_id"], unit]
    ):
        raise InvalidInput.one("unit_id", "该单位本轮已确定巡察组")
    members = [r[0] for r in con.all("SELECT person_id FROM group_members WHERE group_id = ?", [group])]
    conflicts = recusal_conflicts(con, person_ids=members, unit_ids=[unit])
    if conflicts:
        raise InvalidInput.one("unit_id", "；".join(conflicts))
    con.execute("INSERT INTO inspection_targets VALUES (?, ?, ?)", [info["round_id"], unit, group])
    traced(con, "确定巡察对象", "inspection_targets", f"{info['round_id']}/{unit}", None)


# A round's groups as the rounds app lists them: the rows of `round_groups`.
GROUP_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("name", "巡察组", width=7),
        Column("member_names", "成员", width=40),
        Column("unit_names", "巡察对象", width=20),
    ),
    sort="id",
    search=("name", "member_names", "unit_names"),
    empty="本轮尚未组建巡察组。",
)


@door.public
def round_groups(con: Connection, *, round_id: Any) -> list[dict[str, Any]]:
    """A round's groups with their members and the units (in the user's scope) each inspects."""
    ident = validate.ident(round_id, field="round_id", label="轮次编号")
    access.require(con, access.READ)
    live_round(con, ident)
    scope, params = access.scope_sql(con, "t.unit_id")
    groups = con.records("SELECT id, name FROM inspection_groups WHERE round_id = ? ORDER BY id", [ident])
    for group in groups:
        group["members"] = con.records(
            "SELECT p.id AS person_id, p.name, m.role FROM group_members m JOIN people p ON p.id = m.person_id"
            " WHERE m.group_id = ? ORDER BY CASE m.role WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1"
            " WHEN 'liaison' THEN 2 ELSE 3 END, p.id",
            [group["id"]],
        )
        for member in group["members"]:
            member["role_label"] = MEMBER_ROLE_LABELS[member["role"]]
        group["units"] = con.records(
            "SELECT u.id, u.code, u.name FROM inspection_targets t JOIN units u ON u.id = t.unit_id"
            f" WHERE t.group_id = ? AND {scope} ORDER BY u.sort_order, u.code",
            [group["id"], *params],
        )
        names = [f"{m['name']}（{m['role_label']}）" for m in group["members"]]
        group["member_names"] = "、".join(names) or "（未调配）"
        group["unit_names"] = "、".join(u["name"] for u in group["units"]) or "（未确定）"
    return groups


@door.public
def grant_group_scope(con: Connection, *, group_id: Any, user_name: Any) -> list[int]:
    """Let a user of a group enter findings for the group's units during the round (dated scopes).

    Returns the new scope ids (none for units already granted for the round's dates).

    Raises:
        InvalidInput: bad ids or unknown user.
        NotFound: no such group.
        PermissionDenied: not an administrator of all units.
    """
    check = validate.Checker()
    group = check(validate.ident, group_id, field="group_id", label="巡察组编号")
    check.done()
    access.require_all_units(con, access.ADMIN, what="授权巡察组")
    info = _group(con, group)
    rnd = live_round(con, info["round_id"])
    targets = [
        u for (u,) in con.all("SELECT unit_id FROM inspection_targets WHERE group_id = ? ORDER BY unit_id", [group])
    ]
    if not targets:
        raise InvalidInput.one("group_id", f"{info['name']}尚未确定巡察对象")
    made = []
    for unit in targets:
        if con.scalar(  # granted before: not twice
            "SELECT count(*) FROM user_scopes WHERE user_name = ? AND kind = 'unit' AND unit_id = ?"
            " AND valid_from IS NOT DISTINCT FROM ? AND valid_until IS NOT DISTINCT FROM ?",
            [validate.text(user_name, field="user_name", label="用户名"), unit, rnd["start_date"], rnd["end_date"]],
        ):
            continue
        made.append(
            access.grant_scope(
                con,
                name=user_name,
                kind="unit",
                unit_id=unit,
                valid_from=rnd["start_date"],
                valid_until=rnd["end_date"],
                note=f"{rnd['name']}{info['name']}",
            )
        )
    return made
