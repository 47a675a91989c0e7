"""Who may do what, on which units: roles and scopes, enforced in kit itself.

Every public function of kit that reads or writes an office's records asks this
module first, so a form, an analyst's notebook and an import obey the same rules
(DESIGN.md, decision 2). A refusal raises `PermissionDenied`; `kit.db` records it
in the trace once the refused action has been rolled back.

Roles: 录入员 enters, 审核员 reviews and closes, 分析员 reads, 管理员 manages users,
units and schemes. Every role reads what its scope covers. A scope is all units,
one unit, a unit and everything under it (所辖), or the units a 派驻纪检组 supervises
(派驻监督), each optionally limited to a period (a 巡察组 for the length of its round).

The checks and the public functions are here; which units a scope covers is in kit.scopes,
and the work of the user administration (once the check here has passed) in kit.user_admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kit import door, scopes, user_admin, users
from kit.db import Connection
from kit.errors import PermissionDenied
from kit.user_admin import HIDDEN_SCOPE as HIDDEN_SCOPE
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
_scope_units = scopes.units_of  # kit.extract reads another user's units by this name


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
    found = User(con.actor, row[0], roles, scopes.units_of(con, con.actor, con.now.date()))
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


# --- administration (the work is done in kit.user_admin) ------------------------------


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
    user_admin.add_user(con, name=name, display_name=display_name, roles=roles)


@door.public
def set_active(con: Connection, *, name: Any, active: Any) -> None:
    """Disable a user (they can no longer do anything) or enable them again.

    Raises:
        PermissionDenied: the acting user is not an administrator.
        NotFound: no such user.
        InvalidInput: disabling would leave no administrator of all units.
    """
    require(con, ADMIN, what="停用或启用用户")
    user_admin.set_active(con, name=name, active=active)


@door.public
def grant_role(con: Connection, *, name: Any, role: Any) -> None:
    """Give a user a role (录入员, 审核员, 分析员 or 管理员).

    Raises:
        PermissionDenied: the acting user is not an administrator.
        NotFound: no such user.
        InvalidInput: not a role.
    """
    require(con, ADMIN, what="授予角色")
    user_admin.grant_role(con, name=name, role=role)


@door.public
def revoke_role(con: Connection, *, name: Any, role: Any) -> None:
    """Take a role from a user.

    Raises:
        PermissionDenied: the acting user is not an administrator.
        NotFound: no such user.
        InvalidInput: not a role, or it would leave no administrator of all units.
    """
    require(con, ADMIN, what="收回角色")
    user_admin.revoke_role(con, name=name, role=role)


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
    return user_admin.grant_scope(
        con,
        admin_units=admin.units,
        admin_name=admin.display_name,
        name=name,
        kind=kind,
        unit_id=unit_id,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
    )


@door.public
def revoke_scope(con: Connection, *, scope_id: int) -> None:
    """Remove one scope of a user.

    Raises:
        PermissionDenied: the acting user is not an administrator, or the scope covers units outside theirs.
        NotFound: no such scope.
        InvalidInput: it would leave no administrator of all units.
    """
    admin = require(con, ADMIN, what="收回范围")
    user_admin.revoke_scope(con, admin_units=admin.units, admin_name=admin.display_name, scope_id=scope_id)


@door.public
def list_users(con: Connection) -> list[dict[str, Any]]:
    """Every user with roles and scopes, for administrators (a unit outside their own scope is not named).

    Raises:
        PermissionDenied: the acting user is not an administrator.
    """
    me = require(con, ADMIN, what="查看用户名单")
    return user_admin.list_users(con, admin_units=me.units)


@door.public
def who_can_see(con: Connection, *, unit_id: int) -> list[dict[str, Any]]:
    """Active users whose roles and scope today let them see a unit, with their roles.

    Raises:
        PermissionDenied: the acting user is not an administrator of that unit.
        NotFound: no such unit.
    """
    require(con, ADMIN, unit_id=unit_id, what="查看单位的可见用户")
    return user_admin.who_can_see(con, unit_id=unit_id)
