"""问题线索: a finding transferred to 纪委监委 or 组织部, and its outcome step by step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from kit import access, door, fields, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.fields import Field, Record
from kit.inspections.common import HANDLED, OUTCOME_LABELS, RECEIVER_LABELS, STATE_SQL, YES_NO, traced
from kit.inspections.findings import finding_unit
from kit.listing import Column, Filter, Listing

CLUE_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("unit_name", "单位", width=8),
        Column("description", "问题", width=18, limit=40),
        Column("involves_top", "涉及一把手", width=7.5, shown="involves_top_label"),
        Column("receiver", "移交对象", width=6, shown="receiver_label"),
        Column("transferred_on", "移交日期", "date", width=6.5),
        Column("steps", "处置经过", width=18),
        Column("latest", "最新处置", width=7),
        Column("state", "状态", width=4.5, shown="state_label"),
    ),
    sort="transferred_on",
    filters=(
        Filter("unit_id", "单位", shown="unit_name"),
        Filter("receiver", "移交对象", shown="receiver_label"),
        Filter("latest", "最新处置"),
        Filter("involves_top", "涉及一把手", shown="involves_top_label"),
        Filter("state", "状态", shown="state_label"),
    ),
    search=("unit_name", "description", "steps"),
    empty="本轮在您可查看的单位中尚无移交的问题线索。",
    row_css="state",
)


# A finding handed over as a clue (移交), as a 录入员 enters it.
CLUE = Record(
    kind="clues",
    label="问题线索",
    table="clues",
    fields=(
        Field("finding_id", "移交的问题", "id", rule="本轮未作废、尚未移交的发现问题", required=True, width="36em"),
        Field(
            "receiver",
            "移交对象",
            "choice",
            choices=RECEIVER_LABELS,
            rule="从下拉列表中选择",
            required=True,
            width="10em",
        ),
        Field(
            "transferred_on",
            "移交日期",
            "date",
            rule="日期，不早于发现日期，不晚于今天",
            required=True,
            placeholder="如 2025-05-20",
            width="10em",
        ),
        Field("note", "移交备注", rule="不超过 500 字", max_length=500, placeholder="选填", width="30em"),
    ),
    excel=False,
)


def check_clue(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a transfer (form or API) into the values stored, by CLUE's fields.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    return fields.parse_all(CLUE, raw)


def check_clue_on_finding(con: Connection, parsed: Mapping[str, Any], *, clue_id: int | None = None) -> None:
    """The rules against the finding and the clue's steps: a live finding, not yet transferred
    (a live clue other than `clue_id`), a date from the day it was found to today and not
    after the clue's first live step.

    Raises:
        InvalidInput: a rule broken, naming its field.
        NotFound: no such finding.
    """
    found_on, voided = con.one("SELECT found_on, voided_at FROM findings WHERE id = ?", [parsed["finding_id"]]) or (
        None,
        None,
    )
    if found_on is None:
        raise NotFound(f"发现问题不存在（编号 {parsed['finding_id']}）")
    if voided is not None:
        raise InvalidInput.one("finding_id", "该问题已作废，不能移交线索")
    day, label = parsed["transferred_on"], CLUE.label_of("transferred_on")
    if day < found_on:
        raise InvalidInput.one("transferred_on", f"“{label}”不能早于发现日期 {found_on.isoformat()}")
    if day > con.now.date():
        raise InvalidInput.one("transferred_on", f"“{label}”不能晚于今天")
    if con.scalar(
        "SELECT count(*) FROM clues WHERE finding_id = ? AND voided_at IS NULL AND id IS DISTINCT FROM ?",
        [parsed["finding_id"], clue_id],
    ):
        raise InvalidInput.one("finding_id", "该问题已作为线索移交")
    first_step = con.scalar(
        "SELECT min(decided_on) FROM clue_outcomes WHERE clue_id = ? AND voided_at IS NULL", [clue_id]
    )
    if first_step is not None and day > first_step:
        raise InvalidInput.one("transferred_on", f"“{label}”不能晚于该线索最早的处置日期 {first_step.isoformat()}")


@door.public
def transfer_clue(con: Connection, *, finding_id: Any, receiver: Any, transferred_on: Any, note: Any = None) -> int:
    """移交: a finding becomes a clue handed to 纪委监委 or 组织部; returns the clue id.

    A finding whose clue was voided (作废) is transferred again in the same row (findings name
    one clue each): the old steps stay voided, the history shows the void and the new transfer.

    Raises:
        InvalidInput: bad fields, transfer before the finding, or already transferred.
        NotFound: no such finding.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    parsed = check_clue(
        {"finding_id": finding_id, "receiver": receiver, "transferred_on": transferred_on, "note": note}
    )
    unit = finding_unit(con, parsed["finding_id"])
    access.require(con, access.ENTER, unit_id=unit, what="移交问题线索")
    check_clue_on_finding(con, parsed)
    values = [parsed["receiver"], parsed["transferred_on"], parsed["note"] or None, con.now, con.actor]
    voided = con.scalar("SELECT id FROM clues WHERE finding_id = ?", [parsed["finding_id"]])
    if voided is not None:
        key = str(voided)
        before = trace.state(con, STATE_SQL, "clues", key)
        con.execute(
            "UPDATE clues SET receiver = ?, transferred_on = ?, note = ?, created_at = ?, created_by = ?,"
            " voided_at = NULL, voided_by = NULL WHERE id = ?",
            [*values, voided],
        )
        traced(con, "重新移交问题线索（原线索已作废）", "clues", key, before)
        return int(voided)
    new_id = int(
        con.scalar(
            "INSERT INTO clues (finding_id, receiver, transferred_on, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [parsed["finding_id"], *values],
        )
    )
    traced(con, "移交问题线索", "clues", str(new_id), None)
    return new_id


