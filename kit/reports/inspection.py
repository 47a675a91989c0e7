"""巡察 reports: the round report (巡察情况报告) and the rectification notice (整改情况通报).

Both are one self-contained HTML file (inline SVG, no script, nothing fetched) and count
only the units in the acting user's scope; the figures come from `kit.inspections` and
`kit.rectification`, which check the user's access themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from kit import access, door, inspections, rectification, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.formats import cn_date
from kit.markup import Markup
from kit.reports import render

# The latest step of a clue, in the order the report's columns show them.
CLUE_STATES = ["待处置", *inspections.OUTCOME_LABELS.values()]
DEFAULT_ISSUER = "巡察工作领导小组办公室"


def _rounds(con: Connection, round_ids: Sequence[Any]) -> list[dict[str, Any]]:
    ids = sorted({validate.ident(r, field="round_ids", label="巡察轮次") for r in round_ids})
    if not ids:
        raise InvalidInput.one("round_ids", "请至少选择一个巡察轮次")
    rounds = [inspections.get_round(con, r) for r in ids]
    return sorted(rounds, key=lambda r: (r["start_date"], r["id"]))


def _scope_note(who: access.User) -> str:
    if who.units is None:
        return ""
    return f"本文件只含操作人授权范围内的单位（{len(who.units)} 家），各项数字均按该范围统计。"


def _problem_tables(findings: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Problems by category and by unit (aggregated here, so the chart gets one row per category)."""
    by_category: dict[str, dict[str, Any]] = {}
    by_unit: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        cat = by_category.setdefault(
            f["category"], {"category": f["category"], "area": inspections.AREA_LABELS[f["area"]], "units": set()}
        )
        cat["problems"] = cat.get("problems", 0) + 1
        cat["units"].add(f["unit_id"])
        unit = by_unit.setdefault(
            (f["round_code"] or "", f["unit_code"]),
            {"round_code": f["round_code"], "unit_name": f["unit_name"], "problems": 0, "top": 0, "clues": 0},
        )
        unit["problems"] += 1
        unit["top"] += bool(f["involves_top"])
        unit["clues"] += f["clue_id"] is not None
    categories = sorted(by_category.values(), key=lambda c: (-c["problems"], c["category"]))
    for cat in categories:
        cat["units"] = len(cat["units"])
    chart: Markup | str = ""
    if categories:
        from kit import charts  # Altair and its renderer: only where a chart is drawn (the data service, if any)

        rows = [(c["category"], c["problems"]) for c in categories]
        chart = charts.to_svg(charts.counts_bar(rows, title="各类问题数量", label="问题类别", value="问题数"))
    return {"categories": categories, "units": list(by_unit.values()), "chart_svg": chart}


