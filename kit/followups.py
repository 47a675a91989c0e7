"""Follow-ups a low assessment grade triggers: 诫勉谈话 of the 党政一把手 and a 回头看 check."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kit import access, door, registry, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.listing import Column, Filter, Listing

KIND_LABELS = {"admonition_talk": "诫勉谈话", "lookback": "回头看"}
STATUS_LABELS = {"open": "待办", "done": "已完成", "cancelled": "已撤销"}

# A year's follow-ups as the results app lists them: the rows of `list_followups`, lowest totals first.
FOLLOWUP_LIST = Listing(
    columns=(
        Column("unit_code", "单位", width=14, shown="unit_name"),
        Column("total", "总分", "number", width=5),
        Column("grade", "等次", width=7, css="grade_style"),
        Column("kind_label", "措施", width=6),
        Column("description", "内容", width=20, limit=36),
        Column("status_label", "状态", width=5),
        Column("note", "办理情况", width=16, limit=30),
    ),
    sort="total",
    filters=(Filter("status_label", "状态"), Filter("kind_label", "措施"), Filter("grade", "等次")),
    search=("unit_name", "person_name", "description", "note"),
    empty="没有须跟进的后续措施。",
)


def _key(sheet_key: str, kind: str, person_id: int | None) -> str:
    return f"{sheet_key}/{kind}" + (f"/{person_id}" if person_id is not None else "")


@door.public
def sync_for_sheet(
    con: Connection, *, sheet_id: int, sheet_key: str, unit: Mapping[str, Any], triggered: bool, on: date
) -> None:
    """Make the sheet's open follow-ups match its grade.

    A triggering grade needs one 诫勉谈话 per 党政一把手 in office on `on` and one
    回头看; a grade that no longer triggers cancels what is still open. Finished
    follow-ups are history and stay as they are.

    Raises:
        PermissionDenied: the user is not a 录入员 of the unit.
    """
    access.require(con, access.ENTER, unit_id=unit["id"], what="生成后续措施")
    follow_grade(con, sheet_id=sheet_id, sheet_key=sheet_key, unit=unit, triggered=triggered, on=on)


def follow_grade(
    con: Connection, *, sheet_id: int, sheet_key: str, unit: Mapping[str, Any], triggered: bool, on: date
) -> None:
    """`sync_for_sheet` inside a checked write of the sheet (a 录入员's save, a 审核员's approved correction)."""
    existing = con.records(
        "SELECT id, kind, person_id, status FROM followups WHERE sheet_id = ? AND status <> 'cancelled'",
        [sheet_id],
    )
    wanted: set[tuple[str, int | None]] = set()
    if triggered:
        wanted.add(("lookback", None))
        for leader in registry.principal_leaders_at(con, unit["id"], on):
            wanted.add(("admonition_talk", leader.person_id))
    have = {(r["kind"], r["person_id"]) for r in existing}
    for row in existing:
        if row["status"] == "open" and (row["kind"], row["person_id"]) not in wanted:
            con.execute("UPDATE followups SET status = 'cancelled', closed_at = ? WHERE id = ?", [con.now, row["id"]])
            trace.record(
                con,
                action="撤销后续措施",
                table="followups",
                key=_key(sheet_key, row["kind"], row["person_id"]),
                before={**row},
                after={**row, "status": "cancelled"},
            )
    for kind, person_id in sorted(wanted - have, key=lambda w: (w[0], w[1] or 0)):
        new_id = con.scalar(
            "INSERT INTO followups (sheet_id, kind, person_id, status, created_at)"
            " VALUES (?, ?, ?, 'open', ?) RETURNING id",
            [sheet_id, kind, person_id, con.now],
        )
        trace.record(
            con,
            action="生成后续措施",
            table="followups",
            key=_key(sheet_key, kind, person_id),
            before=None,
            after={
                "id": new_id,
                "sheet_id": sheet_id,
                "kind": kind,
                "person_id": person_id,
                "status": "open",
            },
        )


_LIST_SQL = """
SELECT f.id, f.kind, f.status, f.created_at, f.closed_at, f.note,
       s.year, s.total, s.grade, sc.name AS scheme_name,
       u.id AS unit_id, u.code AS unit_code, u.name AS unit_name,
       p.id AS person_id, p.name AS person_name
