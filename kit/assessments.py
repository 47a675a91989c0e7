"""党风廉政建设责任制考核: score sheets of units under a scheme, their totals, grades and history.

Schemes themselves (indicators, grade bands) live in `kit.schemes`; their names are
re-exported here because every caller of this module needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from kit import access, audit, closings, door, fields, followups, registry, trace, validate
from kit.closings import Closing, close_year, closing
from kit.db import Connection
from kit.errors import Conflict, InvalidInput
from kit.formats import number
from kit.listing import Column, Filter, Listing
from kit.schemes import (
    SCORING_LABELS,
    Band,
    Indicator,
    Scheme,
    add_scheme,
    get_scheme,
    list_schemes,
    sheet_record,
)

__all__ = [
    "SCORING_LABELS",
    "SHEET_HISTORY_LIST",
    "Band",
    "Closing",
    "Indicator",
    "Scheme",
    "Sheet",
    "add_scheme",
    "assessment_day",
    "check_sheet",
    "close_year",
    "closing",
    "describe_history",
    "get_scheme",
    "list_schemes",
    "load_sheet",
    "save_sheet",
    "sheet_history",
    "sheet_key",
    "sheet_record",
    "void_written",
    "write_sheet",
]


@dataclass(frozen=True)
class Sheet:
    """A saved score sheet of one unit for one year under one scheme."""

    id: int
    scheme_id: int
    unit_id: int
    year: int
    total: Decimal
    grade: str
    note: str
    version: int
    scores: dict[int, Decimal]
    notes: dict[int, str]
    updated_at: Any
    updated_by: str
    updated_by_name: str = ""  # who saved it last, by name (the login when they are not registered)


# A sheet's history as the score-entry app lists it: the lines of `describe_history`, latest first.
SHEET_HISTORY_LIST = Listing(
    columns=(
        Column("logged_at", "时间", "moment", width=9),
        Column("actor", "操作人", width=6),
        Column("action", "操作", width=15),  # 更正评分表（王丽申请，经审核）
        Column("total", "总分", width=7),
        Column("grade", "等次", width=9),
        Column("changes", "修改的指标", width=22, limit=60),
    ),
    sort="logged_at",
    descending=True,
    filters=(Filter("action", "操作"),),
    search=("actor", "changes"),
    page_size=10,
    empty="暂无修改记录。",
    key="seq",
)


def sheet_key(scheme: Scheme, unit: Mapping[str, Any], year: int) -> str:
    """The trace key of a score sheet: scheme code / unit code / year."""
    return f"{scheme.code}/{unit['code']}/{year}"


@door.public
def load_sheet(con: Connection, *, scheme_id: int, unit_id: int, year: int) -> Sheet | None:
    """The saved sheet, or None if the unit has not been scored that year (or its sheet was voided).

    Raises:
        PermissionDenied: the unit is outside the user's scope.
    """
    access.require(con, access.READ, unit_id=unit_id)
    row = con.one(
        "SELECT s.id, s.total, s.grade, coalesce(s.note, ''), s.version, s.updated_at, s.updated_by,"
        " coalesce(u.display_name, s.updated_by) FROM score_sheets s LEFT JOIN users u ON u.name = s.updated_by"
        " WHERE s.scheme_id = ? AND s.unit_id = ? AND s.year = ? AND s.voided_at IS NULL",
        [scheme_id, unit_id, year],
    )
    if row is None:
        return None
    sheet_id = int(row[0])
    lines = con.all("SELECT indicator_id, score, coalesce(note, '') FROM scores WHERE sheet_id = ?", [sheet_id])
    return Sheet(
        id=sheet_id,
        scheme_id=scheme_id,
        unit_id=unit_id,
        year=year,
        total=row[1],
        grade=row[2],
        note=row[3],
        version=row[4],
        scores={r[0]: r[1] for r in lines},
        notes={r[0]: r[2] for r in lines if r[2]},
        updated_at=row[5],
        updated_by=row[6],
        updated_by_name=row[7],
    )


def _sheet_state(scheme: Scheme, sheet: Sheet) -> dict[str, Any]:
    by_id = {i.id: i.name for i in scheme.indicators}
    return {
        "total": sheet.total,
        "grade": sheet.grade,
        "note": sheet.note,
        "version": sheet.version,
        "scores": {by_id[k]: v for k, v in sheet.scores.items()},
        "notes": {by_id[k]: v for k, v in sheet.notes.items()},
        "voided_at": None,
    }


def check_sheet(
    scheme: Scheme, scores: Mapping[int, Any] | object, notes: Mapping[int, Any] | object, note: Any
) -> tuple[dict[int, Decimal], dict[int, str], str]:
    """Validate every score and note of a sheet at once by its declaration (`sheet_record`; the maps may be anything).

    Raises:
        InvalidInput: with one message per bad field (`score_<id>`, `note_<id>`, `note`).
    """
    check = validate.Checker()
    if not isinstance(scores, Mapping):
        check.fail("scores", "评分表的“得分”必须按指标逐项给出")
        scores = {}
    if not isinstance(notes, Mapping):
        check.fail("notes", "评分表的“说明”必须按指标逐项给出")
        notes = {}
    record = sheet_record(scheme)
    raw: dict[str, Any] = {"note": note}
    for ind in scheme.indicators:
        raw[f"score_{ind.id}"], raw[f"note_{ind.id}"] = scores.get(ind.id), notes.get(ind.id)
    parsed = {key: fields.parse(check, record, key, raw) for key in record.labels}
    clean_scores: dict[int, Decimal] = {}
    clean_notes: dict[int, str] = {}
    for ind in scheme.indicators:
        if parsed[f"score_{ind.id}"] is not None:
            clean_scores[ind.id] = parsed[f"score_{ind.id}"]
        if parsed[f"note_{ind.id}"]:
            clean_notes[ind.id] = parsed[f"note_{ind.id}"]
    unknown = set(scores) - {i.id for i in scheme.indicators}
    if unknown:
        check.fail("scores", "评分表含有不属于该方案的指标")
    clean_note = parsed["note"] or ""
    check.done()
    return clean_scores, clean_notes, clean_note


def assessment_day(year: int, today: date) -> date:
    """The day whose leaders answer for a year's result: 31 December, or today within the year."""
    return min(date(year, 12, 31), today)


