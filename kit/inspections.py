"""巡察: rounds, groups (with recusal), findings, clues and their outcomes, feedback, statistics.

A round (轮) sends groups (巡察组) to units; each group's 组长, 副组长 and 联络员 come
from the office's pools. A group finds problems (发现问题); a problem may become a
clue (问题线索) transferred to 纪委监委 or 组织部, whose outcome is recorded step by
step. The group gives feedback (反馈) to each unit, attended by a 分管领导; the
unit's rectification ledger (kit.rectification) starts from its findings.

Every write records the row's full new state in the trace (`STATE_SQL`), so
`kit check` compares the data with the trace table by table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from kit import access, door, fields, registry, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.fields import Field, Record
from kit.listing import Column, Filter, Listing

ROUND_KIND_LABELS = {"regular": "常规巡察", "special": "专项巡察", "mobile": "机动巡察", "joint": "巡纪审联动"}
POOL_LABELS = {"leader": "组长库", "deputy": "副组长库", "liaison": "联络员库"}
MEMBER_ROLE_LABELS = {"leader": "组长", "deputy": "副组长", "liaison": "联络员", "member": "组员"}
# Which pool each post in a group is drawn from (组员 may be anyone registered).
_POOL_OF_ROLE = {"leader": "leader", "deputy": "deputy", "liaison": "liaison"}
AREA_LABELS = {
    "politics": "贯彻落实党的理论路线方针政策和重大决策部署",
    "discipline": "落实全面从严治党战略部署",
    "organization": "落实新时代党的组织路线",
    "rectification": "落实巡视巡察和审计等监督发现问题整改",
}
STAGE_LABELS = {"inspection": "巡察发现", "midterm": "中期监督检查"}
SEVERITY_LABELS = {"general": "一般", "serious": "较重", "grave": "严重"}
SOURCE_LABELS = {
    "inspection": "巡察",
    "daily": "日常监督",
    "special_check": "专项检查",
    "audit": "审计",
    "petition": "信访",
    "case": "案件",
}
YES_NO = {"yes": "是", "no": "否"}
RECEIVER_LABELS = {"commission": "纪委监委", "organization": "组织部"}
OUTCOME_LABELS = {
    "preliminary": "初核",
    "case_opened": "立案",
    "discipline": "党纪政务处分",
    "organizational": "组织处理",
    "judiciary": "移送司法",
    "closed": "了结",
}
# Outcomes whose 人次 count as "people handled" (处理处分).
HANDLED = ("discipline", "organizational", "judiciary")
FEEDBACK_MODE_LABELS = {"collective": "集中反馈", "one_on_one": "一对一反馈"}
# The findings as every app lists them (kit.ui.table): the rows of `list_findings`, newest first.
FINDING_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("unit_code", "单位", width=7, shown="unit_name"),
        Column("category", "问题类别", width=8),
        Column("description", "问题描述", width=16),
        Column("severity", "严重程度", width=5.5, shown="severity_label"),
        Column("involves_top", "涉及一把手", width=6, shown="involves_top_label"),
        Column("top_leader", "时任一把手", width=6),
        Column("source", "来源", width=5, shown="source_label"),
        Column("found_on", "发现日期", "date", width=6.5),
        Column("stage", "发现环节", width=7, shown="stage_label"),
        Column("receiver", "移交线索", width=7, shown="receiver_label"),
        Column("state", "状态", width=4.5, shown="state_label"),
    ),
    sort="id",
    descending=True,
    filters=(
        Filter("unit_id", "单位", shown="unit_name"),
        Filter("category", "问题类别"),
        Filter("severity", "严重程度", shown="severity_label"),
        Filter("involves_top", "涉及一把手", shown="involves_top_label"),
        Filter("stage", "发现环节", shown="stage_label"),
        Filter("state", "状态", shown="state_label"),
    ),
    search=("unit_name", "category", "description", "top_leader"),
    empty="本轮尚无发现问题。",
    row_css="state",
)

# The clues as the rounds app lists them: the rows of `list_clues`, in the order they were transferred.
CLUE_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("unit_name", "单位", width=8),
        Column("description", "问题", width=18, limit=40),
        Column("involves_top", "涉及一把手", width=7.5, shown="involves_top_label"),
        Column("receiver", "移交对象", width=6, shown="receiver_label"),
        Column("transferred_on", "移交日期", "date", width=6.5),
        Column("steps", "处置经过", width=18),
        Column("latest", "最新处置", width=7),
    ),
    sort="transferred_on",
    filters=(
        Filter("unit_id", "单位", shown="unit_name"),
        Filter("receiver", "移交对象", shown="receiver_label"),
        Filter("latest", "最新处置"),
        Filter("involves_top", "涉及一把手", shown="involves_top_label"),
    ),
    search=("unit_name", "description", "steps"),
    empty="本轮尚无移交的问题线索。",
)

# The state each traced table's records are kept in the trace with: `_key` names the record.
STATE_SQL = {
    "inspector_pool": "SELECT pool || '/' || person_id AS _key, * FROM inspector_pool",
    "inspection_rounds": "SELECT code AS _key, * FROM inspection_rounds",
    "inspection_groups": "SELECT id::VARCHAR AS _key, * FROM inspection_groups",
    "group_members": "SELECT group_id || '/' || person_id AS _key, * FROM group_members",
    "inspection_targets": "SELECT round_id || '/' || unit_id AS _key, * FROM inspection_targets",
    "finding_categories": "SELECT name AS _key, * FROM finding_categories",
    "findings": "SELECT id::VARCHAR AS _key, * FROM findings",
    "clues": "SELECT id::VARCHAR AS _key, * FROM clues",
    "clue_outcomes": "SELECT id::VARCHAR AS _key, * FROM clue_outcomes",
    "feedbacks": "SELECT id::VARCHAR AS _key, * FROM feedbacks",
}
TABLE_LABELS = {
    "inspector_pool": "巡察人员库",
    "inspection_rounds": "巡察轮次",
    "inspection_groups": "巡察组",
    "group_members": "巡察组成员",
    "inspection_targets": "巡察对象",
    "finding_categories": "问题类别",
    "findings": "发现问题",
    "clues": "问题线索",
    "clue_outcomes": "线索处置",
    "feedbacks": "巡察反馈",
}


def state(con: Connection, sql_by_table: Mapping[str, str], table: str, key: str) -> dict[str, Any] | None:
    """One record as the trace keeps it (None when it does not exist)."""
    rows = con.records(f"SELECT * EXCLUDE (_key) FROM ({sql_by_table[table]}) WHERE _key = ?", [key])
    return rows[0] if rows else None


def _record(con: Connection, action: str, table: str, key: str, before: dict[str, Any] | None) -> None:
    trace.record(con, action=action, table=table, key=key, before=before, after=state(con, STATE_SQL, table, key))


def _require_round_admin(con: Connection, what: str) -> None:
    """Rounds, groups and pools belong to the 巡察办: 录入员 whose scope is every unit."""
    access.require_all_units(con, access.ENTER, what=what)


# --- pools, rounds, groups -----------------------------------------------------------


@door.public
def add_to_pool(con: Connection, *, person_id: Any, pool: Any) -> None:
    """Put a registered person into the 组长库, 副组长库 or 联络员库.

    Raises:
        InvalidInput: unknown pool or person id, or already in that pool.
        NotFound: no such person.
        PermissionDenied: not a 录入员 over all units.
    """
    check = validate.Checker()
    person = check(validate.ident, person_id, field="person_id", label="人员编号")
    which = check(validate.choice, pool, field="pool", label="人员库", choices=POOL_LABELS)
    check.done()
    _require_round_admin(con, "调整巡察人员库")
    _person_name(con, person)
    key = f"{which}/{person}"
    if state(con, STATE_SQL, "inspector_pool", key):
        raise InvalidInput.one("pool", f"该人员已在{POOL_LABELS[which]}中")
    con.execute("INSERT INTO inspector_pool VALUES (?, ?)", [person, which])
    _record(con, "入库", "inspector_pool", key, None)


@door.public
def remove_from_pool(con: Connection, *, person_id: Any, pool: Any) -> None:
    """动态调整: take a person out of a pool (groups already formed keep them).

    Raises:
        InvalidInput: bad ids, or the person is not in that pool.
        PermissionDenied: not a 录入员 over all units.
    """
    check = validate.Checker()
    person = check(validate.ident, person_id, field="person_id", label="人员编号")
    which = check(validate.choice, pool, field="pool", label="人员库", choices=POOL_LABELS)
    check.done()
    _require_round_admin(con, "调整巡察人员库")
    key = f"{which}/{person}"
    before = state(con, STATE_SQL, "inspector_pool", key)
    if before is None:
        raise InvalidInput.one("pool", f"该人员不在{POOL_LABELS[which]}中")
    con.execute("DELETE FROM inspector_pool WHERE person_id = ? AND pool = ?", [person, which])
    trace.record(con, action="出库", table="inspector_pool", key=key, before=before, after=None)


@door.public
def list_pool(con: Connection) -> list[dict[str, Any]]:
    """Everyone in the pools, with pool labels (names only: the pools hold no unit's records)."""
    access.require(con, access.READ, what="查看巡察人员库")
    rows = con.records(
        "SELECT ip.pool, p.id AS person_id, p.name FROM inspector_pool ip JOIN people p ON p.id = ip.person_id"
        " ORDER BY CASE ip.pool WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, p.id"
    )
    for row in rows:
        row["pool_label"] = POOL_LABELS[row["pool"]]
    return rows


# A round: its fields (keys = add_round's arguments). The code names it for good (the trace,
# Excel and the command line know it by its code): a correction changes the others only.
ROUND = Record(
    kind="rounds",
    label="巡察轮次",
    table="inspection_rounds",
    fields=(
        Field(
            "code",
            "轮次编号",
            rule="如 2024-1，不超过 30 字，不能与已有轮次相同",
            required=True,
            max_length=30,
            placeholder="如 2025-10",
            width="10em",
        ),
        Field(
            "name",
            "轮次名称",
            rule="如 十一届州委第八轮巡察",
            required=True,
            max_length=100,
            placeholder="如 十一届州委第十轮巡察",
        ),
        Field("kind", "巡察方式", "choice", choices=ROUND_KIND_LABELS, rule="从下拉列表中选择", required=True),
        Field(
            "start",
            "开始日期",
            "date",
            rule="日期，如 2025-03-01",
            required=True,
            placeholder="2025-03-01",
            width="10em",
        ),
        Field(
            "end",
            "结束日期",
            "date",
            rule="日期；不能早于开始日期",
            required=True,
            placeholder="2025-05-31",
            width="10em",
        ),
        Field("note", "备注", "textarea", rule="不超过 500 字", max_length=500),
    ),
    excel=False,
)


def check_round(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a round (form or API) into the values stored: code, name, kind, start_date, end_date, note.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    check = validate.Checker()
    parsed = {key: fields.parse(check, ROUND, key, raw) for key in ("code", "name", "kind", "start", "end", "note")}
    if parsed["start"] and parsed["end"] and parsed["end"] < parsed["start"]:
        check.fail("end", f"“{ROUND.label_of('end')}”不能早于“{ROUND.label_of('start')}”")
    check.done()
    return {
        "code": parsed["code"],
        "name": parsed["name"],
        "kind": parsed["kind"],
        "start_date": parsed["start"],
        "end_date": parsed["end"],
        "note": parsed["note"] or None,
    }


@door.public
def add_round(con: Connection, *, code: Any, name: Any, kind: Any, start: Any, end: Any, note: Any = None) -> int:
    """Set up a round (e.g. code 2024-1, name 十四届市委第一轮巡察); returns its id.

    Raises:
        InvalidInput: a field is missing or invalid, the code is taken, or the end is before the start.
        PermissionDenied: not a 录入员 over all units.
    """
    parsed = check_round({"code": code, "name": name, "kind": kind, "start": start, "end": end, "note": note})
    code_text = parsed["code"]
    _require_round_admin(con, "设置巡察轮次")
    taken = con.one("SELECT voided_at IS NOT NULL FROM inspection_rounds WHERE code = ?", [code_text])
    if taken is not None:
        voided = "（被一个已作废的轮次占用）" if taken[0] else ""
        raise InvalidInput.one("code", f"轮次编号“{code_text}”已被使用{voided}")
    new_id = int(
        con.scalar(
            "INSERT INTO inspection_rounds (code, name, kind, start_date, end_date, note)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [code_text, parsed["name"], parsed["kind"], parsed["start_date"], parsed["end_date"], parsed["note"]],
        )
    )
    _record(con, "设置巡察轮次", "inspection_rounds", code_text, None)
    return new_id


def _round(con: Connection, round_id: int) -> dict[str, Any]:
    rows = con.records("SELECT * FROM inspection_rounds WHERE id = ? AND voided_at IS NULL", [round_id])
    if not rows:
        raise NotFound(f"巡察轮次不存在或已作废（编号 {round_id}）")
    row = rows[0]
    row["kind_label"] = ROUND_KIND_LABELS[row["kind"]]
    return row


@door.public
def get_round(con: Connection, round_id: Any) -> dict[str, Any]:
    """One round with its kind label (rounds are office-wide: any registered user may read them).

    Raises:
        InvalidInput: not an id.
        NotFound: no such round.
    """
    ident = validate.ident(round_id, field="round_id", label="轮次编号")
    access.require(con, access.READ)
    return _round(con, ident)


@door.public
def round_id(con: Connection, code: Any) -> int:
    """The id of the round with this code.

    Raises:
        NotFound: no round has that code.
    """
    access.require(con, access.READ)
    text = validate.text(code, field="round", label="轮次编号", required=True, max_length=30)
    found = con.scalar("SELECT id FROM inspection_rounds WHERE code = ? AND voided_at IS NULL", [text])
    if found is None:
        raise NotFound(f"巡察轮次“{text}”不存在")
    return int(found)


@door.public
def list_rounds(con: Connection) -> list[dict[str, Any]]:
    """Every round, latest first, with labels and how many units each inspects."""
    access.require(con, access.READ)
    rows = con.records(
        "SELECT r.*, (SELECT count(*) FROM inspection_targets t WHERE t.round_id = r.id) AS units"
        " FROM inspection_rounds r WHERE r.voided_at IS NULL ORDER BY r.start_date DESC, r.id DESC"
    )
    for row in rows:
        row["kind_label"] = ROUND_KIND_LABELS[row["kind"]]
    return rows


@door.public
def add_group(con: Connection, *, round_id: Any, name: Any) -> int:
    """A 巡察组 of a round (e.g. 第一巡察组); returns its id.

    Raises:
        InvalidInput: bad id, empty name, or the name is taken in the round.
        NotFound: no such round.
        PermissionDenied: not a 录入员 over all units.
    """
    check = validate.Checker()
    round_ident = check(validate.ident, round_id, field="round_id", label="轮次编号")
    name_text = check(validate.text, name, field="name", label="巡察组名称", required=True, max_length=50)
    check.done()
    _require_round_admin(con, "设置巡察组")
    _round(con, round_ident)
    if con.scalar("SELECT count(*) FROM inspection_groups WHERE round_id = ? AND name = ?", [round_ident, name_text]):
        raise InvalidInput.one("name", f"本轮已有“{name_text}”")
    new_id = int(
        con.scalar(
            "INSERT INTO inspection_groups (round_id, name) VALUES (?, ?) RETURNING id", [round_ident, name_text]
        )
    )
    _record(con, "设置巡察组", "inspection_groups", str(new_id), None)
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


def _person_name(con: Connection, person_id: int) -> str:
    name = con.scalar("SELECT name FROM people WHERE id = ?", [person_id])
    if name is None:
        raise NotFound(f"人员不存在（编号 {person_id}）")
    return str(name)


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
    check = validate.Checker()
    group = check(validate.ident, group_id, field="group_id", label="巡察组编号")
    person = check(validate.ident, person_id, field="person_id", label="人员编号")
    post = check(validate.choice, role, field="role", label="组内职务", choices=MEMBER_ROLE_LABELS)
    check.done()
    _require_round_admin(con, "设置巡察组")
    info = _group(con, group)
    name = _person_name(con, person)
    pool = _POOL_OF_ROLE.get(post)
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
    _record(con, "设置巡察组成员", "group_members", f"{group}/{person}", None)


@door.public
def assign_unit(con: Connection, *, group_id: Any, unit_id: Any) -> None:
    """The group inspects the unit in its round (one group per unit and round; recusal checked).

    Raises:
        InvalidInput: bad ids, the unit already has a group this round, or a member must recuse.
        NotFound: no such group or unit.
        PermissionDenied: not a 录入员 over all units.
    """
    check = validate.Checker()
    group = check(validate.ident, group_id, field="group_id", label="巡察组编号")
    unit = check(validate.ident, unit_id, field="unit_id", label="单位编号")
    check.done()
    _require_round_admin(con, "确定巡察对象")
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
    _record(con, "确定巡察对象", "inspection_targets", f"{info['round_id']}/{unit}", None)


@door.public
def round_groups(con: Connection, *, round_id: Any) -> list[dict[str, Any]]:
    """A round's groups with their members and the units (in the user's scope) each inspects."""
    ident = validate.ident(round_id, field="round_id", label="轮次编号")
    access.require(con, access.READ)
    _round(con, ident)
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
    rnd = _round(con, info["round_id"])
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


# --- categories --------------------------------------------------------------------------


@door.public
def add_category(con: Connection, *, name: Any, area: Any, department_id: Any = None) -> int:
    """A problem category (问题类别) and the department its 共性问题 交办单 goes to; returns its id.

    Raises:
        InvalidInput: empty or taken name, unknown area, bad department id.
        NotFound: no such department.
        PermissionDenied: not an administrator of all units.
    """
    check = validate.Checker()
    name_text = check(validate.text, name, field="name", label="问题类别", required=True, max_length=50)
    area_key = check(validate.choice, area, field="area", label="问题领域", choices=AREA_LABELS)
    dept = None
    if department_id not in (None, ""):
        dept = check(validate.ident, department_id, field="department_id", label="责任部门编号")
    check.done()
    access.require_all_units(con, access.ADMIN, what="设置问题类别")
    if dept is not None:
        registry.get_unit(con, dept)
    if con.scalar("SELECT count(*) FROM finding_categories WHERE name = ?", [name_text]):
        raise InvalidInput.one("name", f"问题类别“{name_text}”已存在")
    new_id = int(
        con.scalar(
            "INSERT INTO finding_categories (name, area, department_id) VALUES (?, ?, ?) RETURNING id",
            [name_text, area_key, dept],
        )
    )
    _record(con, "设置问题类别", "finding_categories", name_text, None)
    return new_id


@door.public
def list_categories(con: Connection) -> list[dict[str, Any]]:
    """Problem categories with area labels and responsible departments."""
    access.require(con, access.READ)
    rows = con.records(
        "SELECT c.id, c.name, c.area, c.department_id, u.name AS department FROM finding_categories c"
        " LEFT JOIN units u ON u.id = c.department_id ORDER BY c.id"
    )
    for row in rows:
        row["area_label"] = AREA_LABELS[row["area"]]
    return rows


# --- findings --------------------------------------------------------------------------------


@dataclass
class FindingContext:
    """What checking a finding needs to know, read once for many rows (an Excel file)."""

    units: dict[str, int]  # code and name → id
    categories: dict[str, int]  # name → id
    rounds: dict[str, tuple[int, date, date]]  # code and id → (id, start, end)
    visible: frozenset[int] | None
    today: date
    unit_names: dict[int, str] = field(default_factory=dict)


@door.public
def finding_context(con: Connection) -> FindingContext:
    """Look-ups for `check_finding`, in the acting user's scope (a unit outside it is not named at all)."""
    access.require(con, access.READ)
    return _finding_context(con, whole=False)


def _finding_context(con: Connection, *, whole: bool) -> FindingContext:
    """`finding_context`; `whole` for a write that refuses (and traces) a unit out of scope itself."""
    units: dict[str, int] = {}
    names: dict[int, str] = {}
    scope, params = ("TRUE", []) if whole else access.scope_sql(con, "id")
    for ident, code, name in con.all(f"SELECT id, code, name FROM units WHERE {scope}", params):
        units[code] = ident
        units.setdefault(name, ident)
        names[ident] = name
    categories = {name: ident for ident, name in con.all("SELECT id, name FROM finding_categories")}
    rounds: dict[str, tuple[int, date, date]] = {}
    for ident, code, start, end in con.all(
        "SELECT id, code, start_date, end_date FROM inspection_rounds WHERE voided_at IS NULL"
    ):
        rounds[code] = (ident, start, end)
        rounds[str(ident)] = (ident, start, end)
    units_seen = access.visible_units(con)
    return FindingContext(
        units=units,
        categories=categories,
        rounds=rounds,
        visible=None if units_seen is None else frozenset(units_seen),
        today=con.now.date(),
        unit_names=names,
    )


FINDING_RULES = {
    "round": "轮次编号，如 2024-1；巡察以外发现的问题（日常监督、信访等）可不填，中期监督检查发现的问题必须填写",
    "unit": "单位编码或全称，须在您的授权范围内",
    "found_on": "日期，如 2024-03-31；不能晚于今天，也不能早于本轮巡察开始日期",
}
# A problem found: its fields (keys = add_finding's arguments), list and Excel export.
FINDING = Record(
    kind="findings",
    label="发现问题",
    table="findings",
    fields=(
        Field("round", "巡察轮次", "lookup", lookup="rounds", rule=FINDING_RULES["round"], width="14em"),
        Field("unit", "被巡察单位", "lookup", lookup="units", rule=FINDING_RULES["unit"], required=True, width="20em"),
        Field("stage", "发现环节", "choice", choices=STAGE_LABELS, rule="不填即为“巡察发现”", width="12em"),
        Field(
            "category",
            "问题类别",
            "lookup",
            lookup="categories",
            rule="已设置的问题类别名称",
            required=True,
            width="20em",
        ),
        Field(
            "description",
            "问题描述",
            "textarea",
            rule="不超过 2000 字",
            required=True,
            max_length=2000,
            placeholder="问题的具体表现",
            width="40em",
        ),
        Field(
            "severity",
            "严重程度",
            "choice",
            choices=SEVERITY_LABELS,
            rule="从下拉列表中选择",
            required=True,
            width="8em",
        ),
        Field("involves_top", "是否涉及一把手", "choice", choices=YES_NO, rule="是或否", required=True, width="8em"),
        Field(
            "source", "问题来源", "choice", choices=SOURCE_LABELS, rule="从下拉列表中选择", required=True, width="12em"
        ),
        Field(
            "found_on",
            "发现日期",
            "date",
            rule=FINDING_RULES["found_on"],
            required=True,
            placeholder="如 2025-03-31",
            width="10em",
        ),
    ),
    listing=FINDING_LIST,
    export={
        "id": "问题编号",
        "round_code": "巡察轮次",
        "unit_name": "被巡察单位",
        "stage_label": "发现环节",
        "category": "问题类别",
        "description": "问题描述",
        "severity_label": "严重程度",
        "involves_top_label": "是否涉及一把手",
        "source_label": "问题来源",
        "found_on": "发现日期",
        "top_leader": "时任一把手",
        "receiver_label": "移交线索",
    },
)


def _lookup(
    check: validate.Checker,
    raw: Any,
    table: Mapping[str, Any],
    *,
    field: str,
    label: str,
    what: str,
    missing: str = "不存在",
) -> Any:
    text = validate._clean(raw)
    if not text:
        check.fail(field, f"“{label}”不能为空")
        return None
    if text not in table:
        check.fail(field, f"“{label}”中的{what}“{text[:30]}”{missing}")
        return None
    return table[text]


# What a user who sees some units only is told of a unit not among them (whether it exists is not theirs to know).
MISSING_OR_HIDDEN = "不存在或不在您的授权范围内"


def check_finding(raw: Mapping[str, Any], ctx: FindingContext) -> dict[str, Any]:
    """Parse one finding (from a form or an Excel row) into the values `add_findings` stores.

    Keys of `raw` are FINDING's field keys; `round` may be empty for problems found
    outside a round (日常监督, 信访 …).

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    check = validate.Checker()
    label = FINDING.label_of
    round_info = None
    if validate._clean(raw.get("round")):
        round_info = _lookup(check, raw.get("round"), ctx.rounds, field="round", label=label("round"), what="轮次")
    missing = "不存在" if ctx.visible is None else MISSING_OR_HIDDEN
    unit = _lookup(check, raw.get("unit"), ctx.units, field="unit", label=label("unit"), what="单位", missing=missing)
    if unit is not None and ctx.visible is not None and unit not in ctx.visible:
        check.fail("unit", f"“{label('unit')}”{ctx.unit_names.get(unit, unit)}不在您的授权范围内")
    stage = fields.parse(check, FINDING, "stage", raw) if validate._clean(raw.get("stage")) else "inspection"
    category = _lookup(
        check, raw.get("category"), ctx.categories, field="category", label=label("category"), what="类别"
    )
    description = fields.parse(check, FINDING, "description", raw)
    severity = fields.parse(check, FINDING, "severity", raw)
    involves = fields.parse(check, FINDING, "involves_top", raw)
    source = fields.parse(check, FINDING, "source", raw)
    found_on = fields.parse(check, FINDING, "found_on", raw)
    if found_on is not None and found_on > ctx.today:
        check.fail("found_on", f"“{label('found_on')}”不能晚于今天")
    if stage == "midterm" and round_info is None and "round" not in check.errors:
        check.fail("round", f"中期监督检查发现的问题必须注明“{label('round')}”")
    if round_info is not None and found_on is not None and found_on < round_info[1]:
        check.fail("found_on", f"“{label('found_on')}”不能早于本轮巡察开始日期 {round_info[1].isoformat()}")
    check.done()
    return {
        "round_id": round_info[0] if round_info else None,
        "unit_id": unit,
        "stage": stage,
        "category_id": category,
        "description": description,
        "severity": severity,
        "involves_top": involves == "yes",
        "source": source,
        "found_on": found_on,
    }


FINDINGS_SEQUENCE = "findings_id_seq"


def findings_batch(
    rows: Sequence[Mapping[str, Any]], *, actor: str, now: datetime, first_id: int, action: str
) -> trace.Batch:
    """Findings already parsed by `check_finding`, as new rows numbered from `first_id` (no database needed)."""
    names = ("round_id", "unit_id", "stage", "category_id", "description", "severity", "involves_top", "source")
    columns: dict[str, list[Any]] = {name: [r[name] for r in rows] for name in (*names, "found_on")}
    columns["created_at"] = [now] * len(rows)
    columns["created_by"] = [actor] * len(rows)
    return trace.batch(table="findings", action=action, columns=columns, first_id=first_id)


def store_findings(con: Connection, prepared: trace.Batch) -> list[int]:
    """Write findings prepared by `findings_batch` (kit's own import only: never through the door).

    Raises:
        PermissionDenied: a unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what=prepared.action)
    for unit in sorted({int(u) for u in prepared.column("unit_id")}):
        access.require(con, access.ENTER, unit_id=unit, what=prepared.action)
    return trace.insert_batch(con, prepared)


@door.public
def add_findings(con: Connection, rows: Sequence[Mapping[str, Any]], *, action: str = "录入发现问题") -> list[int]:
    """Store findings already parsed by `check_finding`, in bulk; returns their ids in order.

    Raises:
        PermissionDenied: a unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what=action)
    if not rows:
        return []
    first = trace.reserve_ids(con, FINDINGS_SEQUENCE, len(rows))
    return store_findings(con, findings_batch(rows, actor=con.actor, now=con.now, first_id=first, action=action))


@door.public
def add_finding(con: Connection, **raw: Any) -> int:
    """Record one problem found (keyword arguments: FINDING's field keys); returns its id.

    Raises:
        InvalidInput: a field breaks a rule (all are reported at once).
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="录入发现问题")
    # A unit out of scope is refused (and the refusal traced) by the write itself.
    parsed = check_finding(raw, replace(_finding_context(con, whole=True), visible=None))
    return add_findings(con, [parsed])[0]


_FINDINGS_SQL = """
SELECT f.id, f.round_id, r.code AS round_code, r.name AS round_name, r.kind AS round_kind,
       f.unit_id, u.code AS unit_code, u.name AS unit_name, f.stage, c.name AS category, c.area,
       f.description, f.severity, f.involves_top, f.source, f.found_on, f.created_by, f.voided_at,
       (SELECT p.name FROM tenures t JOIN people p ON p.id = t.person_id
         WHERE t.unit_id = f.unit_id AND t.role = 'principal' AND t.start_date <= f.found_on
           AND (t.end_date IS NULL OR t.end_date >= f.found_on)
         ORDER BY t.start_date DESC LIMIT 1) AS top_leader,
       cl.id AS clue_id, cl.receiver
FROM findings f
JOIN units u ON u.id = f.unit_id
JOIN finding_categories c ON c.id = f.category_id
LEFT JOIN inspection_rounds r ON r.id = f.round_id
LEFT JOIN clues cl ON cl.finding_id = f.id
WHERE (? IS NULL OR list_contains(?::INTEGER[], f.round_id))
  AND (? IS NULL OR f.unit_id = ?) AND (? IS NULL OR f.stage = ?) AND (? OR f.voided_at IS NULL) AND {scope}
ORDER BY f.found_on, f.id
"""


@door.public
def list_findings(
    con: Connection,
    *,
    round_ids: Sequence[int] | None = None,
    unit_id: int | None = None,
    stage: str | None = None,
    include_voided: bool = False,
) -> list[dict[str, Any]]:
    """Findings in the user's scope, with labels and the unit's 一把手 on the day each was found.

    Voided ones (作废) are left out, unless `include_voided` (then `voided_at` says which).
    """
    access.require(con, access.READ)
    rounds = None if round_ids is None else [validate.ident(r, field="round_id", label="轮次编号") for r in round_ids]
    unit = None if unit_id is None else validate.ident(unit_id, field="unit_id", label="单位编号")
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        _FINDINGS_SQL.format(scope=scope), [rounds, rounds, unit, unit, stage, stage, include_voided is True, *params]
    )
    for row in rows:
        row["stage_label"] = STAGE_LABELS[row["stage"]]
        row["severity_label"] = SEVERITY_LABELS[row["severity"]]
        row["source_label"] = SOURCE_LABELS[row["source"]]
        row["involves_top_label"] = YES_NO["yes" if row["involves_top"] else "no"]
        row["receiver_label"] = RECEIVER_LABELS.get(row["receiver"] or "", "")
        row["state"] = "voided" if row["voided_at"] else "live"
        row["state_label"] = "已作废" if row["voided_at"] else "有效"
    return rows


def _finding_unit(con: Connection, finding_id: int) -> int:
    unit = con.scalar("SELECT unit_id FROM findings WHERE id = ?", [finding_id])
    if unit is None:
        raise NotFound(f"发现问题不存在（编号 {finding_id}）")
    return int(unit)


@door.public
def top_leader_when_found(con: Connection, *, finding_id: Any) -> registry.Leader | None:
    """The unit's 一把手 on the day the problem was found (from tenures)."""
    ident = validate.ident(finding_id, field="finding_id", label="问题编号")
    unit = _finding_unit(con, ident)
    access.require(con, access.READ, unit_id=unit)
    day = con.scalar("SELECT found_on FROM findings WHERE id = ?", [ident])
    return registry.top_leader_at(con, unit, day)


# --- clues -----------------------------------------------------------------------------------


@door.public
def transfer_clue(con: Connection, *, finding_id: Any, receiver: Any, transferred_on: Any, note: Any = None) -> int:
    """移交: a finding becomes a clue handed to 纪委监委 or 组织部; returns the clue id.

    Raises:
        InvalidInput: bad fields, transfer before the finding, or already transferred.
        NotFound: no such finding.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    finding = check(validate.ident, finding_id, field="finding_id", label="问题编号")
    to = check(validate.choice, receiver, field="receiver", label="移交对象", choices=RECEIVER_LABELS)
    day = check(validate.day, transferred_on, field="transferred_on", label="移交日期")
    note_text = check(validate.text, note, field="note", label="备注", max_length=500)
    check.done()
    unit = _finding_unit(con, finding)
    access.require(con, access.ENTER, unit_id=unit, what="移交问题线索")
    found_on, voided = con.one("SELECT found_on, voided_at FROM findings WHERE id = ?", [finding]) or (None, None)
    if voided is not None:
        raise InvalidInput.one("finding_id", "该问题已作废，不能移交线索")
    if day < found_on:
        raise InvalidInput.one("transferred_on", f"“移交日期”不能早于发现日期 {found_on.isoformat()}")
    if day > con.now.date():
        raise InvalidInput.one("transferred_on", "“移交日期”不能晚于今天")
    if con.scalar("SELECT count(*) FROM clues WHERE finding_id = ?", [finding]):
        raise InvalidInput.one("finding_id", "该问题已作为线索移交")
    new_id = int(
        con.scalar(
            "INSERT INTO clues (finding_id, receiver, transferred_on, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [finding, to, day, note_text or None, con.now, con.actor],
        )
    )
    _record(con, "移交问题线索", "clues", str(new_id), None)
    return new_id


@door.public
def record_outcome(
    con: Connection, *, clue_id: Any, outcome: Any, people: Any = 0, decided_on: Any, note: Any = None
) -> int:
    """A step in handling a clue (初核, 立案, 党纪政务处分 …) and the 人次 it concerned; returns its id.

    After 了结 nothing more can be recorded; 处分, 组织处理 and 移送司法 need at least one person.

    Raises:
        InvalidInput: bad fields, a date before the transfer, or the clue is already closed.
        NotFound: no such clue.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    clue = check(validate.ident, clue_id, field="clue_id", label="线索编号")
    kind = check(validate.choice, outcome, field="outcome", label="处置结果", choices=OUTCOME_LABELS)
    count = check(validate.integer, people, field="people", label="涉及人次", minimum=0, maximum=10000)
    day = check(validate.day, decided_on, field="decided_on", label="处置日期")
    note_text = check(validate.text, note, field="note", label="备注", max_length=500)
    if kind in HANDLED and count == 0:
        check.fail("people", f"“{OUTCOME_LABELS[kind]}”须填写涉及人次（至少 1）")
    check.done()
    row = con.one(
        "SELECT f.unit_id, c.transferred_on FROM clues c JOIN findings f ON f.id = c.finding_id WHERE c.id = ?", [clue]
    )
    if row is None:
        raise NotFound(f"问题线索不存在（编号 {clue}）")
    access.require(con, access.ENTER, unit_id=int(row[0]), what="登记线索处置结果")
    if day < row[1]:
        raise InvalidInput.one("decided_on", f"“处置日期”不能早于移交日期 {row[1].isoformat()}")
    if day > con.now.date():
        raise InvalidInput.one("decided_on", "“处置日期”不能晚于今天")
    if con.scalar("SELECT count(*) FROM clue_outcomes WHERE clue_id = ? AND outcome = 'closed'", [clue]):
        raise InvalidInput.one("outcome", "该线索已了结，不能再登记处置结果")
    new_id = int(
        con.scalar(
            "INSERT INTO clue_outcomes (clue_id, outcome, people, decided_on, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [clue, kind, count, day, note_text or None, con.now, con.actor],
        )
    )
    _record(con, "登记线索处置结果", "clue_outcomes", str(new_id), None)
    return new_id


def _step(outcome: Mapping[str, Any]) -> str:
    """One outcome as the clue lists write it: 立案审查（2人次） 2025-08-01."""
    people = f"（{outcome['people']}人次）" if outcome["people"] else ""
    return f"{outcome['outcome_label']}{people} {outcome['decided_on'].isoformat()}"


@door.public
def list_clues(con: Connection, *, round_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Clues in the user's scope with their finding, receiver and every outcome so far."""
    access.require(con, access.READ)
    rounds = None if round_ids is None else [validate.ident(r, field="round_id", label="轮次编号") for r in round_ids]
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        "SELECT c.id, c.finding_id, c.receiver, c.transferred_on, f.unit_id, u.name AS unit_name,"
        " f.description, f.involves_top, r.code AS round_code FROM clues c JOIN findings f ON f.id = c.finding_id"
        " JOIN units u ON u.id = f.unit_id LEFT JOIN inspection_rounds r ON r.id = f.round_id"
        f" WHERE (? IS NULL OR list_contains(?::INTEGER[], f.round_id)) AND {scope} ORDER BY c.transferred_on, c.id",
        [rounds, rounds, *params],
    )
    outcomes: dict[int, list[dict[str, Any]]] = {}
    for item in con.records("SELECT * FROM clue_outcomes ORDER BY decided_on, id"):
        item["outcome_label"] = OUTCOME_LABELS[item["outcome"]]
        outcomes.setdefault(item["clue_id"], []).append(item)
    for row in rows:
        row["receiver_label"] = RECEIVER_LABELS[row["receiver"]]
        row["involves_top_label"] = YES_NO["yes" if row["involves_top"] else "no"]
        row["outcomes"] = outcomes.get(row["id"], [])
        row["latest"] = row["outcomes"][-1]["outcome_label"] if row["outcomes"] else "待处置"
        row["steps"] = "；".join(_step(o) for o in row["outcomes"]) or "待处置"
    return rows


# --- feedback ----------------------------------------------------------------------------------


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
    info = _round(con, rnd)
    _person_name(con, leader)
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
    _record(con, "登记巡察反馈", "feedbacks", str(new_id), None)
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


# --- statistics ---------------------------------------------------------------------------------


@door.public
def stats(con: Connection, *, round_ids: Sequence[Any]) -> dict[str, Any]:
    """The figures offices publish for a set of rounds, counted from the data in the user's scope.

    问题 are the findings of the rounds' inspections (mid-term findings counted apart);
    线索 the findings transferred; 处理处分 the 人次 of 党纪政务处分, 组织处理 and 移送司法;
    移送司法 its 人次 alone; the same for clues involving the 一把手; 巡纪审联动 rounds
    apart; 整改交接 and 共性问题 of the units and rounds.
    """
    access.require(con, access.READ)
    rounds = sorted({validate.ident(r, field="round_id", label="轮次编号") for r in round_ids})
    for ident in rounds:
        _round(con, ident)
    scope, params = access.scope_sql(con, "f.unit_id")
    base = (
        "FROM findings f JOIN inspection_rounds r ON r.id = f.round_id"
        f" WHERE list_contains(?::INTEGER[], f.round_id) AND f.voided_at IS NULL AND {scope}"
    )
    args = [rounds, *params]
    row = con.one(
        "SELECT count(*) FILTER (WHERE f.stage = 'inspection'),"
        " count(*) FILTER (WHERE f.stage = 'midterm'),"
        " count(*) FILTER (WHERE f.stage = 'inspection' AND f.involves_top),"
        " count(*) FILTER (WHERE f.stage = 'inspection' AND r.kind = 'joint'),"
        " count(DISTINCT f.unit_id) " + base,
        args,
    )
    assert row is not None
    problems, midterm, top_problems, joint_problems, units = (int(v) for v in row)
    clue_row = con.one(
        "SELECT count(*), count(*) FILTER (WHERE f.involves_top), count(*) FILTER (WHERE r.kind = 'joint')"
        " FROM clues c JOIN findings f ON f.id = c.finding_id JOIN inspection_rounds r ON r.id = f.round_id"
        f" WHERE list_contains(?::INTEGER[], f.round_id) AND {scope}",
        args,
    )
    assert clue_row is not None
    clues, top_clues, joint_clues = (int(v) for v in clue_row)
    outcome_row = con.one(
        "SELECT coalesce(sum(o.people) FILTER (WHERE list_contains(?::VARCHAR[], o.outcome)), 0),"
        " coalesce(sum(o.people) FILTER (WHERE o.outcome = 'judiciary'), 0),"
        " coalesce(sum(o.people) FILTER (WHERE f.involves_top AND list_contains(?::VARCHAR[], o.outcome)), 0),"
        " count(DISTINCT c.id) FILTER (WHERE o.outcome = 'case_opened'),"
        " count(DISTINCT c.id) FILTER (WHERE o.outcome = 'case_opened' AND f.involves_top)"
        " FROM clue_outcomes o JOIN clues c ON c.id = o.clue_id JOIN findings f ON f.id = c.finding_id"
        f" WHERE list_contains(?::INTEGER[], f.round_id) AND {scope}",
        [list(HANDLED), list(HANDLED), *args],
    )
    assert outcome_row is not None
    handled, judiciary, top_sanctioned, cases, top_cases = (int(v) for v in outcome_row)
    hscope, hparams = access.scope_sql(con, "h.unit_id")
    handovers = int(
        con.scalar(
            "SELECT count(DISTINCT h.id) FROM rectification_handovers h"
            " JOIN rectification_items i ON list_contains(h.item_ids, i.id)"
            " JOIN findings f ON f.id = i.finding_id"
            f" WHERE list_contains(?::INTEGER[], f.round_id) AND i.voided_at IS NULL AND {hscope}",
            [rounds, *hparams],
        )
    )
    return {
        "rounds": len(rounds),
        "units": units,
        "problems": problems,
        "clues": clues,
        "people_handled": handled,
        "judiciary": judiciary,
        "top_leader_problems": top_problems,
        "top_leader_clues": top_clues,
        "top_leader_sanctioned": top_sanctioned,
        "cases_opened": cases,
        "top_leader_cases": top_cases,
        "joint_problems": joint_problems,
        "joint_clues": joint_clues,
        "midterm_problems": midterm,
        "handovers": handovers,
        "common_problems": len(common_problems(con, round_ids=rounds)),
    }


STAT_LABELS = {
    "rounds": "巡察轮数",
    "units": "被巡察单位数",
    "problems": "发现问题",
    "clues": "移交问题线索",
    "people_handled": "推动处理处分人次",
    "judiciary": "移送司法人次",
    "top_leader_problems": "涉及一把手的问题",
    "top_leader_clues": "涉及一把手的问题线索",
    "top_leader_sanctioned": "一把手相关线索处理处分人次",
    "cases_opened": "立案线索",
    "top_leader_cases": "一把手相关立案线索",
    "joint_problems": "巡纪审联动发现问题",
    "joint_clues": "巡纪审联动移交线索",
    "midterm_problems": "中期监督检查发现问题",
    "handovers": "整改交接",
    "common_problems": "共性问题",
}


@door.public
def common_problems(con: Connection, *, round_ids: Sequence[Any], min_units: int = 3) -> list[dict[str, Any]]:
    """共性问题: categories found in at least `min_units` units across the rounds, with their departments.

    Units outside the user's scope are not counted.
    """
    access.require(con, access.READ)
    rounds = sorted({validate.ident(r, field="round_id", label="轮次编号") for r in round_ids})
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        "SELECT c.id AS category_id, c.name AS category, c.area, c.department_id, d.name AS department,"
        " count(*) AS findings, count(DISTINCT f.unit_id) AS units,"
        " list(DISTINCT u.name ORDER BY u.name) AS unit_names"
        " FROM findings f JOIN finding_categories c ON c.id = f.category_id JOIN units u ON u.id = f.unit_id"
        " LEFT JOIN units d ON d.id = c.department_id"
        f" WHERE list_contains(?::INTEGER[], f.round_id) AND f.voided_at IS NULL AND {scope}"
        " GROUP BY ALL HAVING count(DISTINCT f.unit_id) >= ? ORDER BY units DESC, findings DESC, c.id",
        [rounds, *params, min_units],
    )
    for row in rows:
        row["area_label"] = AREA_LABELS[row["area"]]
        row["department"] = row["department"] or "（未指定责任部门）"
    return rows


@door.public
def assignment_sheets(con: Connection, *, round_ids: Sequence[Any], min_units: int = 3) -> list[dict[str, Any]]:
    """共性问题交办单: the common problems grouped by the department responsible for them."""
    sheets: dict[str, dict[str, Any]] = {}
    for problem in common_problems(con, round_ids=round_ids, min_units=min_units):
        sheet = sheets.setdefault(problem["department"], {"department": problem["department"], "problems": []})
        sheet["problems"].append(problem)
    return sorted(sheets.values(), key=lambda s: (-len(s["problems"]), s["department"]))
