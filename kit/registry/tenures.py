"""Registry: units (单位), people (干部) and tenures (任职); the 一把手 is derived, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kit import access, door, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound

KIND_LABELS = {
    "prefecture": "州（市）委",
    "county": "县（市）党委",
    "department": "州（市）级部门",
    "township": "乡镇（街道）",
    "village": "村（社区）",
    "soe": "国有企业",
    "school": "学校",
    "stationed": "派驻纪检监察组",
}
RESPONSIBILITY_LABELS = {"lead": "牵头部门", "responsible": "责任部门"}
ROLE_LABELS = {"principal": "一把手", "co_principal": "行政主要负责人", "member": "班子成员"}
PRINCIPAL_ROLES = ("principal", "co_principal")


@dataclass(frozen=True)
class Leader:
    """A person in a post of a unit during a tenure (end inclusive, None while in office)."""

    tenure_id: int
    person_id: int
    name: str
    post: str
    role: str
    start: date
    end: date | None

    def label(self) -> str:
        return f"{self.name}（{self.post}）"


_LEADER_COLUMNS = "t.id, p.id, p.name, t.post, t.role, t.start_date, t.end_date"
_MAX_SORT = 1_000_000


@door.public
def add_unit(
    con: Connection,
    *,
    code: str,
    name: str,
    kind: str,
    parent_id: int | None = None,
    supervisor_id: int | None = None,
    responsibility: str | None = None,
    sort_order: int = 0,
) -> int:
    """Register a unit; returns its id.

    Raises:
        InvalidInput: a field breaks its rule or the code is taken.
        NotFound: the parent or supervising unit does not exist.
        PermissionDenied: not an administrator of the parent unit (of all units, for a top-level one).
    """
    check = validate.Checker()
    if parent_id is not None:
        parent_id = check(validate.ident, parent_id, field="parent_id", label="上级单位编号")
    if supervisor_id is not None:
        supervisor_id = check(validate.ident, supervisor_id, field="supervisor_id", label="派驻监督单位编号")
    sort_order = check(
        validate.integer, sort_order, field="sort_order", label="排序号", minimum=-_MAX_SORT, maximum=_MAX_SORT
    )
    check.done()
    if parent_id is None:
        access.require_all_units(con, access.ADMIN, what="新增顶层单位")
    else:
        access.require(con, access.ADMIN, unit_id=parent_id, what="新增下级单位")
    if supervisor_id is not None:
        access.require(con, access.READ, unit_id=supervisor_id)
    check = validate.Checker()
    code = check(validate.text, code, field="code", label="单位编码", required=True, max_length=32)
    name = check(validate.text, name, field="name", label="单位名称", required=True, max_length=100)
    kind = check(validate.choice, kind, field="kind", label="单位类别", choices=KIND_LABELS)
    if responsibility is not None:
        responsibility = check(
            validate.choice,
            responsibility,
            field="responsibility",
            label="责任分工",
            choices=RESPONSIBILITY_LABELS,
        )
    check.done()
    if con.scalar("SELECT count(*) FROM units WHERE code = ?", [code]):
        raise InvalidInput.one("code", f"单位编码“{code}”已被使用")
    for ref in (parent_id, supervisor_id):
        if ref is not None:
            get_unit(con, ref)
    row = {
        "code": code,
        "name": name,
        "kind": kind,
        "parent_id": parent_id,
        "supervisor_id": supervisor_id,
        "responsibility": responsibility,
        "sort_order": sort_order,
    }
    unit_id = int(
        con.scalar(
            "INSERT INTO units (code, name, kind, parent_id, supervisor_id, responsibility, sort_order)"
            " VALUES ($code, $name, $kind, $parent_id, $supervisor_id, $responsibility, $sort_order)"
            " RETURNING id",
            row,
        )
    )
    trace.record(con, action="新增单位", table="units", key=code, before=None, after={"id": unit_id, **row})
    con.cache.clear()  # scopes that cover the parent now cover the new unit too
    return unit_id


@door.public
def get_unit(con: Connection, unit_id: int) -> dict[str, Any]:
    """One unit as a dict.

    Raises:
        NotFound: no unit has this id.
        PermissionDenied: the unit is outside the user's scope.
    """
    access.require(con, access.READ, unit_id=unit_id)
    rows = con.records("SELECT * FROM units WHERE id = ?", [unit_id])
    if not rows:
        raise NotFound(f"单位不存在（编号 {unit_id}）")
    return rows[0]


@door.public
def unit_id(con: Connection, code: str) -> int:
    """The id of the unit with this code.

    Raises:
        NotFound: no unit has this code.
        PermissionDenied: the unit is outside the user's scope.
    """
    found = con.scalar("SELECT id FROM units WHERE code = ?", [code])
    if found is None:
        raise NotFound(f"单位编码“{code}”不存在")
    access.require(con, access.READ, unit_id=int(found))
    return int(found)


@door.public
def list_units(con: Connection, *, kinds: list[str] | None = None) -> list[dict[str, Any]]:
    """Active units the user may see, in display order, optionally of some kinds only."""
    scope, params = access.scope_sql(con, "id")
    sql = f"SELECT * FROM units WHERE active AND {scope}"
    if kinds:
        sql += " AND list_contains(?, kind)"
        params.append(kinds)
    return con.records(sql + " ORDER BY sort_order, code", params)


@door.public
def list_people(con: Connection) -> list[dict[str, Any]]:
    """The people the acting user may see, by id: id, name, and the unit and post of their latest tenure.

    With every unit in scope, everyone registered; otherwise those who have held a post
    in one of the user's units (a person is known by the units they served), each shown
    with their latest post among those units only.
    """
    access.require(con, access.READ)
    scope, params = access.scope_sql(con, "t.unit_id")
    latest = (
        "SELECT t.person_id, u.name AS unit_name, t.post FROM tenures t JOIN units u ON u.id = t.unit_id"
        f" WHERE {scope} QUALIFY row_number() OVER (PARTITION BY t.person_id ORDER BY t.start_date DESC, t.id DESC) = 1"
    )
    join = "LEFT JOIN" if scope == "TRUE" else "JOIN"
    return con.records(
        f"SELECT p.id, p.name, l.unit_name, l.post FROM people p {join} ({latest}) l"
        " ON l.person_id = p.id ORDER BY p.id",
        params,
    )


@door.public
def add_person(
    con: Connection,
    *,
    name: str,
    gender: str | None = None,
    birth_year: int | None = None,
    note: str | None = None,
) -> int:
    """Register a person; returns their id.

    Raises:
        InvalidInput: the name is empty or too long, or the note is invalid.
        PermissionDenied: not an administrator.
    """
    access.require(con, access.ADMIN, what="登记人员")
    check = validate.Checker()
    name = check(validate.text, name, field="name", label="姓名", required=True, max_length=50)
    note = check(validate.text, note, field="note", label="备注") or None
    if gender is not None:
        gender = check(validate.choice, gender, field="gender", label="性别", choices={"男": "男", "女": "女"})
    birth_year = check(
        validate.integer,
        birth_year,
        field="birth_year",
        label="出生年份",
        minimum=1900,
        maximum=con.now.year,
        required=False,
    )
    check.done()
    row = {"name": name, "gender": gender, "birth_year": birth_year, "note": note}
    person_id = int(
        con.scalar(
            "INSERT INTO people (name, gender, birth_year, note)"
            " VALUES ($name, $gender, $birth_year, $note) RETURNING id",
            row,
        )
    )
    trace.record(
        con,
        action="新增人员",
        table="people",
        key=str(person_id),
        before=None,
        after={"id": person_id, **row},
    )
    return person_id


def _require_person(con: Connection, person_id: int) -> str:
    name = con.scalar("SELECT name FROM people WHERE id = ?", [person_id])
    if name is None:
        raise NotFound(f"人员不存在（编号 {person_id}）")
    return str(name)


@door.public
def start_tenure(
    con: Connection,
    *,
    person_id: int,
    unit_id: int,
    post: str,
    role: str,
    start: date | str,
    end: date | str | None = None,
) -> int:
    """Record that a person holds a post in a unit from `start` (to `end`, inclusive).

    Raises:
        InvalidInput: a field breaks its rule, or the unit already has a leader in that
            role during those dates.
        NotFound: the person or unit does not exist.
        PermissionDenied: not an administrator of the unit.
    """
    check = validate.Checker()
    person_id = check(validate.ident, person_id, field="person_id", label="人员编号")
    unit_id = check(validate.ident, unit_id, field="unit_id", label="单位编号")
    check.done()
    access.require(con, access.ADMIN, unit_id=unit_id, what="登记任职")
    post = check(validate.text, post, field="post", label="职务", required=True, max_length=50)
    role = check(validate.choice, role, field="role", label="班子角色", choices=ROLE_LABELS)
    start_day = check(validate.day, start, field="start", label="任职开始日期")
    end_day = check(validate.day, end, field="end", label="任职结束日期", required=False)
    check.done()
    assert start_day is not None
    if end_day is not None and end_day < start_day:
        raise InvalidInput.one("end", "“任职结束日期”不能早于“任职开始日期”")
    name = _require_person(con, person_id)
    unit = get_unit(con, unit_id)
    _check_no_overlap(con, unit, person_id, role, start_day, end_day)
    row = {
        "person_id": person_id,
        "unit_id": unit_id,
        "post": post,
        "role": role,
        "start_date": start_day,
        "end_date": end_day,
    }
    tenure_id = int(
        con.scalar(
            "INSERT INTO tenures (person_id, unit_id, post, role, start_date, end_date)"
            " VALUES ($person_id, $unit_id, $post, $role, $start_date, $end_date) RETURNING id",
            row,
        )
    )
    trace.record(
        con,
        action="任职",
        table="tenures",
        key=str(tenure_id),
        before=None,
        after={"id": tenure_id, "person": name, "unit": unit["code"], **row},
    )
    return tenure_id


def _check_no_overlap(
    con: Connection, unit: dict[str, Any], person_id: int, role: str, start: date, end: date | None
) -> None:
    overlap = "start_date <= coalesce(?::DATE, DATE '9999-12-31') AND coalesce(end_date, DATE '9999-12-31') >= ?::DATE"
    if role in PRINCIPAL_ROLES:
        clash = con.one(
            f"SELECT p.name, t.post FROM tenures t JOIN people p ON p.id = t.person_id"
            f" WHERE t.unit_id = ? AND t.role = ? AND {overlap} LIMIT 1",
            [unit["id"], role, end, start],
        )
        if clash:
            raise InvalidInput.one(
                "start",
                f"{unit['name']}在该期间已有{ROLE_LABELS[role]}：{clash[0]}（{clash[1]}），"
                "请先结束其任职或使用“职务调整”",
            )
    if con.scalar(
        f"SELECT count(*) FROM tenures WHERE unit_id = ? AND person_id = ? AND {overlap}",
        [unit["id"], person_id, end, start],
    ):
        raise InvalidInput.one("start", f"该人员在该期间已在{unit['name']}任职，任职时间不能重叠")


@door.public
def end_tenure(con: Connection, *, tenure_id: int, end: date | str) -> None:
    """Close a tenure on `end` (its last day in office).

    Raises:
        NotFound: no such tenure.
        InvalidInput: the date is not valid or before the tenure's start.
        PermissionDenied: not an administrator of the tenure's unit.
    """
    check = validate.Checker()
    tenure_id = check(validate.ident, tenure_id, field="tenure_id", label="任职记录编号")
    end_day = check(validate.day, end, field="end", label="任职结束日期")
    check.done()
    assert end_day is not None
    before = con.records("SELECT * FROM tenures WHERE id = ?", [tenure_id])
    if not before:
        raise NotFound(f"任职记录不存在（编号 {tenure_id}）")
    access.require(con, access.ADMIN, unit_id=before[0]["unit_id"], what="结束任职")
    if end_day < before[0]["start_date"]:
        raise InvalidInput.one("end", "“任职结束日期”不能早于“任职开始日期”")
    if before[0]["end_date"] is not None and before[0]["end_date"] < end_day:
        raise InvalidInput.one("end", "该任职已于更早日期结束，不能延后结束日期")
    con.execute("UPDATE tenures SET end_date = ? WHERE id = ?", [end_day, tenure_id])
    trace.record(
        con,
        action="免职",
        table="tenures",
        key=str(tenure_id),
        before=before[0],
        after={**before[0], "end_date": end_day},
    )


def _holder_at(con: Connection, unit_id: int, role: str, on: date) -> Leader | None:
    row = con.one(
        f"SELECT {_LEADER_COLUMNS} FROM tenures t JOIN people p ON p.id = t.person_id"
        " WHERE t.unit_id = ? AND t.role = ? AND t.start_date <= ?"
        " AND (t.end_date IS NULL OR t.end_date >= ?) ORDER BY t.start_date DESC LIMIT 1",
        [unit_id, role, on, on],
    )
    return Leader(*row) if row else None


@door.public
def top_leader_at(con: Connection, unit_id: int, on: date) -> Leader | None:
    """The unit's 一把手 (party principal) on a date, from tenures."""
    access.require(con, access.READ, unit_id=unit_id)
    return _holder_at(con, unit_id, "principal", on)


