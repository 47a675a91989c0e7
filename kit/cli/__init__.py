"""`kit …` on the command line: init, demo, serve, service, report, stats, import, export, template, check, user,
extract, backup, restore.

One module per area adds its commands (`add_commands`): `office` (the file and its service),
`reports`, `ledgers` (Excel), `users`. Each command loads what it needs when it runs, so
`kit --help` loads neither Voilà nor openpyxl nor the charts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kit.cli import ledgers, office, reports, users
from kit.cli.common import Handler
from kit.errors import KitError

# argparse's own words (usage, errors, help headings) in Chinese, like every other word shown.
ARGPARSE_WORDS = {
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

    for area in (office, reports, ledgers, users):
        area.add_commands(add, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argparse._ = lambda text: ARGPARSE_WORDS.get(text, text)  # type: ignore[attr-defined]
    args = _parser().parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    try:
        code: int = args.handler(args)
    except KitError as e:
        print(f"{e.title}：{e.message}", file=sys.stderr)
        return 1
    return code
