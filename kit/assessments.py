"""党风廉政建设责任制考核: schemes with indicators and grade bands, score sheets, totals, grades."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kit import followups, registry, trace, validate
from kit.db import Connection
from kit.errors import Conflict, InvalidInput, NotFound

SCORING_LABELS = {"points": "分值制（各项满分相加）", "weighted": "权重制（百分制加权）"}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Indicator:
    id: int
    ord: int
    name: str
    max_points: Decimal | None
    weight: Decimal | None
    description: str | None

    @property
    def maximum(self) -> Decimal:
        """The highest score a user may enter for this indicator."""
        return self.max_points if self.max_points is not None else Decimal(100)


@dataclass(frozen=True)
class Band:
    ord: int
    label: str
    min_total: Decimal
    triggers_followup: bool


@dataclass(frozen=True)
class Scheme:
    id: int
    code: str
    name: str
    scoring: str
    unit_kinds: list[str]
    indicators: list[Indicator]
    bands: list[Band]

    @property
    def full_marks(self) -> Decimal:
        if self.scoring == "weighted":
            return Decimal(100)
        return sum((i.maximum for i in self.indicators), Decimal(0))

    def grade(self, total: Decimal) -> Band:
        """The band a total falls in: the first (highest) whose minimum it reaches."""
        for band in self.bands:
            if total >= band.min_total:
                return band
        return self.bands[-1]

    def total(self, scores: Mapping[int, Decimal]) -> Decimal:
        """Total of a complete sheet: a sum of points, or a weighted mean of 0–100 scores."""
        if self.scoring == "weighted":
            weights = sum((i.weight or Decimal(0) for i in self.indicators), Decimal(0))
            raw = sum((scores[i.id] * (i.weight or 0) for i in self.indicators), Decimal(0))
            return (raw / weights).quantize(CENT, rounding=ROUND_HALF_UP)
        return sum((scores[i.id] for i in self.indicators), Decimal(0)).quantize(CENT)


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


def add_scheme(
    con: Connection,
    *,
    code: str,
    name: str,
    scoring: str,
    unit_kinds: Sequence[str],
    indicators: Sequence[Mapping[str, Any]],
    bands: Sequence[Mapping[str, Any]],
    description: str | None = None,
) -> int:
    """Create a scheme with its indicators and grade bands (highest band first).

    Each indicator has `name` and `max_points` (points scoring) or `weight`
    (weighted scoring), optionally `description`. Each band has `label`,
    `min_total` and `triggers_followup`; the last band's minimum must be 0.

    Raises:
        InvalidInput: any part of the scheme breaks a rule.
    """
    check = validate.Checker()
    code = check(validate.text, code, field="code", label="方案编码", required=True, max_length=32)
    name = check(validate.text, name, field="name", label="方案名称", required=True, max_length=100)
    scoring = check(validate.choice, scoring, field="scoring", label="计分方式", choices=SCORING_LABELS)
    for kind in unit_kinds:
        check(validate.choice, kind, field="unit_kinds", label="适用单位类别", choices=registry.KIND_LABELS)
    if not unit_kinds:
        check.fail("unit_kinds", "“适用单位类别”至少选择一项")
    clean_indicators = _check_indicators(check, scoring, indicators)
    clean_bands = _check_bands(check, bands)
    check.done()
    if con.scalar("SELECT count(*) FROM assessment_schemes WHERE code = ?", [code]):
        raise InvalidInput.one("code", f"方案编码“{code}”已被使用")
    scheme_id = int(
        con.scalar(
            "INSERT INTO assessment_schemes (code, name, scoring, unit_kinds, description)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            [code, name, scoring, list(unit_kinds), description],
        )
    )
    for ord_, ind in enumerate(clean_indicators, start=1):
        con.execute(
            "INSERT INTO assessment_indicators (scheme_id, ord, name, max_points, weight, description)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [scheme_id, ord_, ind["name"], ind["max_points"], ind["weight"], ind["description"]],
        )
    for ord_, band in enumerate(clean_bands, start=1):
        con.execute(
            "INSERT INTO grade_bands VALUES (?, ?, ?, ?, ?)",
            [scheme_id, ord_, band["label"], band["min_total"], band["triggers_followup"]],
        )
    trace.record(
        con,
        action="新增考核方案",
        table="assessment_schemes",
        key=code,
        before=None,
        after={
            "id": scheme_id,
            "code": code,
            "name": name,
            "scoring": scoring,
            "unit_kinds": list(unit_kinds),
            "indicators": clean_indicators,
            "bands": clean_bands,
        },
    )
    return scheme_id


def _check_indicators(
    check: validate.Checker, scoring: str | None, indicators: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    if not indicators:
        check.fail("indicators", "考核方案至少需要一个指标")
    clean = []
    names: set[str] = set()
    for n, ind in enumerate(indicators, start=1):
        label = f"第 {n} 个指标"
        ind_name = check(
            validate.text,
            ind.get("name"),
            field=f"indicator_{n}",
            label=f"{label}名称",
            required=True,
            max_length=100,
        )
        if ind_name in names:
            check.fail(f"indicator_{n}", f"指标名称“{ind_name}”重复")
        names.add(ind_name)
        key, shown = ("weight", "权重") if scoring == "weighted" else ("max_points", "满分")
        amount = check(
            validate.number,
            ind.get(key),
            field=f"indicator_{n}",
            label=f"{label}{shown}",
            minimum=Decimal("0.01"),
            maximum=Decimal(1000),
        )
        clean.append(
            {
                "name": ind_name,
                "description": ind.get("description"),
                "max_points": amount if key == "max_points" else None,
                "weight": amount if key == "weight" else None,
            }
        )
    return clean


def _check_bands(check: validate.Checker, bands: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not bands:
        check.fail("bands", "考核方案至少需要一个等次")
        return []
    clean = []
    previous: Decimal | None = None
    for n, band in enumerate(bands, start=1):
        label = check(
            validate.text,
            band.get("label"),
            field=f"band_{n}",
            label=f"第 {n} 个等次名称",
            required=True,
            max_length=20,
        )
        minimum = check(
            validate.number,
            band.get("min_total"),
            field=f"band_{n}",
            label=f"等次“{label}”的最低分",
            minimum=0,
            maximum=Decimal(1000),
        )
        if minimum is not None and previous is not None and minimum >= previous:
            check.fail(f"band_{n}", "等次须按最低分从高到低排列，且最低分互不相同")
        previous = minimum if minimum is not None else previous
        clean.append(
            {
                "label": label,
                "min_total": minimum,
                "triggers_followup": bool(band.get("triggers_followup", False)),
            }
        )
    if clean[-1]["min_total"] not in (None, Decimal(0)):
        check.fail("bands", "最低一个等次的最低分必须为 0，使每个总分都有等次")
    return clean


def get_scheme(con: Connection, scheme_id: int) -> Scheme:
    """A scheme with its indicators and bands.

    Raises:
        NotFound: no scheme has this id.
    """
    row = con.one("SELECT id, code, name, scoring, unit_kinds FROM assessment_schemes WHERE id = ?", [scheme_id])
    if row is None:
        raise NotFound(f"考核方案不存在（编号 {scheme_id}）")
    indicators = [
        Indicator(*r)
        for r in con.all(
            "SELECT id, ord, name, max_points, weight, description FROM assessment_indicators"
            " WHERE scheme_id = ? ORDER BY ord",
            [scheme_id],
        )
    ]
    bands = [
        Band(*r)
        for r in con.all(
            "SELECT ord, label, min_total, triggers_followup FROM grade_bands WHERE scheme_id = ? ORDER BY ord",
            [scheme_id],
        )
    ]
    return Scheme(row[0], row[1], row[2], row[3], list(row[4]), indicators, bands)


def list_schemes(con: Connection) -> list[dict[str, Any]]:
    return con.records("SELECT id, code, name, scoring, unit_kinds FROM assessment_schemes ORDER BY id")


def sheet_key(scheme: Scheme, unit: Mapping[str, Any], year: int) -> str:
    """The trace key of a score sheet: scheme code / unit code / year."""
    return f"{scheme.code}/{unit['code']}/{year}"


def load_sheet(con: Connection, *, scheme_id: int, unit_id: int, year: int) -> Sheet | None:
    """The saved sheet, or None if the unit has not been scored that year."""
    row = con.one(
        "SELECT id, total, grade, coalesce(note, ''), version, updated_at, updated_by FROM score_sheets"
        " WHERE scheme_id = ? AND unit_id = ? AND year = ?",
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
    }


def check_sheet(
    scheme: Scheme, scores: Mapping[int, Any], notes: Mapping[int, Any], note: Any
) -> tuple[dict[int, Decimal], dict[int, str], str]:
    """Validate every score and note of a sheet at once (the form's and importer's path).

    Raises:
        InvalidInput: with one message per bad field (`score_<id>`, `note_<id>`, `note`).
    """
    check = validate.Checker()
    clean_scores: dict[int, Decimal] = {}
    clean_notes: dict[int, str] = {}
    for ind in scheme.indicators:
        value = check(
            validate.number,
            scores.get(ind.id),
            field=f"score_{ind.id}",
            label=f"{ind.name}得分",
            maximum=ind.maximum,
        )
        if value is not None:
            clean_scores[ind.id] = value
        text = check(validate.text, notes.get(ind.id), field=f"note_{ind.id}", label=f"{ind.name}说明", max_length=500)
        if text:
            clean_notes[ind.id] = text
    unknown = set(scores) - {i.id for i in scheme.indicators}
    if unknown:
        check.fail("scores", "评分表含有不属于该方案的指标")
    clean_note = check(validate.text, note, field="note", label="总体评价", max_length=2000) or ""
    check.done()
    return clean_scores, clean_notes, clean_note


def assessment_day(year: int, today: date) -> date:
    """The day whose leaders answer for a year's result: 31 December, or today within the year."""
    return min(date(year, 12, 31), today)


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
        InvalidInput: a score or note breaks its rule, or the scheme does not fit the unit.
        NotFound: the scheme or unit does not exist.
        Conflict: the sheet changed since it was opened.
    """
    scheme = get_scheme(con, scheme_id)
    unit = registry.get_unit(con, unit_id)
    the_year = validate.year(year)
    if the_year > con.now.year:
        raise InvalidInput.one("year", f"“年度”不能晚于当前年度 {con.now.year}")
    if unit["kind"] not in scheme.unit_kinds:
        kind = registry.KIND_LABELS.get(unit["kind"], unit["kind"])
        raise InvalidInput.one("unit", f"“{scheme.name}”不适用于{kind}“{unit['name']}”")
    clean_scores, clean_notes, clean_note = check_sheet(scheme, scores, notes or {}, note)
    total = scheme.total(clean_scores)
    band = scheme.grade(total)
    old = load_sheet(con, scheme_id=scheme_id, unit_id=unit_id, year=the_year)
    _check_version(old, expected_version)
    if old is not None and (old.scores, old.notes, old.note) == (clean_scores, clean_notes, clean_note):
        return old  # nothing changed: no new version, no trace entry
    if old is None:
        sheet_id = int(
            con.scalar(
                "INSERT INTO score_sheets (scheme_id, unit_id, year, total, grade, note, version,"
                " created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)"
                " RETURNING id",
                [
                    scheme_id,
                    unit_id,
                    the_year,
                    total,
                    band.label,
                    clean_note,
                    con.now,
                    con.actor,
                    con.now,
                    con.actor,
                ],
            )
        )
    else:
        sheet_id = old.id
        con.execute(
            "UPDATE score_sheets SET total = ?, grade = ?, note = ?, version = version + 1,"
            " updated_at = ?, updated_by = ? WHERE id = ?",
            [total, band.label, clean_note, con.now, con.actor, sheet_id],
        )
        con.execute("DELETE FROM scores WHERE sheet_id = ?", [sheet_id])
    con.insert_rows(
        "scores",
        [[sheet_id, ind_id, value, clean_notes.get(ind_id)] for ind_id, value in clean_scores.items()],
    )
    new = Sheet(
        id=sheet_id,
        scheme_id=scheme_id,
        unit_id=unit_id,
        year=the_year,
        total=total,
        grade=band.label,
        note=clean_note,
        version=old.version + 1 if old else 1,
        scores=clean_scores,
        notes=clean_notes,
        updated_at=con.now,
        updated_by=con.actor,
    )
    trace.record(
        con,
        action="修改评分表" if old else "新建评分表",
        table="score_sheets",
        key=sheet_key(scheme, unit, the_year),
        before=_sheet_state(scheme, old) if old else None,
        after=_sheet_state(scheme, new),
    )
    followups.sync_for_sheet(
        con,
        sheet_id=sheet_id,
        sheet_key=sheet_key(scheme, unit, the_year),
        unit=unit,
        triggered=band.triggers_followup,
        on=assessment_day(the_year, con.now.date()),
    )
    return new


def _check_version(old: Sheet | None, expected: int | None) -> None:
    if expected is None:
        return
    current = old.version if old else 0
    if current != expected:
        when = f"{old.updated_by}于{old.updated_at:%Y-%m-%d %H:%M}" if old else "他人"
        raise Conflict(f"该评分表已被{when}保存过，您看到的不是最新内容。请重新打开该单位后再修改，本次未保存。")


def sheet_history(con: Connection, *, scheme_id: int, unit_id: int, year: int) -> list[dict[str, Any]]:
    """The trace of one sheet, oldest first: who saved it when, and what changed."""
    scheme = get_scheme(con, scheme_id)
    unit = registry.get_unit(con, unit_id)
    return trace.history(con, table="score_sheets", key=sheet_key(scheme, unit, year))
