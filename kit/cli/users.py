"""Users, roles and scopes: user list|who|add|disable|enable|grant|revoke."""

from __future__ import annotations

import argparse

from kit import db
from kit.cli.common import Adder


def _cmd_user(args: argparse.Namespace) -> int:
    from kit import access, registry

    if args.action == "list":
        with db.read(args.db) as con:
            users = access.list_users(con)
        for u in users:
            state = "" if u["active"] else "（已停用）"
            scopes = "；".join(f"[{s['id']}] {s['text']}" for s in u["scopes"]) or "无"
            print(f"{u['name']}\t{u['display_name']}{state}\t角色：{'、'.join(u['roles']) or '无'}\t范围：{scopes}")
        return 0
    if args.action == "who":
        with db.read(args.db) as con:
            unit = registry.unit_id(con, args.name)
            found = access.who_can_see(con, unit_id=unit)
            name = registry.get_unit(con, unit)["name"]
        print(f"可查看“{name}”的用户 {len(found)} 名：")
        for u in found:
            print(f"{u['name']}\t{u['display_name']}\t{'、'.join(u['roles'])}")
        return 0
    with db.write(args.db, action="管理用户") as con:
        if args.action == "add":
            access.add_user(con, name=args.name, display_name=args.display_name, roles=args.role or [])
        elif args.action in ("disable", "enable"):
            access.set_active(con, name=args.name, active=args.action == "enable")
        elif args.action == "grant":
            for role in args.role or []:
                access.grant_role(con, name=args.name, role=role)
            if args.scope:
                scoped = registry.unit_id(con, args.unit) if args.unit else None
                access.grant_scope(
                    con,
                    name=args.name,
                    kind=args.scope,
                    unit_id=scoped,
                    valid_from=args.valid_from,
                    valid_until=args.valid_until,
                    note=args.note,
                )
        elif args.action == "revoke":
            for role in args.role or []:
                access.revoke_role(con, name=args.name, role=role)
            for scope_id in args.scope_id or []:
                access.revoke_scope(con, scope_id=scope_id)
    print(f"已完成：{_USER_ACTIONS[args.action]} {args.name}")
    return 0


_USER_ACTIONS = {
    "list": "列出全部用户",
    "add": "登记用户",
    "disable": "停用用户",
    "enable": "启用用户",
    "grant": "授予角色或范围",
    "revoke": "收回角色或范围",
    "who": "列出可查看某单位的用户",
}


def add_commands(add: Adder, common: argparse.ArgumentParser) -> None:
    """user: list, who, add, disable, enable, grant, revoke."""
    user = add("user", _cmd_user, "管理用户、角色和授权范围（需管理员角色）")
    actions = user.add_subparsers(dest="action", required=True, metavar="操作")

    def action(name: str, *, needs: str | None = "用户名") -> argparse.ArgumentParser:
        p = actions.add_parser(name, parents=[common], help=_USER_ACTIONS[name], description=_USER_ACTIONS[name])
        if needs:
            p.add_argument("name", metavar=needs)
        return p

    action("list", needs=None)
    action("who", needs="单位编码")
    added = action("add")
    added.add_argument("--display-name", metavar="姓名", help="显示的姓名（默认同用户名）")
    added.add_argument("--role", action="append", metavar="角色", help="录入员、审核员、分析员或管理员（可重复）")
    action("disable")
    action("enable")
    grant = action("grant")
    grant.add_argument("--role", action="append", metavar="角色", help="录入员、审核员、分析员或管理员（可重复）")
    grant.add_argument("--scope", metavar="范围", help="全部单位、本单位、所辖单位或派驻监督单位")
    grant.add_argument("--unit", metavar="单位编码", help="范围所指的单位（全部单位时不填）")
    grant.add_argument("--from", dest="valid_from", metavar="日期", help="范围起始日期（可不填）")
    grant.add_argument("--until", dest="valid_until", metavar="日期", help="范围截止日期（可不填）")
    grant.add_argument("--note", metavar="说明", help="范围说明，如“第三巡察组第十五轮”")
    revoke = action("revoke")
    revoke.add_argument("--role", action="append", metavar="角色", help="要收回的角色（可重复）")
    revoke.add_argument("--scope-id", type=int, action="append", metavar="编号", help="要收回的范围编号（见 list）")
