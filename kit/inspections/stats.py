"""The figures of one or more rounds: counts, common problems, 交办 sheets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kit import access, door, validate
from kit.db import Connection
from kit.inspections.common import AREA_LABELS, HANDLED
from kit.inspections.rounds import live_round


@door.public
def stats(con: Connection, *, round_ids: Sequence[Any]) -> dict[str, Any]:
    """The figures offices publish for a set of rounds, counted from the data in the user's scope.

    问题 are the findings of the rounds' inspections (mid-term findings counted apart);
    线索 the findings transferred; 处理处分 the 人次 of 党纪政务处分, 组织处理 and 移送司法;
    移送司法 its 人次 alone; the same for clues involving the 一把手; 巡纪审联动 rounds
    apart; 整改交接 and 共性问题 of the units and rounds.
    """
    access.require(con, access.READ)
    rounds = sorted({validate.ident(r, field="round_id", label="轮次编号") for r in round_ids})
    for ident in rounds:
        live_round(con, ident)
    scope, params = access.scope_sql(con, "f.unit_id")
    base = (
        "FROM findings f JOIN inspection_rounds r ON r.id = f.round_id"
        f" WHERE list_contains(?::INTEGER[], f.round_id) AND f.voided_at IS NULL AND {scope}"
    )
    args = [rounds, *params]
    row = con.one(
        "SELECT count(*) FILTER (WHERE f.stage = 'inspection'),"
        " count(*) FILTER (WHERE f.stage = 'midterm'),"
        " count(*) FILTER (WHERE f.stage = 'inspection' AND f.involves_top),"
        " count(*) FILTER (WHERE f.stage = 'inspection' AND r.kind = 'joint'),"
        " count(DISTINCT f.unit_id) " + base,
        args,
    )
    assert row is not None
    problems, midterm, top_problems, joint_problems, units = (int(v) for v in row)
    clue_row = con.one(
        "SELECT count(*), count(*) FILTER (WHERE f.involves_top), count(*) FILTER (WHERE r.kind = 'joint')"
        " FROM clues c JOIN findings f ON f.id = c.finding_id JOIN inspection_rounds r ON r.id = f.round_id"
        f" WHERE list_contains(?::INTEGER[], f.round_id) AND c.voided_at IS NULL AND {scope}",
        args,
    )
    assert clue_row is not None
    clues, top_clues, joint_clues = (int(v) for v in clue_row)
    outcome_row = con.one(
        "SELECT coalesce(sum(o.people) FILTER (WHERE list_contains(?::VARCHAR[], o.outcome)), 0),"
        " coalesce(sum(o.people) FILTER (WHERE o.outcome = 'judiciary'), 0),"
        " coalesce(sum(o.people) FILTER (WHERE f.involves_top AND list_contains(?::VARCHAR[], o.outcome)), 0),"
        " count(DISTINCT c.id) FILTER (WHERE o.outcome = 'case_opened'),"
        " count(DISTINCT c.id) FILTER (WHERE o.outcome = 'case_opened' AND f.involves_top)"
        " FROM clue_outcomes o JOIN clues c ON c.id = o.clue_id JOIN findings f ON f.id = c.finding_id"
        f" WHERE list_contains(?::INTEGER[], f.round_id) AND o.voided_at IS NULL AND c.voided_at IS NULL AND {scope}",
        [list(HANDLED), list(HANDLED), *args],
    )
    assert outcome_row is not None
    handled, judiciary, top_sanctioned, cases, top_cases = (int(v) for v in outcome_row)
    hscope, hparams = access.scope_sql(con, "h.unit_id")
    handovers = int(
        con.scalar(
            "SELECT count(DISTINCT h.id) FROM rectification_handovers h"
            " JOIN rectification_items i ON list_contains(h.item_ids, i.id)"
            " JOIN findings f ON f.id = i.finding_id"
            f" WHERE list_contains(?::INTEGER[], f.round_id) AND i.voided_at IS NULL AND {hscope}",
            [rounds, *hparams],
        )
    )
    return {
        "rounds": len(rounds),
        "units": units,
        "problems": problems,
        "clues": clues,
        "people_handled": handled,
        "judiciary": judiciary,
        "top_leader_problems": top_problems,
        "top_leader_clues": top_clues,
        "top_leader_sanctioned": top_sanctioned,
        "cases_opened": cases,
        "top_leader_cases": top_cases,
        "joint_problems": joint_problems,
        "joint_clues": joint_clues,
        "midterm_problems": midterm,
        "handovers": handovers,
        "common_problems": len(common_problems(con, round_ids=rounds)),
    }


STAT_LABELS = {
    "rounds": "巡察轮数",
    "units": "被巡察单位数",
    "problems": "发现问题",
    "clues": "移交问题线索",
    "people_handled": "推动处理处分人次",
    "judiciary": "移送司法人次",
    "top_leader_problems": "涉及一把手的问题",
    "top_leader_clues": "涉及一把手的问题线索",
    "top_leader_sanctioned": "一把手相关线索处理处分人次",
    "cases_opened": "立案线索",
    "top_leader_cases": "一把手相关立案线索",
    "joint_problems": "巡纪审联动发现问题",
    "joint_clues": "巡纪审联动移交线索",
    "midterm_problems": "中期监督检查发现问题",
    "handovers": "整改交接",
    "common_problems": "共性问题",
}


@door.public
def common_problems(con: Connection, *, round_ids: Sequence[Any], min_units: int = 3) -> list[dict[str, Any]]:
    """共性问题: categories found in at least `min_units` units across the rounds, with their departments.

    Units outside the user's scope are not counted.
    """
    access.require(con, access.READ)
    rounds = sorted({validate.ident(r, field="round_id", label="轮次编号") for r in round_ids})
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        "SELECT c.id AS category_id, c.name AS category, c.area, c.department_id, d.name AS department,"
        " count(*) AS findings, count(DISTINCT f.unit_id) AS units,"
        " list(DISTINCT u.name ORDER BY u.name) AS unit_names"
        " FROM findings f JOIN finding_categories c ON c.id = f.category_id JOIN units u ON u.id = f.unit_id"
        " LEFT JOIN units d ON d.id = c.department_id"
        f" WHERE list_contains(?::INTEGER[], f.round_id) AND f.voided_at IS NULL AND {scope}"
        " GROUP BY ALL HAVING count(DISTINCT f.unit_id) >= ? ORDER BY units DESC, findings DESC, c.id",
        [rounds, *params, min_units],
    )
    for row in rows:
        row["area_label"] = AREA_LABELS[row["area"]]
        row["department"] = row["department"] or "（未指定责任部门）"
    return rows


@door.public
def assignment_sheets(con: Connection, *, round_ids: Sequence[Any], min_units: int = 3) -> list[dict[str, Any]]:
    """共性问题交办单: the common problems grouped by the department responsible for them."""
    sheets: dict[str, dict[str, Any]] = {}
    for problem in common_problems(con, round_ids=round_ids, min_units=min_units):
        sheet = sheets.setdefault(problem["department"], {"department": problem["department"], "problems": []})
        sheet["problems"].append(problem)
    return sorted(sheets.values(), key=lambda s: (-len(s["problems"]), s["department"]))
