"""The office file and its service: init, demo, serve, service, settings, check, backup, restore, extract."""

from __future__ import annotations

import argparse
import sys

from kit import config, db
from kit.cli.common import Adder


def _cmd_init(args: argparse.Namespace) -> int:
    version = db.init(args.db, admin=args.admin)
    print(f"数据库已就绪：{config.db_path(args.db)}（结构版本 {version}）")
    return 0


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


def _cmd_check(args: argparse.Namespace) -> int:
    from kit import integrity

    report = integrity.check(args.db)
    out = sys.stdout if report.ok else sys.stderr
    for line in report.lines():
        print(line, file=out)
    print("检查通过。" if report.ok else "检查未通过：数据或留痕已被改动，请从备份核对。", file=out)
    return 0 if report.ok else 1


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


def _cmd_extract(args: argparse.Namespace) -> int:
    from kit import extract

    made = extract.extract(args.user, args.out, db_path=args.db)
    m = made.manifest
    print(f"已写出 {made.path}（只有本账户可读）：给 {m['user']}（{m['display_name']}），{m['unit_count']} 个单位。")
    print(f"数据取自留痕第 {m['trace_seq']} 条之时；导出已记入留痕第 {m['recorded_seq']} 条。SHA-256：{m['sha256']}")
    print("各表行数：" + "，".join(f"{t} {n}" for t, n in m["rows"].items()))
    print("清单在副本的 extract_manifest 表中。")
    return 0


def add_commands(add: Adder, common: argparse.ArgumentParser) -> None:
    """init, demo, serve, service, settings, check, backup, restore, extract."""
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
