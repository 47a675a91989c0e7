"""Correcting and voiding a score sheet; in a closed year, a 录入员's request a 审核员 approves.

While a year is open a sheet is corrected by saving it again (`assessments.save_sheet`,
with its version and its history), and voided (作废, entered for the wrong unit, scheme
or year) with a reason at once. Once the year is closed (`assessments.close_year`) the
scores are the office's published result: a correction or a void is asked for with a
reason and takes effect only when a 审核员 other than the requester approves it (`review`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kit import access, assessments, door, registry, validate
from kit.corrections.common import SHEET, log_correction, reason_text
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.formats import number


def _refuse_pending(con: Connection, sheet_id: int) -> None:
    """One request at a time on a sheet: refuse another while one waits for a 审核员."""
    if con.scalar(
        "SELECT count(*) FROM record_corrections WHERE record_table = 'score_sheets' AND record_id = ?"
        " AND status = 'pending'",
        [sheet_id],
    ):
        raise InvalidInput.one("reason", "该评分表已有待审核的更正或作废申请，请等审核员处理后再提交")


def _asked(
    con: Connection, scheme_id: Any, unit_id: Any, year: Any, reason: Any, kind: str, what: str
) -> tuple[assessments.Scheme, dict[str, Any], int, str]:
    """What every request on a sheet reads first: the ids, then who may ask, then the reason and the year.

    Raises:
        InvalidInput, NotFound, PermissionDenied: as the request that calls it.
    """
    check = validate.Checker()
    scheme_ident = check(validate.ident, scheme_id, field="scheme_id", label="考核方案编号")
    unit_ident = check(validate.ident, unit_id, field="unit", label="单位编号")
    check.done()
    access.require(con, access.ENTER, unit_id=unit_ident, what=what)
    check = validate.Checker()
    text = check(reason_text, reason, kind)
    the_year = check(validate.year, year)
    check.done()
    return assessments.get_scheme(con, scheme_ident), registry.get_unit(con, unit_ident), the_year, str(text)


def _shown(
    scheme: assessments.Scheme,
    old: assessments.Sheet,
    scores: Mapping[int, Decimal],
    notes: Mapping[int, str],
    note: str,
) -> dict[str, list[str]]:
    """Label → [before, after] of every part of the sheet the correction changes, with its total and grade."""
    shown: dict[str, list[str]] = {}
    for ind in scheme.indicators:
        before, after = old.scores.get(ind.id), scores.get(ind.id)
        if before != after:
            shown[f"{ind.name}{SHEET.fields['scores']}"] = [
                "" if before is None else number(before),
                "" if after is None else number(after),
            ]
        if old.notes.get(ind.id, "") != notes.get(ind.id, ""):
            shown[f"{ind.name}{SHEET.fields['notes']}"] = [old.notes.get(ind.id, ""), notes.get(ind.id, "")]
    if old.note != note:
        shown[SHEET.fields["note"]] = [old.note, note]
    total = scheme.total(dict(scores))
    if total != old.total:
        shown["合计"] = [number(old.total), number(total)]
    grade = scheme.grade(total).label
    if grade != old.grade:
        shown["等次"] = [old.grade, grade]
    return shown


@door.public
def request_sheet_correction(
    con: Connection,
    *,
    scheme_id: Any,
    unit_id: Any,
    year: Any,
    scores: Mapping[int, Any],
    notes: Mapping[int, Any] | None = None,
    note: Any = None,
    reason: Any,
) -> int:
    """Ask to correct a closed year's sheet (the whole sheet as it should be); returns the request's id.

    Raises:
        InvalidInput: no reason; a score or note breaks its rule; nothing changes; the year
            is not closed (save the sheet instead); the unit has no sheet that year; a request
            on the sheet is already waiting.
        NotFound: no such scheme or unit.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    scheme, unit, the_year, text = _asked(con, scheme_id, unit_id, year, reason, "correct", "申请更正评分表")
    if assessments.closing(con, scheme_id=scheme.id, year=the_year) is None:
        raise InvalidInput.one("year", f"“{scheme.name}”{the_year}年度考核尚未结束：请直接修改评分表并保存，不必申请")
    old = assessments.load_sheet(con, scheme_id=scheme.id, unit_id=unit["id"], year=the_year)
    if old is None:
        raise InvalidInput.one(
            "unit", f"“{unit['name']}”{the_year}年度没有评分表：结束考核后不能补评，只能更正已有的评分表"
        )
    _refuse_pending(con, old.id)
    clean_scores, clean_notes, clean_note = assessments.check_sheet(scheme, scores, notes or {}, note)
    shown = _shown(scheme, old, clean_scores, clean_notes, clean_note)
    if not shown:
        raise InvalidInput.one("reason", "没有要更正的内容：各项与原评分表相同")
    values = {
        "scores": {str(k): str(v) for k, v in clean_scores.items()},
        "notes": {str(k): v for k, v in clean_notes.items()},
        "note": clean_note,
        "version": old.version,
    }
    return log_correction(
        con,
        table="score_sheets",
        record_id=old.id,
        unit_id=unit["id"],
        kind="correct",
        reason=text,
        changes={"shown": shown, "values": values},
        status="pending",
    )


