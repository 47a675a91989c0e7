"""The user administration behind kit.access's public functions: users, their roles and scopes.

Each function here does the work of the kit.access function of the same name once that
one has checked the acting user is an administrator (and, where it matters, passed on
the units they administer): it checks its input, keeps an administrator of all units,
writes, and leaves the trace entry (kit.users).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kit import scopes, trace, users, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound, PermissionDenied
from kit.users import ROLE_LABELS, SCOPE_LABELS

HIDDEN_SCOPE = "（授权范围之外的单位）"


def require_user(con: Connection, name: str) -> dict[str, Any]:
    """The state of user `name` (kit.users.state).

    Raises:
        NotFound: no such user.
    """
    state = users.state(con, name)
    if state is None:
        raise NotFound(f"用户“{name}”不存在")
    return state


def checked_roles(raw: Iterable[Any]) -> list[str]:
    """Roles given as a list, checked and sorted.

    Raises:
        InvalidInput: not a list, or a value that is not a role.
    """
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise InvalidInput.one("roles", "“角色”必须是角色的列表")
    check = validate.Checker()
    roles = {check(validate.choice, r, field="roles", label="角色", choices=ROLE_LABELS) for r in raw}
    check.done()
    return sorted(r for r in roles if r)


def full_admins(con: Connection) -> set[str]:
    """Active users who are administrators of all units today."""
    rows = con.all(
        "SELECT DISTINCT u.name FROM users u JOIN user_roles r ON r.user_name = u.name AND r.role = 'admin'"
        " JOIN user_scopes s ON s.user_name = u.name AND s.kind = 'all'"
        "  AND (s.valid_from IS NULL OR s.valid_from <= ?) AND (s.valid_until IS NULL OR s.valid_until >= ?)"
        " WHERE u.active",
        [con.now.date(), con.now.date()],
    )
    return {r[0] for r in rows}


def keep_an_admin(con: Connection, doing: str) -> None:
    """Refuse a change (`doing`, already made in the transaction) that left no administrator of all units.

    Raises:
        InvalidInput: no active administrator of all units is left.
    """
    if not full_admins(con):
        raise InvalidInput.one(
            "name", f"{doing}后将没有可管理全部单位的管理员，已拒绝。请先为他人授予管理员角色和全部单位范围。"
        )


def add_user(con: Connection, *, name: Any, display_name: Any, roles: Sequence[Any]) -> None:
    """Register a user, optionally with roles (kit.access.add_user).

    Raises:
        InvalidInput: a field breaks its rule or the name is taken.
    """
    check = validate.Checker()
    clean = check(users.clean_name, name)
    shown = check(validate.text, display_name, field="display_name", label="姓名", max_length=50) or clean
    check.done()
    clean_roles = checked_roles(roles)
    if users.state(con, clean) is not None:
        raise InvalidInput.one("name", f"用户名“{clean}”已被使用")
    con.execute("INSERT INTO users VALUES (?, ?, TRUE, ?, ?)", [clean, shown, con.now, con.actor])
    con.insert_rows("user_roles", [[clean, role] for role in clean_roles])
    users.record(con, "登记用户", clean, None)


def set_active(con: Connection, *, name: Any, active: Any) -> None:
    """Disable a user or enable them again (kit.access.set_active).

    Raises:
        NotFound: no such user.
        InvalidInput: disabling would leave no administrator of all units.
    """
    if not isinstance(active, bool):  # "false" is true to Python yet false to DuckDB: it would skip the check below
        raise InvalidInput.one("active", "“是否启用”必须为是或否")
    before = require_user(con, users.clean_name(name))
    if before["active"] == active:
        return
    con.execute("UPDATE users SET active = ? WHERE name = ?", [active, before["name"]])
    if not active:
        keep_an_admin(con, "停用该用户")
    users.record(con, "启用用户" if active else "停用用户", before["name"], before)


def grant_role(con: Connection, *, name: Any, role: Any) -> None:
    """Give a user a role (kit.access.grant_role).

    Raises:
        NotFound: no such user.
        InvalidInput: not a role.
    """
    before = require_user(con, users.clean_name(name))
    (clean,) = checked_roles([role])
    if clean in before["roles"]:
        return
    con.execute("INSERT INTO user_roles VALUES (?, ?)", [before["name"], clean])
    users.record(con, "授予角色", before["name"], before)


def revoke_role(con: Connection, *, name: Any, role: Any) -> None:
    """Take a role from a user (kit.access.revoke_role).

    Raises:
        NotFound: no such user.
        InvalidInput: not a role, or it would leave no administrator of all units.
    """
    before = require_user(con, users.clean_name(name))
    (clean,) = checked_roles([role])
    if clean not in before["roles"]:
        return
    con.execute("DELETE FROM user_roles WHERE user_name = ? AND role = ?", [before["name"], clean])
    keep_an_admin(con, "收回该角色")
    users.record(con, "收回角色", before["name"], before)


def grant_scope(
    con: Connection,
    *,
    admin_units: frozenset[int] | None,
    admin_name: str,
    name: Any,
    kind: Any,
    unit_id: int | None,
    valid_from: Any,
    valid_until: Any,
    note: Any,
) -> int:
    """Let a user see a set of units (kit.access.grant_scope); returns the scope's id.

    `admin_units` are the units the acting administrator sees (None: all), `admin_name`
    how they are named in a refusal.

    Raises:
        PermissionDenied: the units are outside the administrator's own.
        NotFound: no such user or unit.
        InvalidInput: a field breaks its rule, or the dates are reversed.
    """
    target = require_user(con, users.clean_name(name))
    check = validate.Checker()
    if unit_id is not None:
        unit_id = check(validate.ident, unit_id, field="unit_id", label="单位编号")
    clean_kind = check(validate.choice, kind, field="kind", label="范围类别", choices=SCOPE_LABELS)
    start = check(validate.day, valid_from, field="valid_from", label="起始日期", required=False)
    end = check(validate.day, valid_until, field="valid_until", label="截止日期", required=False)
    clean_note = check(validate.text, note, field="note", label="说明", max_length=200) or None
    check.done()
    if start and end and end < start:
        raise InvalidInput.one("valid_until", "“截止日期”不能早于“起始日期”")
    if clean_kind == "all":
        if unit_id is not None:
            raise InvalidInput.one("unit_id", "“全部单位”范围不能指定单位")
    elif unit_id is None:
        raise InvalidInput.one("unit_id", f"“{SCOPE_LABELS[clean_kind]}”范围必须指定单位")
    elif con.scalar("SELECT count(*) FROM units WHERE id = ?", [unit_id]) == 0:
        raise NotFound(f"单位不存在（编号 {unit_id}）")
    covered = scopes.covered(con, clean_kind, unit_id)
    if admin_units is not None and (covered is None or not covered <= admin_units):
        raise PermissionDenied(
            f"您（{admin_name}）只能授予自己授权范围内的单位。",
            action="授予范围",
            target=f"unit:{unit_id}",
        )
    return users.insert_scope(con, target["name"], clean_kind, unit_id, start, end, clean_note)


def revoke_scope(con: Connection, *, admin_units: frozenset[int] | None, admin_name: str, scope_id: int) -> None:
    """Remove one scope of a user (kit.access.revoke_scope); `admin_units` and `admin_name` as for grant_scope.

    Raises:
        PermissionDenied: the scope covers units outside the administrator's own.
        NotFound: no such scope.
        InvalidInput: it would leave no administrator of all units.
    """
    scope_id = validate.ident(scope_id, field="scope_id", label="授权范围编号")
    rows = con.records("SELECT * FROM user_scopes WHERE id = ?", [scope_id])
    if not rows:
        raise NotFound(f"授权范围不存在（编号 {scope_id}）")
    before = rows[0]
    covered = scopes.covered(con, before["kind"], before["unit_id"])
    if admin_units is not None and (covered is None or not covered <= admin_units):
        raise PermissionDenied(
            f"您（{admin_name}）只能收回自己授权范围内的单位。", action="收回范围", target=f"scope:{scope_id}"
        )
    con.execute("DELETE FROM user_scopes WHERE id = ?", [scope_id])
    keep_an_admin(con, "收回该范围")
    trace.record(con, action="收回范围", table="user_scopes", key=str(scope_id), before=before, after=None)


def _scope_text(row: dict[str, Any]) -> str:
    text = SCOPE_LABELS[row["kind"]]
    if row["unit_name"]:
        text += f"：{row['unit_name']}"
    if row["valid_from"] or row["valid_until"]:
        text += f"（{row['valid_from'] or '…'} 至 {row['valid_until'] or '…'}）"
    return text


def list_users(con: Connection, *, admin_units: frozenset[int] | None) -> list[dict[str, Any]]:
    """Every user with roles and scopes (kit.access.list_users); a unit outside `admin_units` is not named."""
    rows = con.records("SELECT name, display_name, active FROM users ORDER BY created_at, name")
    scope_rows = con.records(
        "SELECT s.id, s.user_name, s.kind, s.unit_id, s.valid_from, s.valid_until, u.name AS unit_name"
        " FROM user_scopes s LEFT JOIN units u ON u.id = s.unit_id ORDER BY s.id"
    )
    roles = con.all("SELECT user_name, role FROM user_roles")
    for row in rows:
        mine = {r for n, r in roles if n == row["name"]}
        row["roles"] = [label for role, label in ROLE_LABELS.items() if role in mine]
        row["scopes"] = [
            {"id": s["id"], "text": _scope_text(s) if _shown(admin_units, s) else HIDDEN_SCOPE}
            for s in scope_rows
            if s["user_name"] == row["name"]
        ]
    return rows


def _shown(admin_units: frozenset[int] | None, scope: dict[str, Any]) -> bool:
    """Whether an administrator of some units may see which unit a scope names."""
    return admin_units is None or scope["unit_id"] is None or int(scope["unit_id"]) in admin_units


def who_can_see(con: Connection, *, unit_id: int) -> list[dict[str, Any]]:
    """Active users whose roles and scope today let them see a unit (kit.access.who_can_see).

    Raises:
        NotFound: no such unit.
    """
    if con.scalar("SELECT count(*) FROM units WHERE id = ?", [unit_id]) == 0:
        raise NotFound(f"单位不存在（编号 {unit_id}）")
    found = []
    for name, display_name in con.all("SELECT name, display_name FROM users WHERE active ORDER BY name"):
        roles = {r[0] for r in con.all("SELECT role FROM user_roles WHERE user_name = ?", [name])}
        units = scopes.units_of(con, name, con.now.date())
        if roles and (units is None or unit_id in units):
            labels = [label for role, label in ROLE_LABELS.items() if role in roles]
            found.append({"name": name, "display_name": display_name, "roles": labels})
    return found
