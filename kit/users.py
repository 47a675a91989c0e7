"""Users' rows: the four roles, the kinds of scope, a user's recorded state, and a file's first administrator.

Below kit.db, which registers a new file's first user when it sets the file up, and
below kit.access, which checks every other change to users and makes it through these.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from kit import trace, validate
from kit.connection import Connection
from kit.errors import InvalidInput, PermissionDenied

ROLE_LABELS = {"entry": "录入员", "review": "审核员", "analyst": "分析员", "admin": "管理员"}
SCOPE_LABELS = {"all": "全部单位", "unit": "本单位", "subordinate": "所辖单位", "supervised": "派驻监督单位"}


def state(con: Connection, name: str) -> dict[str, Any] | None:
    row = con.one("SELECT display_name, active FROM users WHERE name = ?", [name])
    if row is None:
        return None
    roles = sorted(r[0] for r in con.all("SELECT role FROM user_roles WHERE user_name = ?", [name]))
    return {"name": name, "display_name": row[0], "active": row[1], "roles": roles}


def clean_name(raw: Any) -> str:
    """A user name as the deployment will give it: no invisible or direction marks (kit.identity refuses them)."""
    name = validate.text(raw, field="name", label="用户名", required=True, max_length=100)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidInput.one("name", "“用户名”含有不可见字符或方向标记，这样的用户无法登录，请删除后重试")
    return name


def record(con: Connection, action: str, name: str, before: dict[str, Any] | None) -> None:
    trace.record(con, action=action, table="users", key=name, before=before, after=state(con, name))


def insert_scope(
    con: Connection,
    name: str,
    kind: str,
    unit_id: int | None,
    valid_from: date | None,
    valid_until: date | None,
    note: str | None,
) -> int:
    row = {
        "user_name": name,
        "kind": kind,
        "unit_id": unit_id,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "note": note,
    }
    scope_id = int(
        con.scalar(
            "INSERT INTO user_scopes (user_name, kind, unit_id, valid_from, valid_until, note)"
            " VALUES ($user_name, $kind, $unit_id, $valid_from, $valid_until, $note) RETURNING id",
            row,
        )
    )
    trace.record(
        con, action="授予范围", table="user_scopes", key=str(scope_id), before=None, after={"id": scope_id, **row}
    )
    return scope_id


def first_admin(con: Connection, name: str) -> None:
    """Register `name` with every role over every unit; only in a file without users.

    Raises:
        PermissionDenied: users exist already.
    """
    if con.scalar("SELECT count(*) FROM users"):
        raise PermissionDenied(
            f"已有登记的用户，“{con.actor}”不能再设置首位管理员：首位管理员只能在空库中设置。",
            action="设置首位管理员",
            target=name,
        )
    clean = clean_name(name)
    con.execute("INSERT INTO users VALUES (?, ?, TRUE, ?, ?)", [clean, clean, con.now, con.actor])
    con.insert_rows("user_roles", [[clean, role] for role in ROLE_LABELS])
    record(con, "登记首位管理员", clean, None)
    insert_scope(con, clean, "all", None, None, None, "首位管理员")
