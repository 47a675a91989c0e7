"""Units (单位): each with its kind, its parent and the stationed group (派驻纪检监察组) that supervises it, if any."""

from __future__ import annotations

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
