"""Tenures (任职): who held which post in which unit, and when; the 一把手 is derived from them, never stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from kit import access, door, fields, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.fields import Field, Record
from kit.registry.people import _require_person
from kit.registry.units import get_unit

ROLE_LABELS = {"principal": "一把手", "co_principal": "行政主要负责人", "member": "班子成员"}
PRINCIPAL_ROLES = ("principal", "co_principal")

# A post held (`start_tenure`): who, where, which post and role, from when (to when, inclusive).
TENURE = Record(
    kind="tenures",
    label="任职",
    table="tenures",
    fields=(
        Field("person_id", "人员", "id", rule="必填：已登记的人员", required=True, width="20em"),
        Field("unit_id", "单位", "id", rule="必填：已登记的单位", required=True, width="30em"),
        Field("post", "职务", rule="必填，50 字以内，如“县委书记”", required=True, max_length=50, width="16em"),
        Field("role", "班子角色", "choice", rule="从列表中选择", required=True, choices=ROLE_LABELS),
        Field("start", "任职开始日期", "date", rule="必填，如 2024-03-01", required=True, width="10em"),
        Field("end", "任职结束日期", "date", rule="选填：最后在任的一天，不早于开始日期；在任的不填", width="10em"),
    ),
    excel=False,
)


def check_tenure(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A tenure's fields read by its declaration, and its end not before its start.

    Raises:
        InvalidInput: every field that breaks its rule, each with a Chinese message.
    """
    check = validate.Checker()
    found = {key: fields.parse(check, TENURE, key, raw) for key in TENURE.labels}
    check.done()
    if found["end"] is not None and found["end"] < found["start"]:
        raise InvalidInput.one("end", "“任职结束日期”不能早于“任职开始日期”")
    return found


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
    raw = {"person_id": person_id, "unit_id": unit_id, "post": post, "role": role, "start": start, "end": end}
    check = validate.Checker()  # where first: that decides who may record it
    unit_id = fields.parse(check, TENURE, "unit_id", raw)
    check.done()
    access.require(con, access.ADMIN, unit_id=unit_id, what="登记任职")
    clean = check_tenure(raw)
    person_id, post, role, start_day, end_day = (clean[k] for k in ("person_id", "post", "role", "start", "end"))
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
