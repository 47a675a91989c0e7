"""People (干部): who can hold a post; what they held is in `tenures`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, fields, trace, validate
from kit.db import Connection
from kit.errors import NotFound
from kit.fields import Field, Record

GENDERS = {"男": "男", "女": "女"}
# The earliest birth year taken; the latest is this year (`check_person` is told it).
FIRST_BIRTH_YEAR = 1900

# A person as registered (`add_person`); what posts they hold is in `tenures`.
PERSON = Record(
    kind="people",
    label="人员",
    table="people",
    fields=(
        Field("name", "姓名", rule="必填，50 字以内", required=True, max_length=50, width="12em"),
        Field("gender", "性别", "choice", rule="选填：男或女", choices=GENDERS),
        Field(
            "birth_year",
            "出生年份",
            "number",
            rule="选填，四位年份，如 1975",
            minimum=FIRST_BIRTH_YEAR,
            maximum=9999,
            width="8em",
        ),
        Field("note", "备注", "textarea", rule="选填", width="30em"),
    ),
    excel=False,
)


def check_person(raw: Mapping[str, Any], *, this_year: int = 9999) -> dict[str, Any]:
    """A person's fields read by their declaration; a birth year no later than `this_year`.

    Raises:
        InvalidInput: every field that breaks its rule, each with a Chinese message.
    """
    check = validate.Checker()
    found = {"name": fields.parse(check, PERSON, "name", raw), "note": fields.parse(check, PERSON, "note", raw) or None}
    found["gender"] = fields.parse(check, PERSON, "gender", raw) if raw.get("gender") is not None else None
    found["birth_year"] = fields.parse(check, PERSON, "birth_year", raw)
    if found["birth_year"] is not None and found["birth_year"] > this_year:
        check.fail("birth_year", f"“出生年份”不能晚于 {this_year}")
    check.done()
    return found


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
    raw = {"name": name, "gender": gender, "birth_year": birth_year, "note": note}
    row = check_person(raw, this_year=con.now.year)
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
