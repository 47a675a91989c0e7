"""Who may do what, on which units: roles and scopes, enforced in kit itself.

Every public function of kit that reads or writes an office's records asks this
module first, so a form, an analyst's notebook and an import obey the same rules
(DESIGN.md, decision 2). A refusal raises `PermissionDenied`; `kit.db` records it
in the trace once the refused action has been rolled back.

Roles: 录入员 enters, 审核员 reviews and closes, 分析员 reads, 管理员 manages users,
units and schemes. Every role reads what its scope covers. A scope is all units,
one unit, a unit and everything under it (所辖), or the units a 派驻纪检组 supervises
(派驻监督), each optionally limited to a period (a 巡察组 for the length of its round).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from kit import door, trace, users, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound, PermissionDenied
from kit.users import ROLE_LABELS as ROLE_LABELS  # the roles and scope kinds are named in kit.users
from kit.users import SCOPE_LABELS as SCOPE_LABELS

READ = "read"
ENTER = "enter"
REVIEW = "review"
ADMIN = "admin"
_NEEDS = {
    READ: frozenset(ROLE_LABELS),
    ENTER: frozenset({"entry"}),
    REVIEW: frozenset({"review"}),
    ADMIN: frozenset({"admin"}),
}
_ACTION_LABELS = {READ: "查看", ENTER: "录入", REVIEW: "审核", ADMIN: "管理"}
_CACHE_KEY = "access.user"


@dataclass(frozen=True)
class User:
    """The acting user as the database knows them today; `units` None means every unit."""

    name: str
    display_name: str
    roles: frozenset[str]
    units: frozenset[int] | None

    def sees(self, unit_id: int) -> bool:
        return self.units is None or unit_id in self.units

    def has(self, need: str) -> bool:
        return bool(self.roles & _NEEDS[need])

    @property
    def role_text(self) -> str:
        return "、".join(label for role, label in ROLE_LABELS.items() if role in self.roles) or "无角色"

    @property
    def label(self) -> str:
        """How apps show the user: 姓名（角色）."""
        return f"{self.display_name}（{self.role_text}）"


@door.public
def user(con: Connection) -> User:
    """The acting user of this action, with roles and the units their scopes cover today.

    Raises:
        PermissionDenied: the user is not registered, is disabled or has no role.
    """
    cached = con.cache.get(_CACHE_KEY)
    if isinstance(cached, User):
        return cached
    row = con.one("SELECT display_name, active FROM users WHERE name = ?", [con.actor])
    if row is None:
        raise PermissionDenied(
            f"用户“{con.actor}”未在监督台登记，不能查看或修改任何数据。请联系管理员登记。",
            action="登录",
            target=con.actor,
        )
    if not row[1]:
        raise PermissionDenied(f"用户“{con.actor}”已被停用。如有疑问，请联系管理员。", action="登录", target=con.actor)
    roles = frozenset(r[0] for r in con.all("SELECT role FROM user_roles WHERE user_name = ?", [con.actor]))
    if not roles:
        raise PermissionDenied(
            f"用户“{con.actor}”尚未被授予任何角色。请联系管理员授权。", action="登录", target=con.actor
        )
    found = User(con.actor, row[0], roles, _scope_units(con, con.actor, con.now.date()))
    con.cache[_CACHE_KEY] = found
    return found


@door.public
def require(con: Connection, need: str, *, unit_id: int | None = None, what: str = "") -> User:
    """The acting user, if they have a role for `need` and (when given) see `unit_id`.

    Raises:
        PermissionDenied: the user lacks the role or the unit is outside their scope.
    """
    who = user(con)
    doing = what or _ACTION_LABELS[need]
    if not who.has(need):
        wanted = "或".join(ROLE_LABELS[r] for r in ROLE_LABELS if r in _NEEDS[need])
        raise PermissionDenied(
            f"您（{who.display_name}，{who.role_text}）无权{doing}：需要{wanted}角色。",
            action=doing,
            target=f"unit:{unit_id}" if unit_id is not None else who.name,
        )
    if unit_id is not None and not who.sees(unit_id):
        raise PermissionDenied(
            f"您（{who.display_name}）无权{doing}编号为 {unit_id} 的单位：该单位不在您的授权范围内。",
            action=doing,
            target=f"unit:{unit_id}",
        )
    return who


@door.public
def require_all_units(con: Connection, need: str, *, what: str) -> User:
    """The acting user, if their scope covers every unit (free SQL cannot be limited to a scope).

    Raises:
        PermissionDenied: the user lacks the role or sees only some units.
    """
    who = require(con, need, what=what)
    if who.units is not None:
        raise PermissionDenied(
            f"您（{who.display_name}）的授权范围只含部分单位，不能{what}。请使用按范围查询的函数，或请管理员调整授权。",
            action=what,
            target=who.name,
        )
    return who


@door.public
def visible_units(con: Connection) -> list[int] | None:
    """Ids of the units the acting user may see (None: all), for `list_contains(?, unit_id)` filters."""
    units = require(con, READ).units
    return None if units is None else sorted(units)


@door.public
def scope_sql(con: Connection, column: str) -> tuple[str, list[Any]]:
    """A SQL condition limiting `column` (a unit id written by the caller) to the user's scope."""
    units = visible_units(con)
    if units is None:
        return "TRUE", []
    return f"list_contains(?::INTEGER[], {column})", [units]


