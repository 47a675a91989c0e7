"""People (干部): who can hold a post; what they held is in `tenures`."""

from __future__ import annotations

from typing import Any

from kit import access, door, trace, validate
from kit.db import Connection
from kit.errors import NotFound


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