@door.public
def void_sheet(con: Connection, *, scheme_id: Any, unit_id: Any, year: Any, reason: Any) -> int:
    """作废 a unit's score sheet of a year; returns the void's id (in a closed year, the request's).

    The sheet leaves rankings, grade counts and reports and its open follow-ups are
    cancelled; the unit may be scored again while the year is open.

    Raises:
        InvalidInput: no reason; the unit has no sheet that year; a request on it is waiting.
        NotFound: no such scheme or unit.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    scheme, unit, the_year, text = _asked(con, scheme_id, unit_id, year, reason, "void", "作废评分表")
    old = assessments.load_sheet(con, scheme_id=scheme.id, unit_id=unit["id"], year=the_year)
    if old is None:
        raise InvalidInput.one("unit", f"“{unit['name']}”{the_year}年度没有可作废的评分表")
    _refuse_pending(con, old.id)
    closed = assessments.closing(con, scheme_id=scheme.id, year=the_year) is not None
    if not closed:
        assessments.void_written(con, scheme, unit, old, action="作废评分表")
    return log_correction(
        con,
        table="score_sheets",
        record_id=old.id,
        unit_id=unit["id"],
        kind="void",
        reason=text,
        changes={"shown": {}, "values": {"version": old.version}},
        status="pending" if closed else "applied",
    )


def apply_request(con: Connection, request: Mapping[str, Any], asked: dict[str, Any]) -> dict[str, Any]:
    """Apply an approved correction or void of a sheet, checked again; returns what it asked, as applied.

    Raises:
        InvalidInput: the sheet was changed since the request (approve nothing stale), or
            its scores no longer pass the scheme's rules.
        NotFound: the sheet is gone.
    """
    row = con.one("SELECT scheme_id, unit_id, year FROM score_sheets WHERE id = ?", [request["record_id"]])
    if row is None:
        raise NotFound(f"评分表不存在（编号 {request['record_id']}）")
    scheme = assessments.get_scheme(con, int(row[0]))
    unit = registry.get_unit(con, int(row[1]))
    old = assessments.load_sheet(con, scheme_id=scheme.id, unit_id=unit["id"], year=int(row[2]))
    values = asked["values"]
    if old is None or old.version != values["version"]:
        raise InvalidInput.one(
            "correction_id", "申请提出后该评分表已有变化：请不同意此申请，由录入员按现在的评分表重新申请"
        )
    asker = con.scalar("SELECT coalesce(max(display_name), ?) FROM users WHERE name = ?", [request["requested_by"]] * 2)
    if request["kind"] == "void":
        assessments.void_written(con, scheme, unit, old, action=f"作废评分表（{asker}申请，经审核）")
        return asked
    scores, notes, note = assessments.check_sheet(
        scheme,
        {int(k): v for k, v in values["scores"].items()},
        {int(k): v for k, v in values["notes"].items()},
        values["note"],
    )
    shown = _shown(scheme, old, scores, notes, note)
    action = f"更正评分表（{asker}申请，经审核）"
    assessments.write_sheet(con, scheme, unit, old.year, old, scores, notes, note, action=action)
    return {**asked, "shown": shown}
