"""整改评估 and 通报: a unit's score and grade, the round's overview, the units graded 差."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from kit import access, door, fields, inspections, registry, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.fields import Field, Record
from kit.formats import number
from kit.listing import Column, Filter, Listing
from kit.rectification.common import EVALUATION_BANDS, POOR_GRADE, traced, traced_state
from kit.rectification.ledger import list_items

# The units of a round as the rounds app lists them (反馈与整改评估): the rows of `overview`.
OVERVIEW_LIST = Listing(
    columns=(
        Column("position", "序号", "number", width=4),
        Column("unit_name", "单位", width=10),
        Column("top_leader", "现任一把手", width=7.5),
        Column("feedback", "反馈", width=18),
        Column("items", "整改事项", "number", width=6),
        Column("closed", "已销号", "number", width=5),
        Column("overdue", "逾期", "number", width=4),
        Column("rate", "完成率", "percent", width=5.5),
        Column("score", "整改评估", "number", width=7, shown="evaluation", css="grade_style"),
    ),
    sort="position",
    filters=(Filter("fed_back", "反馈"), Filter("grade_label", "整改评估")),
    search=("unit_name", "top_leader", "feedback"),
    empty="本轮尚未确定授权范围内的巡察对象。",
    key="unit_id",
)


# 整改评估 of one unit in a round, as a 审核员 enters it.
EVALUATION = Record(
    kind="evaluations",
    label="整改评估",
    table="rectification_evaluations",
    fields=(
        Field("round_id", "巡察轮次", "id", rule="已建立的巡察轮次", required=True),
        Field("unit_id", "被评估单位", "id", rule="本轮的巡察对象", required=True, width="22em"),
        Field(
            "score",
            "评估得分",
            "number",
            rule="0–100，最多两位小数；90 分以上为好，80 分以上较好，60 分以上一般，其余为差",
            required=True,
            minimum=0,
            maximum=100,
            places=2,
            placeholder="0–100",
            width="8em",
        ),
        Field("note", "评估意见", "textarea", rule="不超过 2000 字", max_length=2000),
        Field("on", "评估日期", "date", rule="日期；不填即今天", placeholder="2025-09-01", width="10em"),
    ),
    excel=False,
)


def check_evaluation(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse an evaluation (form or API) into the values stored, by EVALUATION's fields.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    return fields.parse_all(EVALUATION, raw)


def grade_for(score: Decimal) -> str:
    """整改评估 grade of a score out of 100: 好 ≥ 90, 较好 ≥ 80, 一般 ≥ 60, else 差."""
    return next(label for floor, label in EVALUATION_BANDS if score >= floor)


@door.public
def evaluate(con: Connection, *, round_id: Any, unit_id: Any, score: Any, note: Any = None, on: Any = None) -> str:
    """整改评估: score a unit's rectification in a round (0–100); returns the grade.

    A new evaluation replaces the old (and brings back a voided one); the trace keeps both.
    A mistake in one is corrected with a reason instead (`corrections.correct_evaluation`).

    Raises:
        InvalidInput: bad score or date, or the unit was not inspected in the round.
        PermissionDenied: the unit is outside the user's scope or the user is not a 审核员.
    """
    parsed = check_evaluation({"round_id": round_id, "unit_id": unit_id, "score": score, "note": note, "on": on})
    rnd, unit, value, text, day = (parsed[k] for k in ("round_id", "unit_id", "score", "note", "on"))
    access.require(con, access.REVIEW, unit_id=unit, what="整改评估")
    if not con.scalar("SELECT count(*) FROM inspection_targets WHERE round_id = ? AND unit_id = ?", [rnd, unit]):
        raise InvalidInput.one("unit_id", "该单位不是本轮巡察对象，不能评估")
    grade = grade_for(value)
    key = f"{rnd}/{unit}"
    before = traced_state(con, "rectification_evaluations", key)
    values = [value, grade, text or None, day or con.now.date()]
    if before is None:
        con.execute(
            "INSERT INTO rectification_evaluations (score, grade, note, evaluated_on, round_id, unit_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [*values, rnd, unit],
        )
    else:  # evaluated again (a voided evaluation comes back with the new score)
        con.execute(
            "UPDATE rectification_evaluations SET score = ?, grade = ?, note = ?, evaluated_on = ?,"
            " voided_at = NULL, voided_by = NULL WHERE round_id = ? AND unit_id = ?",
            [*values, rnd, unit],
        )
    traced(con, "整改评估", "rectification_evaluations", key, before)
    return grade


@door.public
def overview(con: Connection, *, round_ids: Sequence[Any], today: date | None = None) -> list[dict[str, Any]]:
    """Per unit of the rounds (in scope), in the office's order: feedback meetings, items, closed, overdue,
    completion rate, evaluation, 一把手 today (listed as OVERVIEW_LIST)."""
    items = list_items(con, round_ids=round_ids, today=today)
    rounds = sorted({validate.ident(r, field="round_id", label="轮次编号") for r in round_ids})
    scope, params = access.scope_sql(con, "t.unit_id")
    units = con.records(
        "SELECT t.round_id, t.unit_id, u.name AS unit_name, e.score, e.grade, e.id AS evaluation_id,"
        " e.note AS evaluation_note, e.evaluated_on FROM inspection_targets t"
        " JOIN units u ON u.id = t.unit_id"
        " LEFT JOIN rectification_evaluations e ON e.round_id = t.round_id AND e.unit_id = t.unit_id"
        " AND e.voided_at IS NULL"
        f" WHERE list_contains(?::INTEGER[], t.round_id) AND {scope} ORDER BY t.round_id, u.sort_order, u.code",
        [rounds, *params],
    )
    day = today or con.now.date()
    feedback: dict[tuple[int, int], list[str]] = {}
    for round_id, unit_id, mode, held_on, leader in con.all(
        "SELECT fb.round_id, fb.unit_id, fb.mode, fb.held_on, p.name FROM feedbacks fb"
        " JOIN people p ON p.id = fb.leader_id WHERE list_contains(?::INTEGER[], fb.round_id) AND fb.voided_at IS NULL"
        " ORDER BY fb.held_on, fb.mode",
        [rounds],
    ):
        shown = f"{inspections.FEEDBACK_MODE_LABELS[mode]} {held_on.isoformat()}（{leader}出席）"
        feedback.setdefault((round_id, unit_id), []).append(shown)
    for position, row in enumerate(units, start=1):
        row["position"] = position
        row["feedback"] = "；".join(feedback.get((row["round_id"], row["unit_id"]), [])) or "未反馈"
        row["fed_back"] = "未反馈" if row["feedback"] == "未反馈" else "已反馈"
        row["evaluation"] = f"{number(row['score'])}（{row['grade']}）" if row["grade"] else "未评估"
        row["grade_label"] = row["grade"] or "未评估"
        row["grade_style"] = "low" if row["grade"] == POOR_GRADE else "ok"
        mine = [i for i in items if i["unit_id"] == row["unit_id"] and i["round_id"] == row["round_id"]]
        row["items"] = len(mine)
        row["closed"] = sum(i["status"] == "closed" for i in mine)
        row["overdue"] = sum(i["flag"] == "overdue" for i in mine)
        row["extended"] = sum(i["extensions"] > 0 for i in mine)
        row["rate"] = round(100 * row["closed"] / row["items"], 1) if mine else None
        leader = registry._holder_at(con, row["unit_id"], "principal", day)
        row["top_leader"] = leader.name if leader else ""
    return units


@door.public
def poor_units(con: Connection, *, round_id: Any, today: date | None = None) -> list[dict[str, Any]]:
    """整改不力: units of a round graded 差, for the 通报, with their open and overdue items."""
    return [u for u in overview(con, round_ids=[round_id], today=today) if u["grade"] == POOR_GRADE]