# --- scopes ------------------------------------------------------------------------


def _unit_tree(con: Connection) -> list[tuple[int, int | None, int | None]]:
    key = "access.units"
    if key not in con.cache:
        con.cache[key] = [(int(r[0]), r[1], r[2]) for r in con.all("SELECT id, parent_id, supervisor_id FROM units")]
    tree: list[tuple[int, int | None, int | None]] = con.cache[key]
    return tree


def _covered(con: Connection, kind: str, unit_id: int | None) -> frozenset[int] | None:
    """The units one scope covers; None for all."""
    if kind == "all":
        return None
    assert unit_id is not None
    tree = _unit_tree(con)
    if kind == "unit":
        return frozenset({unit_id})
    if kind == "supervised":
        return frozenset({unit_id} | {u for u, _, sup in tree if sup == unit_id})
    found, frontier = {unit_id}, {unit_id}
    while frontier:  # subordinate: the unit and everything below it
        frontier = {u for u, parent, _ in tree if parent in frontier and u not in found}
        found |= frontier
    return frozenset(found)


def _scope_units(con: Connection, name: str, on: date) -> frozenset[int] | None:
    rows = con.all(
        "SELECT kind, unit_id FROM user_scopes WHERE user_name = ?"
        " AND (valid_from IS NULL OR valid_from <= ?) AND (valid_until IS NULL OR valid_until >= ?)",
        [name, on, on],
    )
    units: set[int] = set()
    for kind, unit_id in rows:
        covered = _covered(con, kind, unit_id)
        if covered is None:
            return None
        units |= covered
    return frozenset(units)


# --- administration ----------------------------------------------------------------


def _require_user(con: Connection, name: str) -> dict[str, Any]:
    state = users.state(con, name)
    if state is None:
        raise NotFound(f"用户“{name}”不存在")
    return state


def _clean_roles(raw: Iterable[Any]) -> list[str]:
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise InvalidInput.one("roles", "“角色”必须是角色的列表")
    check = validate.Checker()
    roles = {check(validate.choice, r, field="roles", label="角色", choices=ROLE_LABELS) for r in raw}
    check.done()
    return sorted(r for r in roles if r)


@door.public
def bootstrap(con: Connection, name: str) -> None:
    """Register the first user with every role over every unit; only a file without users.

    Raises:
        PermissionDenied: users exist already.
    """
    users.first_admin(con, name)


@door.public
def add_user(con: Connection, *, name: Any, display_name: Any = None, roles: Sequence[Any] = ()) -> None:
    """Register a user (the name the deployment gives them), optionally with roles.

    Raises:
        PermissionDenied: the acting user is not an administrator.
        InvalidInput: a field breaks its rule or the name is taken.
    """
    require(con, ADMIN, what="登记用户")
    check = validate.Checker()
    clean = check(users.clean_name, name)
    shown = check(validate.text, display_name, field="display_name", label="姓名", max_length=50) or clean
    check.done()
    clean_roles = _clean_roles(roles)
    if users.state(con, clean) is not None:
        raise InvalidInput.one("name", f"用户名“{clean}”已被使用")
    con.execute("INSERT INTO users VALUES (?, ?, TRUE, ?, ?)", [clean, shown, con.now, con.actor])
    con.insert_rows("user_roles", [[clean, role] for role in clean_roles])
    users.record(con, "登记用户", clean, None)