# The steps taken on a round's clues as the rounds app lists them (处置记录): the live outcomes of
# `list_clues`, each with its clue's unit and problem.
OUTCOME_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("clue_id", "线索编号", "number", width=5),
        Column("unit_name", "单位", width=8),
        Column("outcome", "处置结果", width=8, shown="outcome_label"),
        Column("people", "涉及人次", "number", width=5),
        Column("decided_on", "处置日期", "date", width=6.5),
        Column("note", "备注", width=14, limit=40),
    ),
    sort="decided_on",
    filters=(Filter("unit_id", "单位", shown="unit_name"), Filter("outcome", "处置结果", shown="outcome_label")),
    search=("unit_name", "description", "note"),
    empty="本轮的问题线索尚无处置记录。",
)

# A step in handling a clue: its fields (keys = record_outcome's arguments). Its clue names it:
# a correction changes the others; a step recorded on the wrong clue is voided.
OUTCOME = Record(
    kind="outcomes",
    label="线索处置",
    table="clue_outcomes",
    fields=(
        Field("clue_id", "问题线索", "id", rule="本轮移交的问题线索", required=True, width="30em"),
        Field(
            "outcome",
            "处置结果",
            "choice",
            choices=OUTCOME_LABELS,
            rule="从下拉列表中选择；了结之后不能再登记",
            required=True,
            width="12em",
        ),
        Field(
            "people",
            "涉及人次",
            "number",
            rule="0–10000 的整数；党纪政务处分、组织处理、移送司法至少 1",
            minimum=0,
            maximum=10000,
            placeholder="0",
            width="6em",
        ),
        Field(
            "decided_on",
            "处置日期",
            "date",
            rule="日期，不早于移交日期，不晚于今天",
            required=True,
            placeholder="2025-09-01",
            width="10em",
        ),
        Field("note", "备注", "textarea", rule="不超过 500 字", max_length=500),
    ),
    excel=False,
)
_OUTCOME_KEYS = ("clue_id", "outcome", "people", "decided_on", "note")