def _clue_table(clues: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Clues by receiver and latest step: one row per receiver, one count per state, and a total."""
    counts = Counter((c["receiver_label"], c["latest"]) for c in clues)
    table = [
        (receiver, [counts[(receiver, s)] for s in CLUE_STATES]) for receiver in inspections.RECEIVER_LABELS.values()
    ]
    table.append(("合计", [sum(row[i] for _, row in table) for i in range(len(CLUE_STATES))]))
    return [{"receiver": receiver, "counts": row, "total": sum(row)} for receiver, row in table]


def _rectification_section(con: Connection, round_ids: list[int], today: date | None) -> dict[str, Any]:
    """Completion per unit, overdue items, 纸面整改 suspicions and handovers of the rounds' items."""
    items = rectification.list_items(con, round_ids=round_ids, today=today)
    item_ids = {i["id"] for i in items}
    handovers = [h for h in rectification.list_handovers(con) if item_ids & set(h["item_ids"])]
    return {
        "overview": rectification.overview(con, round_ids=round_ids, today=today),
        "overdue": [i for i in items if i["flag"] == "overdue"],
        "paper": rectification.paper_flags(con, round_ids=round_ids),
        "handovers": handovers,
        "items": len(items),
        "closed": sum(i["status"] == "closed" for i in items),
    }


@door.public
def round_report(con: Connection, *, round_ids: Sequence[int], today: date | None = None) -> str:
    """巡察情况报告 of one or more rounds, as one self-contained HTML document.

    `today` fixes the day deadlines are judged against (default: today).

    Raises:
        InvalidInput: no round given, or a bad id.
        NotFound: a round does not exist.
        PermissionDenied: the user may not read (units outside the scope are left out, not refused).
    """
    who = access.require(con, access.READ, what="生成巡察情况报告")
    rounds = _rounds(con, round_ids)
    ids = [r["id"] for r in rounds]
    day = today or con.now.date()
    findings = inspections.list_findings(con, round_ids=ids, stage="inspection")
    clues = inspections.list_clues(con, round_ids=ids)
    title = f"{rounds[0]['name']}情况报告" if len(rounds) == 1 else f"{len(rounds)}轮巡察情况报告"
    return render(
        "round.html.j2",
        title=title,
        subtitle=f"巡察轮次：{'、'.join(r['name'] for r in rounds)}　统计截至{cn_date(day)}",
        rounds=rounds,
        figures=inspections.stats(con, round_ids=ids),
        labels=inspections.STAT_LABELS,
        problems=_problem_tables(findings),
        top_findings=sorted(
            (f for f in findings if f["involves_top"]), key=lambda f: (f["round_code"], f["unit_code"], f["found_on"])
        ),
        clue_states=CLUE_STATES,
        clue_rows=_clue_table(clues),
        rectification=_rectification_section(con, ids, day),
        common=inspections.common_problems(con, round_ids=ids),
        sheets=inspections.assignment_sheets(con, round_ids=ids),
        poor_grade=rectification.POOR_GRADE,
        cn_date=cn_date,
        scope_note=_scope_note(who),
        generated_at=con.now,
        generated_by=who.display_name,
        partial_scope=False,  # the base layout's note speaks of rankings: this report states its own
    )


def _issuer(con: Connection, who: access.User) -> str:
    """The office issuing a notice: the 巡察办 of the top unit, if the user sees exactly one."""
    tops = [(int(i), str(n)) for i, n in con.all("SELECT id, name FROM units WHERE parent_id IS NULL ORDER BY id")]
    if len(tops) == 1 and who.sees(tops[0][0]):
        name = tops[0][1]
        return f"{'' if name.startswith('中共') else '中共'}{name}{DEFAULT_ISSUER}"
    return DEFAULT_ISSUER


@door.public
def notice(con: Connection, *, round_id: int, today: date | None = None, issuer: str | None = None) -> str:
    """关于……巡察整改情况的通报: the units of a round graded 差 in 整改评估, as an official notice.

    Each poor unit is listed with its 一把手, score, open and overdue items and the
    纸面整改 suspicions found in its ledger; with none poor, the notice says so.

    Raises:
        InvalidInput: a bad round id or issuer.
        NotFound: no such round.
        PermissionDenied: the user may not read (units outside the scope are left out, not refused).
    """
    who = access.require(con, access.READ, what="生成整改情况通报")
    rnd = _rounds(con, [round_id])[0]
    day = today or con.now.date()
    office = validate.text(issuer, field="issuer", label="发文机关", max_length=60) or _issuer(con, who)
    units = rectification.overview(con, round_ids=[rnd["id"]], today=day)
    poor = rectification.poor_units(con, round_id=rnd["id"], today=day)
    flags: dict[int, list[dict[str, Any]]] = {}
    for item in rectification.paper_flags(con, round_ids=[rnd["id"]]):
        flags.setdefault(item["unit_id"], []).append(item)
    for unit in poor:
        unit["open"] = unit["items"] - unit["closed"]
        unit["paper"] = flags.get(unit["unit_id"], [])
        unit["paper_reasons"] = Counter(label for i in unit["paper"] for label in i["reason_labels"])
    grades = Counter(u["grade"] for u in units if u["grade"])
    return render(
        "notice.html.j2",
        title=f"关于{rnd['name']}整改情况的通报",
        round=rnd,
        office=office,
        year=day.year,
        issued=cn_date(day),
        units=units,
        grades=[(label, grades[label]) for _, label in rectification.EVALUATION_BANDS],
        unevaluated=sum(1 for u in units if not u["grade"]),
        items=sum(u["items"] for u in units),
        closed=sum(u["closed"] for u in units),
        overdue=sum(u["overdue"] for u in units),
        poor=poor,
        poor_grade=rectification.POOR_GRADE,
        scope_note=_scope_note(who),
        generated_at=con.now,
        generated_by=who.display_name,
    )


def round_filename(codes: Sequence[str]) -> str:
    """File name of a round report: 巡察情况报告（2024-1、2024-2）.html."""
    return f"巡察情况报告（{'、'.join(codes)}）.html"


def notice_filename(code: str) -> str:
    """File name of a notice: 巡察整改情况通报（2024-1）.html."""
    return f"巡察整改情况通报（{code}）.html"
