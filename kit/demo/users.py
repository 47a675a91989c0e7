"""The demo's sample users, and the operator with every role."""

from __future__ import annotations

from datetime import date

from kit import access, config, registry
from kit.db import Connection
from kit.demo.common import DEMO_ACTOR, DemoSummary

# Sample users (login name, name, roles, scopes as (kind, unit code or None, from, until)).
# The configured operator is added too, with every role over every unit.
DEMO_USERS: list[tuple[str, str, list[str], list[tuple[str, str | None, date | None, date | None]]]] = [
    ("luru01", "王丽", ["entry"], [("supervised", "P01", None, None)]),
    ("shenhe01", "陈刚", ["review", "entry"], [("subordinate", "C01", None, None)]),
    ("fenxi01", "刘洋", ["analyst"], [("all", None, None, None)]),
    ("xuncha01", "赵磊", ["entry"], [("unit", "C03", date(2025, 3, 1), date(2025, 6, 30))]),
    ("xcb01", "孙敏", ["review", "entry"], [("all", None, None, None)]),
]


def add_users(con: Connection, ids: dict[str, int], summary: DemoSummary) -> None:
    """The operator and the sample users; the demo's own account is disabled at the end."""
    operator = config.operator()
    if operator != DEMO_ACTOR:
        access.add_user(con, name=operator, roles=list(access.ROLE_LABELS))
        access.grant_scope(con, name=operator, kind="all", note="本机操作员")
        summary.users += 1
    for name, shown, roles, scopes in DEMO_USERS:
        access.add_user(con, name=name, display_name=shown, roles=roles)
        for kind, code, start, end in scopes:
            unit = registry.unit_id(con, code) if code else None
            access.grant_scope(con, name=name, kind=kind, unit_id=unit, valid_from=start, valid_until=end)
        summary.users += 1
    if operator != DEMO_ACTOR:
        access.set_active(con, name=DEMO_ACTOR, active=False)
