"""The Excel ledgers: import, export, template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kit import db
from kit.cli.common import Adder, round_codes
from kit.errors import InvalidInput, NotFound

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
        rounds = [i for _, i in round_codes(con, args.rounds)] if args.rounds else None
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


def add_commands(add: Adder, common: argparse.ArgumentParser) -> None:
    """import, export and template of the Excel ledgers."""
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
