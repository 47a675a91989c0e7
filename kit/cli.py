"""`kit …` on the command line: init, demo, serve, service, report, stats, import, export, template, check, user,
extract, backup, restore."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kit import config, db
from kit.errors import InvalidInput, KitError, NotFound

Handler = Callable[[argparse.Namespace], int]

# argparse's own words (usage, errors, help headings) in Chinese, like every other word shown.
_ARGPARSE_WORDS = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "需要一个参数值",
    "invalid %(type)s value: %(value)r": "参数值无效（应为 %(type)s）：%(value)r",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
}


def _cmd_init(args: argparse.Namespace) -> int:
    version = db.init(args.db, admin=args.admin)
    print(f"数据库已就绪：{config.db_path(args.db)}（结构版本 {version}）")
    return 0


def _cmd_extract(args: argparse.Namespace) -> int:
    from kit import extract

    made = extract.extract(args.user, args.out, db_path=args.db)
    m = made.manifest
    print(f"已写出 {made.path}（只有本账户可读）：给 {m['user']}（{m['display_name']}），{m['unit_count']} 个单位。")
    print(f"数据取自留痕第 {m['trace_seq']} 条之时；导出已记入留痕第 {m['recorded_seq']} 条。SHA-256：{m['sha256']}")
    print("各表行数：" + "，".join(f"{t} {n}" for t, n in m["rows"].items()))
    print("清单在副本的 extract_manifest 表中。")
    return 0


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


def _cmd_demo(args: argparse.Namespace) -> int:
    from kit import demo

    path = config.db_path(args.db)
    if path.exists():
        if args.if_missing:
            print(f"演示数据库已存在，直接使用：{path}")
            return 0
        if not args.force:
            print(f"数据库文件已存在：{path}。如需重建演示数据，请加 --force（将删除该文件）。", file=sys.stderr)
            return 2
        with db.embedded(path):  # refused while a data service holds the file
            for stale in (path, path.with_name(path.name + ".wal")):
                stale.unlink(missing_ok=True)
    summary = demo.build(path)
    print(f"演示数据库已生成：{path}")
    print(
        f"  单位 {summary.units} 个，人员 {summary.people} 名，评分表 {summary.sheets} 份，"
        f"考核年度 {'、'.join(map(str, summary.years))}"
    )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from kit import serve

    return serve.run(db_path=config.db_path(args.db), port=args.port, preheat=not args.no_preheat, open_browser=False)


def _cmd_service(args: argparse.Namespace) -> int:
    from kit.service import client, server

    path = config.db_path(args.db)
    if not args.status:
        return server.main(["--db", str(path), "--port", str(args.port)])
    info = client.ping(path.resolve(), wait_s=0)
    service = client.found(path.resolve())
    print(
        f"数据服务运行中：{service.address if service else ''}\n"
        f"  文件 {info['file']}，结构版本 {info['schema_version']}，进程 {info['pid']}，"
        f"已运行 {info['uptime_s'] / 60:.0f} 分钟，未合并日志 {info['wal_bytes'] / 1024:.0f} KB，"
        f"写入排队 {info['waiting']} 个\n  您的身份：{info['user']}"
    )
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from kit import schemes
    from kit.reports import assessment

    with db.read(args.db) as con:
        scheme_id = None
        if args.scheme:
            found = [s["id"] for s in schemes.list_schemes(con) if s["code"] == args.scheme]
            if not found:
                raise NotFound(f"考核方案编码“{args.scheme}”不存在")
            scheme_id = int(found[0])
        html = assessment.build(con, year=args.year, scheme_id=scheme_id)
    out = Path(args.out) if args.out else Path(assessment.filename(args.year))
    out.write_text(html, encoding="utf-8")
    print(f"报告已写入：{out}")
    return 0


def _round_codes(con: db.Connection, text: str) -> list[tuple[str, int]]:
    """(code, id) of the rounds named as 2024-1,2024-2 (also with ， or 、), or of every round for `all`."""
    from kit import inspections

    if text.strip().lower() == "all":
        return [(r["code"], int(r["id"])) for r in reversed(inspections.list_rounds(con))]
    codes = [c.strip() for c in text.replace("，", ",").replace("、", ",").split(",") if c.strip()]
    if not codes:
        raise NotFound("未指定巡察轮次")
    return [(code, inspections.round_id(con, code)) for code in dict.fromkeys(codes)]


def _cmd_report_round(args: argparse.Namespace) -> int:
    from kit.reports import inspection

    with db.read(args.db) as con:
        rounds = _round_codes(con, args.rounds)
        html = inspection.round_report(con, round_ids=[i for _, i in rounds])
    out = Path(args.out) if args.out else Path(inspection.round_filename([c for c, _ in rounds]))
    out.write_text(html, encoding="utf-8")
    print(f"报告已写入：{out}")
    return 0


def _cmd_report_notice(args: argparse.Namespace) -> int:
    from kit.reports import inspection

    with db.read(args.db) as con:
        rounds = _round_codes(con, args.round)
        if len(rounds) != 1:
            raise InvalidInput.one("round", "整改情况通报只针对一个巡察轮次，请只填写一个轮次编号")
        ((code, ident),) = rounds
        html = inspection.notice(con, round_id=ident, issuer=args.issuer)
    out = Path(args.out) if args.out else Path(inspection.notice_filename(code))
    out.write_text(html, encoding="utf-8")
    print(f"通报已写入：{out}")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    import json

    from kit import inspections

    with db.read(args.db) as con:
        rounds = _round_codes(con, args.rounds)
        figures = inspections.stats(con, round_ids=[i for _, i in rounds])
    codes = [c for c, _ in rounds]
    if args.json:
        print(json.dumps({**figures, "rounds_codes": codes}, ensure_ascii=False))
        return 0
    print(f"巡察轮次：{'、'.join(codes)}")
    for key, label in inspections.STAT_LABELS.items():
        print(f"{label}：{figures[key]}")
    return 0


def _cmd_settings(args: argparse.Namespace) -> int:
    from kit import rectification

    if args.reminders is not None:
        with db.write(args.db, action="设置整改提醒") as con:
            rectification.set_reminder_offsets(con, offsets=args.reminders)
    with db.read(args.db) as con:
        offsets = rectification.reminder_offsets(con)
    shown = "、".join(f"到期前 {-o} 天" if o < 0 else ("到期当天" if o == 0 else f"逾期满 {o} 天") for o in offsets)
    print(f"整改时限提醒：{shown}（{','.join(map(str, offsets))}）")
    return 0


_SHOWN_ROW_ERRORS = 200


def _cmd_import(args: argparse.Namespace) -> int:
    from kit import excel

    if args.rejects and not args.good_only:
        raise InvalidInput.one("rejects", "--rejects 须与 --good-only 一起使用（整体导入时有误的行不单独导出）")
    file = Path(args.file)
    if not file.is_file():
        raise NotFound(f"文件 {file} 不存在")
    result = excel.import_file(file.read_bytes(), args.kind, path=args.db, good_only=args.good_only)
    for error in result.errors[:_SHOWN_ROW_ERRORS]:
        print(error, file=sys.stderr)
    if len(result.errors) > _SHOWN_ROW_ERRORS:
        print(f"……另有 {len(result.errors) - _SHOWN_ROW_ERRORS} 项错误未列出", file=sys.stderr)
    label = excel.KINDS[args.kind]
    if result.ok:
        print(f"导入 {len(result.imported)} 行{label}。")
        return 0
    bad = len(result.bad_rows)
    if not args.good_only:
        print(f"未导入任何数据：共 {result.total} 行，其中 {bad} 行不符合要求。请改正后重新导入。", file=sys.stderr)
        return 1
    print(f"导入 {len(result.imported)} 行{label}；{bad} 行不符合要求，未导入。")
    if args.rejects and result.rejects:
        Path(args.rejects).write_bytes(result.rejects)
        print(f"未导入的行及错误原因已写入：{args.rejects}")
    return 1


def _cmd_export(args: argparse.Namespace) -> int:
    from kit import excel

    with db.read(args.db) as con:
        rounds = [i for _, i in _round_codes(con, args.rounds)] if args.rounds else None
        data = excel.export(con, args.what, round_ids=rounds)
    Path(args.out).write_bytes(data)
    print(f"{excel.EXPORTS[args.what]}已导出：{args.out}")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from kit import excel, inspections

    with db.read(args.db) as con:
        round_id = inspections.round_id(con, args.round) if args.round else None
        data = excel.template(args.kind, con=con, round_id=round_id)
    Path(args.out).write_bytes(data)
    print(f"{excel.KINDS[args.kind]}导入模板已写入：{args.out}")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from kit import backup

    info = backup.backup(args.db, args.dir, keep=args.keep)
    print(f"备份完成：{info.file}")
    print(f"  {info.summary}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from kit import backup

    if args.check_only:
        info = backup.verify(args.file)
        print(f"备份核验通过：{info.summary}")
        return 0
    info = backup.restore(args.file, args.db)
    print(f"已从备份恢复：{config.db_path(args.db)}（原文件已改名保留在同一目录）")
    print(f"  {info.summary}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from kit import integrity

    report = integrity.check(args.db)
    out = sys.stdout if report.ok else sys.stderr
    for line in report.lines():
        print(line, file=out)
    print("检查通过。" if report.ok else "检查未通过：数据或留痕已被改动，请从备份核对。", file=out)
    return 0 if report.ok else 1


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="路径",
        default=argparse.SUPPRESS,
        help="数据库文件（默认：环境变量 KIT_DB，否则 data/kit.duckdb）",
    )
    parser = argparse.ArgumentParser(prog="kit", description="监督台命令行工具", parents=[common])
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    init = add("init", _cmd_init, "创建数据库文件或升级其结构")
    init.add_argument(
        "--admin", metavar="用户名", help="新库的首位管理员（默认：本机操作员，即环境变量 KIT_OPERATOR 或“本机操作员”）"
    )
    demo = add("demo", _cmd_demo, "生成演示数据库")
    demo.add_argument("--force", action="store_true", help="删除已有文件后重建")
    demo.add_argument("--if-missing", action="store_true", help="文件已存在时什么也不做")
    serve = add("serve", _cmd_serve, "在 127.0.0.1 上启动各应用")
    serve.add_argument("--port", type=int, default=8866, metavar="端口", help="端口（默认 8866）")
    serve.add_argument("--no-preheat", action="store_true", help="不预热内核（调试用）")
    service = add("service", _cmd_service, "在前台运行数据服务（唯一打开数据库文件的进程；供 systemd 使用）")
    service.add_argument("--port", type=int, default=0, metavar="端口", help="监听 127.0.0.1 上的端口（默认任选）")
    service.add_argument("--status", action="store_true", help="只查看正在运行的数据服务")
    report = add("report", _cmd_report, "生成离线 HTML 报告")
    kinds = report.add_subparsers(dest="name", required=True, metavar="报告名称")

    def kind(name: str, handler: Handler, help_text: str, out: str) -> argparse.ArgumentParser:
        p = kinds.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        p.add_argument("--out", metavar="文件", help=f"输出文件（默认：{out}）")
        return p

    assessment = kind("assessment", _cmd_report, "年度考核结果报告", "<年度>年度考核结果报告.html")
    assessment.add_argument("--year", type=int, required=True, metavar="年度", help="考核年度")
    assessment.add_argument("--scheme", metavar="方案编码", help="只含某个考核方案")
    rounds_help = "巡察轮次编号，多个以逗号分隔（如 2024-1,2024-2），all 为全部轮次"
    round_report = kind("round", _cmd_report_round, "巡察情况报告", "巡察情况报告（<轮次编号>）.html")
    round_report.add_argument("--rounds", required=True, metavar="轮次编号", help=rounds_help)
    notice = kind("notice", _cmd_report_notice, "巡察整改情况通报", "巡察整改情况通报（<轮次编号>）.html")
    notice.add_argument("--round", required=True, metavar="轮次编号", help="一个巡察轮次编号")
    notice.add_argument("--issuer", metavar="发文机关", help="通报落款的发文机关（默认按顶层单位生成）")
    stats = add("stats", _cmd_stats, "统计数字（与报告中的相同）")
    stats_kinds = stats.add_subparsers(dest="kind", required=True, metavar="统计名称")
    inspection = stats_kinds.add_parser("inspection", parents=[common], help="巡察统计", description="巡察统计")
    inspection.add_argument("--rounds", required=True, metavar="轮次编号", help=rounds_help)
    inspection.add_argument("--json", action="store_true", help="输出 JSON（英文键名，供其他程序读取）")
    ledgers = ["findings", "rectification"]
    ledger_help = "findings（发现问题）或 rectification（整改台账）"
    imported = add("import", _cmd_import, "从 Excel（.xlsx）导入发现问题或整改台账（逐行校验，全部无误才导入）")
    imported.add_argument("kind", choices=ledgers, metavar="类型", help=ledger_help)
    imported.add_argument("file", metavar="文件", help="按导入模板填写的 .xlsx 文件")
    imported.add_argument("--good-only", action="store_true", help="只导入无误的行（有误的行不导入）")
    imported.add_argument("--rejects", metavar="文件", help="与 --good-only 一起用：未导入的行及错误原因另存为 .xlsx")
    exported = add("export", _cmd_export, "把发现问题、整改台账、问题线索或整改情况总览导出为 Excel（.xlsx）")
    exported.add_argument(
        "what",
        choices=["findings", "rectification", "clues", "overview"],
        metavar="内容",
        help="findings（发现问题）、rectification（整改台账）、clues（问题线索）或 overview（整改情况总览）",
    )
    exported.add_argument("--out", required=True, metavar="文件", help="输出的 .xlsx 文件")
    exported.add_argument("--rounds", metavar="轮次编号", help="只含这些巡察轮次，以逗号分隔（如 2024-1,2024-2）")
    templated = add("template", _cmd_template, "生成 Excel 导入模板（含填写说明和下拉选项）")
    templated.add_argument("kind", choices=ledgers, metavar="类型", help=ledger_help)
    templated.add_argument("--out", required=True, metavar="文件", help="输出的 .xlsx 文件")
    templated.add_argument("--round", metavar="轮次编号", help="整改台账：预填该轮尚无整改事项的发现问题")
    settings = add("settings", _cmd_settings, "查看或修改本单位的设置（如整改时限提醒天数）")
    settings.add_argument(
        "--reminders",
        metavar="天数",
        help="整改提醒天数，逗号分隔：负数为到期前、0 为当天、正数为逾期满（如 --reminders=-7,0,7,30；需管理员）",
    )
    add("check", _cmd_check, "检查留痕哈希链、锚点，以及数据与留痕是否相符")
    backup = add("backup", _cmd_backup, "在应用运行时备份数据库（附校验清单）")
    backup.add_argument("--dir", default="backups", metavar="目录", help="备份目录（默认 backups）")
    backup.add_argument("--keep", type=int, metavar="份数", help="只保留最新的若干份（定时备份用）")
    restore = add("restore", _cmd_restore, "核验备份并用它替换数据库（原文件改名保留）")
    restore.add_argument("file", metavar="备份文件", help="kit backup 写出的 .duckdb 文件（清单 .json 须在旁）")
    restore.add_argument("--check-only", action="store_true", help="只核验备份，不恢复")
    extracted = add("extract", _cmd_extract, "为只管部分单位的用户导出只含其范围数据的副本（需全部单位的管理员）")
    extracted.add_argument("--user", required=True, metavar="用户名", help="副本给谁：按其今天的授权范围取数据")
    extracted.add_argument("--out", required=True, metavar="文件", help="写出的 DuckDB 文件（不能已存在）")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argparse._ = lambda text: _ARGPARSE_WORDS.get(text, text)  # type: ignore[attr-defined]
    args = _parser().parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    try:
        code: int = args.handler(args)
    except KitError as e:
        print(f"{e.title}：{e.message}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