def check_outcome(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a step (form or API) into the values stored, by OUTCOME's fields; 人次 left empty is 0.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    check = validate.Checker()
    parsed = {key: fields.parse(check, OUTCOME, key, raw) for key in _OUTCOME_KEYS if key != "people"}
    empty = validate._clean(raw.get("people")) == ""
    parsed["people"] = 0 if empty else fields.parse(check, OUTCOME, "people", raw)
    if parsed["outcome"] in HANDLED and parsed["people"] == 0:
        check.fail("people", f"“{OUTCOME_LABELS[parsed['outcome']]}”须填写涉及人次（至少 1）")
    check.done()
    parsed["note"] = parsed["note"] or None
    return parsed


def clue_unit(con: Connection, clue_id: int) -> tuple[int, date]:
    """The unit a live clue's finding belongs to, and the day it was transferred.

    Raises:
        NotFound: no such clue, or it is voided (nothing more is recorded on it).
    """
    row = con.one(
        "SELECT f.unit_id, c.transferred_on, c.voided_at FROM clues c JOIN findings f ON f.id = c.finding_id"
        " WHERE c.id = ?",
        [clue_id],
    )
    if row is None or row[2] is not None:
        raise NotFound(f"问题线索不存在或已作废（编号 {clue_id}）")
    return int(row[0]), row[1]


def check_outcome_on_clue(con: Connection, parsed: Mapping[str, Any], *, outcome_id: int | None = None) -> None:
    """The rules against the clue: a date from its transfer to today, nothing more after 了结.

    `outcome_id` names the step being corrected (it does not count against itself).

    Raises:
        InvalidInput: a rule broken, naming its field.
        NotFound: no such clue.
    """
    _unit, transferred = clue_unit(con, parsed["clue_id"])
    label = OUTCOME.label_of
    if parsed["decided_on"] < transferred:
        raise InvalidInput.one("decided_on", f"“{label('decided_on')}”不能早于移交日期 {transferred.isoformat()}")
    if parsed["decided_on"] > con.now.date():
        raise InvalidInput.one("decided_on", f"“{label('decided_on')}”不能晚于今天")
    closed = con.scalar(
        "SELECT count(*) FROM clue_outcomes WHERE clue_id = ? AND outcome = 'closed' AND voided_at IS NULL"
        " AND id IS DISTINCT FROM ?",
        [parsed["clue_id"], outcome_id],
    )
    if closed and (outcome_id is None or parsed["outcome"] == "closed"):
        raise InvalidInput.one("outcome", "该线索已了结，不能再登记处置结果")


@door.public
def record_outcome(
    con: Connection, *, clue_id: Any, outcome: Any, people: Any = 0, decided_on: Any, note: Any = None
) -> int:
    """A step in handling a clue (初核, 立案, 党纪政务处分 …) and the 人次 it concerned; returns its id.

    After 了结 nothing more can be recorded; 处分, 组织处理 and 移送司法 need at least one person.

    Raises:
        InvalidInput: bad fields, a date before the transfer, or the clue is already closed.
        NotFound: no such clue.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    parsed = check_outcome(
        {"clue_id": clue_id, "outcome": outcome, "people": people, "decided_on": decided_on, "note": note}
    )
    unit, _transferred = clue_unit(con, parsed["clue_id"])
    access.require(con, access.ENTER, unit_id=unit, what="登记线索处置结果")
    check_outcome_on_clue(con, parsed)
    new_id = int(
        con.scalar(
            "INSERT INTO clue_outcomes (clue_id, outcome, people, decided_on, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [*(parsed[k] for k in _OUTCOME_KEYS), con.now, con.actor],
        )
    )
    traced(con, "登记线索处置结果", "clue_outcomes", str(new_id), None)
    return new_id


def _step(outcome: Mapping[str, Any]) -> str:
    """One outcome as the clue lists write it: 立案审查（2人次） 2025-08-01."""
    people = f"（{outcome['people']}人次）" if outcome["people"] else ""
    return f"{outcome['outcome_label']}{people} {outcome['decided_on'].isoformat()}"


@door.public
def list_clues(
    con: Connection, *, round_ids: Sequence[int] | None = None, include_voided: bool = False
) -> list[dict[str, Any]]:
    """Clues in the user's scope with their finding, receiver and every live outcome so far.

    Voided ones (作废) are left out, unless `include_voided` (then `state` says which).
    """
    access.require(con, access.READ)
    rounds = None if round_ids is None else [validate.ident(r, field="round_id", label="轮次编号") for r in round_ids]
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        "SELECT c.id, c.finding_id, c.receiver, c.transferred_on, c.note, c.voided_at, f.unit_id,"
        " u.name AS unit_name, f.description, f.involves_top, r.code AS round_code"
        " FROM clues c JOIN findings f ON f.id = c.finding_id"
        " JOIN units u ON u.id = f.unit_id LEFT JOIN inspection_rounds r ON r.id = f.round_id"
        " WHERE (? IS NULL OR list_contains(?::INTEGER[], f.round_id)) AND (? OR c.voided_at IS NULL)"
        f" AND {scope} ORDER BY c.transferred_on, c.id",
        [rounds, rounds, include_voided is True, *params],
    )
    outcomes: dict[int, list[dict[str, Any]]] = {}
    for item in con.records("SELECT * FROM clue_outcomes WHERE voided_at IS NULL ORDER BY decided_on, id"):
        item["outcome_label"] = OUTCOME_LABELS[item["outcome"]]
        outcomes.setdefault(item["clue_id"], []).append(item)
    for row in rows:
        row["receiver_label"] = RECEIVER_LABELS[row["receiver"]]
        row["involves_top_label"] = YES_NO["yes" if row["involves_top"] else "no"]
        row["outcomes"] = outcomes.get(row["id"], [])
        for step in row["outcomes"]:
            step.update(unit_id=row["unit_id"], unit_name=row["unit_name"], description=row["description"])
        row["latest"] = row["outcomes"][-1]["outcome_label"] if row["outcomes"] else "待处置"
        row["steps"] = "；".join(_step(o) for o in row["outcomes"]) or "待处置"
        row["state"] = "voided" if row["voided_at"] else "live"
        row["state_label"] = "已作废" if row["voided_at"] else "有效"
        if row["voided_at"]:
            row["latest"] = row["steps"] = "已作废"
    return rows