@door.public
def principal_leaders_at(con: Connection, unit_id: int, on: date) -> list[Leader]:
    """The unit's 党政一把手 on a date: the 一把手 first, then the administrative principal."""
    access.require(con, access.READ, unit_id=unit_id)
    found = [_holder_at(con, unit_id, role, on) for role in PRINCIPAL_ROLES]
    return [leader for leader in found if leader is not None]


@door.public
def leadership_at(con: Connection, unit_id: int, on: date) -> list[Leader]:
    """Everyone in the unit's leadership team on a date, principals first."""
    access.require(con, access.READ, unit_id=unit_id)
    rows = con.all(
        f"SELECT {_LEADER_COLUMNS} FROM tenures t JOIN people p ON p.id = t.person_id"
        " WHERE t.unit_id = ? AND t.start_date <= ? AND (t.end_date IS NULL OR t.end_date >= ?)"
        " ORDER BY CASE t.role WHEN 'principal' THEN 0 WHEN 'co_principal' THEN 1 ELSE 2 END, t.id",
        [unit_id, on, on],
    )
    return [Leader(*row) for row in rows]


@door.public
def principal_changes(con: Connection, unit_id: int, start: date, end: date) -> list[Leader]:
    """Principal tenures that began within [start, end]: the changes of 一把手 in a period."""
    access.require(con, access.READ, unit_id=unit_id)
    rows = con.all(
        f"SELECT {_LEADER_COLUMNS} FROM tenures t JOIN people p ON p.id = t.person_id"
        " WHERE t.unit_id = ? AND t.role = 'principal' AND t.start_date BETWEEN ? AND ?"
        " ORDER BY t.start_date",
        [unit_id, start, end],
    )
    return [Leader(*row) for row in rows]