def _full_admins(con: Connection) -> set[str]:
    rows = con.all(
        "SELECT DISTINCT u.name FROM users u JOIN user_roles r ON r.user_name = u.name AND r.role = 'admin'"
        " JOIN user_scopes s ON s.user_name = u.name AND s.kind = 'all'"
        "  AND (s.valid_from IS NULL OR s.valid_from <= ?) AND (s.valid_until IS NULL OR s.valid_until >= ?)"
        " WHERE u.active",
        [con.now.date(), con.now.date()],
    )
    return {r[0] for r in rows}


def _keep_an_admin(con: Connection, doing: str) -> None:
    if not _full_admins(con):
        raise InvalidInput.one(
            "name", f"{doing}后将没有可管理全部单位的管理员，已拒绝。请先为他人授予管理员角色和全部单位范围。"
        )


@door.public
def set_active(con: Connection, *, name: Any, active: Any) -> None:
    """Disable a user (they can no longer do anything) or enable them again.

    Raises:
        PermissionDenied: the acting user is not an administrator.
        NotFound: no such user.
        InvalidInput: disabling would leave no administrator of all units.
    """
    require(con, ADMIN, what="停用或启用用户")
    if not isinstance(active, bool):  # "false" is true to Python yet false to DuckDB: it would skip the check below
        raise InvalidInput.one("active", "“是否启用”必须为是或否")
    before = _require_user(con, users.clean_name(name))
    if before["active"] == active:
        return
    con.execute("UPDATE users SET active = ? WHERE name = ?", [active, before["name"]])
    if not active:
        _keep_an_admin(con, "停用该用户")
    users.record(con, "启用用户" if active else "停用用户", before["name"], before)


@door.public
def grant_role(con: Connection, *, name: Any, role: Any) -> None:
    """Give a user a role (录入员, 审核员, 分析员 or 管理员).

    Raises:
        PermissionDenied: the acting user is not an administrator.
        NotFound: no such user.
        InvalidInput: not a role.
    """
    require(con, ADMIN, what="授予角色")
    before = _require_user(con, users.clean_name(name))
    (clean,) = _clean_roles([role])
    if clean in before["roles"]:
        return
    con.execute("INSERT INTO user_roles VALUES (?, ?)", [before["name"], clean])
    users.record(con, "授予角色", before["name"], before)


@door.public
def revoke_role(con: Connection, *, name: Any, role: Any) -> None:
    """Take a role from a user.

    Raises:
        PermissionDenied: the acting user is not an administrator.
        NotFound: no such user.
        InvalidInput: not a role, or it would leave no administrator of all units.
    """
    require(con, ADMIN, what="收回角色")
    before = _require_user(con, users.clean_name(name))
    (clean,) = _clean_roles([role])
    if clean not in before["roles"]:
        return
    con.execute("DELETE FROM user_roles WHERE user_name = ? AND role = ?", [before["name"], clean])
    _keep_an_admin(con, "收回该角色")
    users.record(con, "收回角色", before["name"], before)


@door.public
def grant_scope(
    con: Connection,
    *,
    name: Any,
    kind: Any,
    unit_id: int | None = None,
    valid_from: Any = None,
    valid_until: Any = None,
    note: Any = None,
) -> int:
    """Let a user see a set of units, optionally only between two dates; returns the scope's id.

    An administrator can hand out only units they see themselves.

    Raises:
        PermissionDenied: the acting user is not an administrator, or the units are outside their scope.
        NotFound: no such user or unit.
        InvalidInput: a field breaks its rule, or the dates are reversed.
    """
    admin = require(con, ADMIN, what="授予范围")
    target = _require_user(con, users.clean_name(name))
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
    covered = _covered(con, clean_kind, unit_id)
    if admin.units is not None and (covered is None or not covered <= admin.units):
        raise PermissionDenied(
            f"您（{admin.display_name}）只能授予自己授权范围内的单位。",
            action="授予范围",
            target=f"unit:{unit_id}",
        )
    return users.insert_scope(con, target["name"], clean_kind, unit_id, start, end, clean_note)