FROM followups f
JOIN score_sheets s ON s.id = f.sheet_id
JOIN assessment_schemes sc ON sc.id = s.scheme_id
JOIN units u ON u.id = s.unit_id
LEFT JOIN people p ON p.id = f.person_id
WHERE s.year = ? AND (? IS NULL OR s.scheme_id = ?) AND list_contains(?, f.status) AND s.voided_at IS NULL
  AND {scope}
ORDER BY s.total, u.sort_order, u.code, f.kind, p.id
"""


@door.public
def list_followups(
    con: Connection, *, year: int, scheme_id: int | None = None, statuses: tuple[str, ...] = ("open",)
) -> list[dict[str, Any]]:
    """Follow-ups of a year in the user's scope (open ones by default), lowest totals first, with labels.

    Those of a voided sheet are left out, done ones too: the grade that called for them is gone.
    """
    scope, scope_params = access.scope_sql(con, "s.unit_id")
    rows = con.records(_LIST_SQL.format(scope=scope), [year, scheme_id, scheme_id, list(statuses), *scope_params])
    for row in rows:
        row["kind_label"] = KIND_LABELS[row["kind"]]
        row["status_label"] = STATUS_LABELS[row["status"]]
        row["grade_style"] = "low"  # every follow-up comes from a grade that calls for one
        if row["kind"] == "admonition_talk":
            row["description"] = f"对{row['unit_name']}{row['person_name']}进行诫勉谈话"
        else:
            row["description"] = f"对{row['unit_name']}开展整改“回头看”"
    return rows


@door.public
def complete(con: Connection, *, followup_id: int, note: Any) -> None:
    """Mark an open follow-up as done, with a note of what was done.

    Raises:
        NotFound: no such follow-up.
        InvalidInput: the note is empty or invalid, or the follow-up is not open.
        PermissionDenied: the user is not a 审核员 of the unit.
    """
    check = validate.Checker()
    followup_id = check(validate.ident, followup_id, field="followup_id", label="后续措施编号")
    text = check(validate.text, note, field="note", label="办理情况", required=True, max_length=2000)
    check.done()
    rows = con.records(
        "SELECT f.id, f.sheet_id, f.kind, f.person_id, f.status, f.note, s.unit_id,"
        " sc.code || '/' || u.code || '/' || s.year AS sheet_key"
        " FROM followups f JOIN score_sheets s ON s.id = f.sheet_id"
        " JOIN assessment_schemes sc ON sc.id = s.scheme_id JOIN units u ON u.id = s.unit_id WHERE f.id = ?",
        [followup_id],
    )
    if not rows:
        raise NotFound(f"后续措施不存在（编号 {followup_id}）")
    before = rows[0]
    sheet_key = before.pop("sheet_key")
    access.require(con, access.REVIEW, unit_id=before.pop("unit_id"), what="办结后续措施")
    if before["status"] != "open":
        raise InvalidInput.one("status", f"该后续措施状态为“{STATUS_LABELS[before['status']]}”，不能再办结")
    con.execute(
        "UPDATE followups SET status = 'done', closed_at = ?, note = ? WHERE id = ?",
        [con.now, text, followup_id],
    )
    trace.record(
        con,
        action="办结后续措施",
        table="followups",
        key=_key(sheet_key, before["kind"], before["person_id"]),
        before=before,
        after={**before, "status": "done", "note": text},
    )


@door.public
def stats(con: Connection, *, year: int, scheme_id: int | None = None) -> dict[str, int]:
    """How many units (in the user's scope) a year's grades sent to follow-up, and 一把手 to 诫勉谈话."""
    scope, scope_params = access.scope_sql(con, "s.unit_id")
    row = con.one(
        "SELECT count(DISTINCT s.unit_id),"
        " count(DISTINCT f.person_id) FILTER (WHERE f.kind = 'admonition_talk')"
        " FROM followups f JOIN score_sheets s ON s.id = f.sheet_id"
        f" WHERE s.year = ? AND (? IS NULL OR s.scheme_id = ?) AND f.status <> 'cancelled' AND {scope}",
        [year, scheme_id, scheme_id, *scope_params],
    )
    units, leaders = row if row else (0, 0)
    return {"units": int(units), "leaders": int(leaders)}
