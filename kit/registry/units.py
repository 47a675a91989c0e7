"""Units (单位): each with its kind, its parent and the stationed group (派驻纪检监察组) that supervises it, if any."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, fields, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.fields import Field, Record

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

# A unit as it is registered (`add_unit`): the office's own code and name, its kind, where it sits.
UNIT = Record(
    kind="units",
    label="单位",
    table="units",
    fields=(
        Field("code", "单位编码", rule="必填，32 字以内，不能与别的单位相同，如“L01”", required=True, max_length=32),
        Field("name", "单位名称", rule="必填，100 字以内", required=True, max_length=100, width="30em"),
        Field("kind", "单位类别", "choice", rule="从列表中选择", required=True, choices=KIND_LABELS),
        Field("parent_id", "上级单位", "id", rule="选填：已登记的单位；不填为顶层单位", width="30em"),
        Field("supervisor_id", "派驻监督单位", "id", rule="选填：监督该单位的派驻纪检监察组", width="30em"),
        Field("responsibility", "责任分工", "choice", rule="选填：牵头部门或责任部门", choices=RESPONSIBILITY_LABELS),
        Field(
            "sort_order",
            "排序号",
            "number",
            rule="选填，整数，小的在前",
            minimum=-_MAX_SORT,
            maximum=_MAX_SORT,
            width="8em",
        ),
    ),
    excel=False,
)


def check_unit(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A unit's fields read by its declaration (the office's own data is looked up by `add_unit`).

    Raises:
        InvalidInput: every field that breaks its rule, each with a Chinese message.
    """
    check = validate.Checker()
    found: dict[str, Any] = {}
    for key in ("code", "name", "kind"):
        found[key] = fields.parse(check, UNIT, key, raw)
    for key in ("parent_id", "supervisor_id", "responsibility"):  # optional: parsed when given
        found[key] = fields.parse(check, UNIT, key, raw) if raw.get(key) is not None else None
    found["sort_order"] = fields.parse(check, UNIT, "sort_order", raw) if raw.get("sort_order") is not None else 0
    check.done()
    return found


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
    raw = {"parent_id": parent_id, "supervisor_id": supervisor_id, "sort_order": sort_order}
    check = validate.Checker()  # where it goes first: that decides who may add it
    parent_id, supervisor_id = (
        None if raw[key] is None else fields.parse(check, UNIT, key, raw) for key in ("parent_id", "supervisor_id")
    )
    check.done()
    if parent_id is None:
        access.require_all_units(con, access.ADMIN, what="新增顶层单位")
    else:
        access.require(con, access.ADMIN, unit_id=parent_id, what="新增下级单位")
    if supervisor_id is not None:
        access.require(con, access.READ, unit_id=supervisor_id)
    clean = check_unit({**raw, "code": code, "name": name, "kind": kind, "responsibility": responsibility})
    code, name, kind = clean["code"], clean["name"], clean["kind"]
    responsibility, sort_order = clean["responsibility"], clean["sort_order"]
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