@door.public
def revoke_scope(con: Connection, *, scope_id: int) -> None:
    """Remove one scope of a user.

    Raises:
        PermissionDenied: the acting user is not an administrator, or the scope covers units outside theirs.
        NotFound: no such scope.
        InvalidInput: it would leave no administrator of all units.
    """
    admin = require(con, ADMIN, what="收回范围")
    scope_id = validate.ident(scope_id, field="scope_id", label="授权范围编号")
    rows = con.records("SELECT * FROM user_scopes WHERE id = ?", [scope_id])
    if not rows:
        raise NotFound(f"授权范围不存在（编号 {scope_id}）")
    before = rows[0]
    covered = _covered(con, before["kind"], before["unit_id"])
    if admin.units is not None and (covered is None or not covered <= admin.units):
        raise PermissionDenied(
            f"您（{admin.display_name}）只能收回自己授权范围内的单位。", action="收回范围", target=f"scope:{scope_id}"
        )
    con.execute("DELETE FROM user_scopes WHERE id = ?", [scope_id])
    _keep_an_admin(con, "收回该范围")
    trace.record(con, action="收回范围", table="user_scopes", key=str(scope_id), before=before, after=None)


def _scope_text(row: dict[str, Any]) -> str:
    text = SCOPE_LABELS[row["kind"]]
    if row["unit_name"]:
        text += f"：{row['unit_name']}"
    if row["valid_from"] or row["valid_until"]:
        text += f"（{row['valid_from'] or '…'} 至 {row['valid_until'] or '…'}）"
    return text


@door.public
def list_users(con: Connection) -> list[dict[str, Any]]:
    """Every user with roles and scopes, for administrators (a unit outside their own scope is not named).

    Raises:
        PermissionDenied: the acting user is not an administrator.
    """
    me = require(con, ADMIN, what="查看用户名单")
    users = con.records("SELECT name, display_name, active FROM users ORDER BY created_at, name")
    scopes = con.records(
        "SELECT s.id, s.user_name, s.kind, s.unit_id, s.valid_from, s.valid_until, u.name AS unit_name"
        " FROM user_scopes s LEFT JOIN units u ON u.id = s.unit_id ORDER BY s.id"
    )
    roles = con.all("SELECT user_name, role FROM user_roles")
    for row in users:
        mine = {r for n, r in roles if n == row["name"]}
        row["roles"] = [label for role, label in ROLE_LABELS.items() if role in mine]
        row["scopes"] = [
            {"id": s["id"], "text": _scope_text(s) if _shown(me, s) else HIDDEN_SCOPE}
            for s in scopes
            if s["user_name"] == row["name"]
        ]
    return users


HIDDEN_SCOPE = "（授权范围之外的单位）"


def _shown(me: User, scope: dict[str, Any]) -> bool:
    """Whether an administrator of some units may see which unit a scope names."""
    return me.units is None or scope["unit_id"] is None or int(scope["unit_id"]) in me.units


@door.public
def who_can_see(con: Connection, *, unit_id: int) -> list[dict[str, Any]]:
    """Active users whose roles and scope today let them see a unit, with their roles.

    Raises:
        PermissionDenied: the acting user is not an administrator of that unit.
        NotFound: no such unit.
    """
    require(con, ADMIN, unit_id=unit_id, what="查看单位的可见用户")
    if con.scalar("SELECT count(*) FROM units WHERE id = ?", [unit_id]) == 0:
        raise NotFound(f"单位不存在（编号 {unit_id}）")
    found = []
    for name, display_name in con.all("SELECT name, display_name FROM users WHERE active ORDER BY name"):
        roles = {r[0] for r in con.all("SELECT role FROM user_roles WHERE user_name = ?", [name])}
        units = _scope_units(con, name, con.now.date())
        if roles and (units is None or unit_id in units):
            labels = [label for role, label in ROLE_LABELS.items() if role in roles]
            found.append({"name": name, "display_name": display_name, "roles": labels})
    return found