@door.public
def save_sheet(
    con: Connection,
    *,
    scheme_id: int,
    unit_id: int,
    year: Any,
    scores: Mapping[int, Any],
    notes: Mapping[int, Any] | None = None,
    note: Any = None,
    expected_version: int | None = None,
) -> Sheet:
    """Save a complete sheet, its total and grade, and the follow-ups the grade triggers.

    `expected_version` is the version the user opened (0 for a new sheet); if someone
    saved in between, nothing is written. None skips that check (batch imports).

    Raises:
        InvalidInput: a score or note breaks its rule, the scheme does not fit the unit, or the
            year's assessment is closed (its sheets change only by an approved correction,
            `corrections.request_sheet_correction`).
        NotFound: the scheme or unit does not exist.
        Conflict: the sheet changed since it was opened.
        PermissionDenied: the user is not a 录入员 of the unit.
    """
    check = validate.Checker()
    scheme_id = check(validate.ident, scheme_id, field="scheme_id", label="考核方案编号")
    unit_id = check(validate.ident, unit_id, field="unit", label="单位编号")
    expected_version = check(
        validate.integer,
        expected_version,
        field="expected_version",
        label="打开时的版本",
        minimum=0,
        maximum=validate.MAX_ID,
        required=False,
    )
    check.done()
    access.require(con, access.ENTER, unit_id=unit_id, what="录入评分")
    scheme = get_scheme(con, scheme_id)
    unit = registry.get_unit(con, unit_id)
    the_year = validate.year(year)
    if the_year > con.now.year:
        raise InvalidInput.one("year", f"“年度”不能晚于当前年度 {con.now.year}")
    if unit["kind"] not in scheme.unit_kinds:
        kind = registry.KIND_LABELS.get(unit["kind"], unit["kind"])
        raise InvalidInput.one("unit", f"“{scheme.name}”不适用于{kind}“{unit['name']}”")
    _refuse_closed(con, scheme, the_year)
    clean_scores, clean_notes, clean_note = check_sheet(scheme, scores, notes or {}, note)
    old = load_sheet(con, scheme_id=scheme_id, unit_id=unit_id, year=the_year)
    _check_version(old, expected_version)
    return write_sheet(con, scheme, unit, the_year, old, clean_scores, clean_notes, clean_note)


