"""问题类别: the office's list of finding categories, by area."""

from __future__ import annotations

from typing import Any

from kit import access, door, registry, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.inspections.common import AREA_LABELS, traced


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
    traced(con, "设置问题类别", "finding_categories", name_text, None)
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
