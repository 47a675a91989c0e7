"""Reports and figures: report assessment|round|notice, stats inspection."""

from __future__ import annotations

import argparse
from pathlib import Path

from kit import db
from kit.cli.common import Adder, Handler, round_codes
from kit.errors import InvalidInput, NotFound


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


def _cmd_report_round(args: argparse.Namespace) -> int:
    from kit.reports import inspection

    with db.read(args.db) as con:
        rounds = round_codes(con, args.rounds)
        html = inspection.round_report(con, round_ids=[i for _, i in rounds])
    out = Path(args.out) if args.out else Path(inspection.round_filename([c for c, _ in rounds]))
    out.write_text(html, encoding="utf-8")
    print(f"报告已写入：{out}")
    return 0


def _cmd_report_notice(args: argparse.Namespace) -> int:
    from kit.reports import inspection

    with db.read(args.db) as con:
        rounds = round_codes(con, args.round)
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
        rounds = round_codes(con, args.rounds)
        figures = inspections.stats(con, round_ids=[i for _, i in rounds])
    codes = [c for c, _ in rounds]
    if args.json:
        print(json.dumps({**figures, "rounds_codes": codes}, ensure_ascii=False))
        return 0
    print(f"巡察轮次：{'、'.join(codes)}")
    for key, label in inspections.STAT_LABELS.items():
        print(f"{label}：{figures[key]}")
    return 0


def add_commands(add: Adder, common: argparse.ArgumentParser) -> None:
    """report (assessment, round, notice) and stats."""
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