def write_sheet(
    con: Connection,
    scheme: Scheme,
    unit: Mapping[str, Any],
    year: int,
    old: Sheet | None,
    scores: dict[int, Decimal],
    notes: dict[int, str],
    note: str,
    *,
    action: str = "",
) -> Sheet:
    """Write a checked sheet over `old`: its total, grade, trace and follow-ups (kit's own path, no access check).

    Called by `save_sheet` and by an approved correction of a closed year's sheet, each
    after its own checks. Returns `old` itself when nothing changed.
    """
    if old is not None and (old.scores, old.notes, old.note) == (scores, notes, note):
        return old  # nothing changed: no new version, no trace entry
    total = scheme.total(scores)
    band = scheme.grade(total)
    voided = None if old else _voided(con, scheme.id, unit["id"], year)
    sheet_id, version = _store(con, old or voided, scheme.id, unit["id"], year, total, band.label, note)
    con.insert_rows("scores", [[sheet_id, ind_id, value, notes.get(ind_id)] for ind_id, value in scores.items()])
    new = Sheet(
        id=sheet_id,
        scheme_id=scheme.id,
        unit_id=unit["id"],
        year=year,
        total=total,
        grade=band.label,
        note=note,
        version=version,
        scores=scores,
        notes=notes,
        updated_at=con.now,
        updated_by=con.actor,
        updated_by_name=str(
            con.scalar("SELECT coalesce(max(display_name), ?) FROM users WHERE name = ?", [con.actor, con.actor])
        ),
    )
    trace.record(
        con,
        action=action or ("修改评分表" if old else "重新录入评分表（原表已作废）" if voided else "新建评分表"),
        table="score_sheets",
        key=sheet_key(scheme, unit, year),
        before=_sheet_state(scheme, old) if old else None,
        after=_sheet_state(scheme, new),
    )
    followups.follow_grade(
        con,
        sheet_id=sheet_id,
        sheet_key=sheet_key(scheme, unit, year),
        unit=unit,
        triggered=band.triggers_followup,
        on=assessment_day(year, con.now.date()),
    )
    return new


def _store(
    con: Connection, old: Sheet | None, scheme_id: int, unit_id: int, year: int, total: Decimal, grade: str, note: str
) -> tuple[int, int]:
    """Insert or update the sheet row (a voided one comes back); returns its id and new version.

    Its scores are replaced by the caller.
    """
    if old is None:
        ident = con.scalar(
            "INSERT INTO score_sheets (scheme_id, unit_id, year, total, grade, note, version,"
            " created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)"
            " RETURNING id",
            [scheme_id, unit_id, year, total, grade, note, con.now, con.actor, con.now, con.actor],
        )
        return int(ident), 1
    con.execute(
        "UPDATE score_sheets SET total = ?, grade = ?, note = ?, version = version + 1,"
        " updated_at = ?, updated_by = ?, voided_at = NULL, voided_by = NULL WHERE id = ?",
        [total, grade, note, con.now, con.actor, old.id],
    )
    con.execute("DELETE FROM scores WHERE sheet_id = ?", [old.id])
    return old.id, old.version + 1


def _voided(con: Connection, scheme_id: int, unit_id: int, year: int) -> Sheet | None:
    """The voided sheet of the unit that year, if any: scoring it again writes over it."""
    row = con.one(
        "SELECT id, version FROM score_sheets WHERE scheme_id = ? AND unit_id = ? AND year = ?"
        " AND voided_at IS NOT NULL",
        [scheme_id, unit_id, year],
    )
    if row is None:
        return None
    return Sheet(int(row[0]), scheme_id, unit_id, year, Decimal(0), "", "", int(row[1]), {}, {}, None, "")


def void_written(con: Connection, scheme: Scheme, unit: Mapping[str, Any], old: Sheet, *, action: str) -> None:
    """作废 a checked sheet: it leaves rankings and reports, its open follow-ups are cancelled (kit's own path).

    Called by `corrections.void_sheet` and by an approved request to void a closed year's
    sheet, each after its own checks.
    """
    con.execute("UPDATE score_sheets SET voided_at = ?, voided_by = ? WHERE id = ?", [con.now, con.actor, old.id])
    before = _sheet_state(scheme, old)
    trace.record(
        con,
        action=action,
        table="score_sheets",
        key=sheet_key(scheme, unit, old.year),
        before=before,
        after={**before, "voided_at": con.now, "voided_by": con.actor},
    )
    followups.follow_grade(
        con,
        sheet_id=old.id,
        sheet_key=sheet_key(scheme, unit, old.year),
        unit=unit,
        triggered=False,
        on=assessment_day(old.year, con.now.date()),
    )


def _check_version(old: Sheet | None, expected: int | None) -> None:
    if expected is None:
        return
    current = old.version if old else 0
    if current != expected:
        when = f"{old.updated_by_name or old.updated_by}于{old.updated_at:%Y-%m-%d %H:%M}" if old else "他人"
        raise Conflict(f"该评分表已被{when}保存过，您看到的不是最新内容。请重新打开该单位后再修改，本次未保存。")


@door.public
def sheet_history(con: Connection, *, scheme_id: int, unit_id: int, year: int) -> list[dict[str, Any]]:
    """The trace of one sheet, oldest first: who saved it when, and what changed.

    Raises:
        PermissionDenied: the unit is outside the user's scope.
    """
    scheme = get_scheme(con, scheme_id)
    unit = registry.get_unit(con, unit_id)
    return audit.history(con, table="score_sheets", key=sheet_key(scheme, unit, year), unit_id=unit_id)


def _refuse_closed(con: Connection, scheme: Scheme, year: int) -> None:
    closed = closings.closing(con, scheme_id=scheme.id, year=year)
    if closed is not None:
        raise InvalidInput.one(
            "year",
            f"“{scheme.name}”{closed.text()}，评分表不能再直接修改；如需更正，请提交更正申请，经审核员同意后生效",
        )


def describe_history(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Trace entries of a sheet (`sheet_history`) as lines for people: when, who, what changed."""
    lines = []
    for entry in entries:
        before, after = entry["before"] or {}, entry["after"] or {}
        changed = []
        for name, score in (after.get("scores") or {}).items():
            old = (before.get("scores") or {}).get(name)
            if old is not None and Decimal(old) != Decimal(score):
                changed.append(f"{name} {number(Decimal(old))}→{number(Decimal(score))}")
        total = number(Decimal(after["total"])) if "total" in after else "—"
        if before.get("total") is not None:
            total = f"{number(Decimal(before['total']))} → {total}"
        grade = after.get("grade", "")
        if before.get("grade") not in (None, grade):
            grade = f"{before['grade']} → {grade}"
        if after.get("voided_at"):  # 作废: the sheet as it was, leaving the results
            total, grade = number(Decimal(after["total"])), f"{after['grade']} → 已作废"
        lines.append(
            {
                "seq": entry.get("seq"),
                "logged_at": entry["logged_at"],
                "actor": entry.get("actor_name") or entry["actor"],
                "action": entry["action"],
                "total": total,
                "grade": grade,
                "changes": "；".join(changed),
            }
        )
    return lines
